import CSDTensor
import Foundation
import Testing

// MARK: - Layer norm

private struct LayerNormReference {
    var mean: [Double] = [], rstd: [Double] = [], y: [Double] = []
    var dx: [Double] = [], dweight: [Double] = [], dbias: [Double] = []
}

/// Layer norm forward and backward in double precision, straight from the definitions:
/// xhat = (x - mean) * rstd, y = xhat * w + b,
/// dx = rstd * (g*w - mean(g*w) - xhat * mean(g*w*xhat)), dw = sum_rows g*xhat, db = sum_rows g.
private func naiveLayerNorm(x: [Float], weight: [Float], bias: [Float]?, dy: [Float], d: Int, eps: Double)
    -> LayerNormReference
{
    let rows = x.count / d
    var r = LayerNormReference()
    r.dweight = [Double](repeating: 0, count: d)
    r.dbias = [Double](repeating: 0, count: d)
    for row in 0..<rows {
        let xs = (0..<d).map { Double(x[row * d + $0]) }
        let m = xs.reduce(0, +) / Double(d)
        let v = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d)
        let rs = 1 / (v + eps).squareRoot()
        r.mean.append(m)
        r.rstd.append(rs)
        let xhat = xs.map { ($0 - m) * rs }
        for i in 0..<d { r.y.append(xhat[i] * Double(weight[i]) + (bias.map { Double($0[i]) } ?? 0)) }
        let g = (0..<d).map { Double(dy[row * d + $0]) }
        let gw = (0..<d).map { g[$0] * Double(weight[$0]) }
        let meanGW = gw.reduce(0, +) / Double(d)
        let meanGWX = (0..<d).map { gw[$0] * xhat[$0] }.reduce(0, +) / Double(d)
        for i in 0..<d {
            r.dx.append(rs * (gw[i] - meanGW - xhat[i] * meanGWX))
            r.dweight[i] += g[i] * xhat[i]
            r.dbias[i] += g[i]
        }
    }
    return r
}

struct LayerNormCase: Sendable, CustomTestStringConvertible {
    let shape: [Int]
    let withBias: Bool
    var testDescription: String { "\(shape) bias=\(withBias)" }
}

@Suite struct LayerNormKernelTests {
    static let cases: [LayerNormCase] = [
        .init(shape: [3, 5, 16], withBias: true),
        .init(shape: [3, 5, 16], withBias: false),
        .init(shape: [7, 33], withBias: true),
        .init(shape: [1, 1], withBias: true),
        .init(shape: [4, 3], withBias: false),
        .init(shape: [1024, 64], withBias: true),   // several backward workers, parallel forward
        .init(shape: [2, 300, 48], withBias: true),
    ]

    @Test(arguments: cases)
    func forwardAndBackwardMatchNaive(_ c: LayerNormCase) throws {
        let d = c.shape.last!, eps: Float = 1e-5
        // An offset and scale per row so the statistics are not trivially (0, 1).
        var x = Sample.normal(c.shape, seed: 1)
        x.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = b[i] * Float(1 + (i / d) % 3) + Float((i / d) % 5) - 2 }
        }
        let weight = Sample.uniform([d], 0.5, 1.5, seed: 2)
        let bias = c.withBias ? Sample.normal([d], seed: 3) : nil
        let dy = Sample.normal(c.shape, seed: 4)
        let ref = naiveLayerNorm(x: x.scalars, weight: weight.scalars, bias: bias?.scalars, dy: dy.scalars,
                                 d: d, eps: Double(eps))

        let (y, mean, rstd) = LayerNormKernel.forward(x, weight: weight, bias: bias, eps: eps)
        let rows = x.count / d
        #expect(y.shape == c.shape && mean.shape == [rows] && rstd.shape == [rows])
        expectAllClose(mean.scalars, ref.mean, abs: 1e-5, rel: 1e-5, "mean")
        expectAllClose(rstd.scalars, ref.rstd, abs: 1e-5, rel: 1e-4, "rstd")
        expectAllClose(y.scalars, ref.y, abs: 1e-4, rel: 1e-4, "y")

        let grads = LayerNormKernel.backward(dy, x: x, weight: weight, mean: mean, rstd: rstd,
                                             needInput: true, needWeight: true, needBias: true)
        let dx = try #require(grads.dx), dw = try #require(grads.dweight), db = try #require(grads.dbias)
        #expect(dx.shape == c.shape && dw.shape == [d] && db.shape == [d])
        let gradTolerance = 1e-4 * Double(rows).squareRoot()
        expectAllClose(dx.scalars, ref.dx, abs: 2e-4, rel: 1e-3, "dx")
        expectAllClose(dw.scalars, ref.dweight, abs: gradTolerance, rel: 1e-4, "dweight")
        expectAllClose(db.scalars, ref.dbias, abs: gradTolerance, rel: 1e-4, "dbias")

        // Parallel and serial runs agree.
        let serial = Threads.withLimit(1) { LayerNormKernel.forward(x, weight: weight, bias: bias, eps: eps) }
        #expect(serial.y.scalars == y.scalars && serial.mean.scalars == mean.scalars)
        let serialGrads = Threads.withLimit(1) {
            LayerNormKernel.backward(dy, x: x, weight: weight, mean: mean, rstd: rstd,
                                     needInput: true, needWeight: true, needBias: true)
        }
        #expect(serialGrads.dx?.scalars == dx.scalars)
        expectAllClose(try #require(serialGrads.dweight).scalars, dw.scalars, abs: gradTolerance, "serial dweight")
    }

    @Test func backwardComputesOnlyWhatIsAsked() {
        let x = Sample.normal([6, 8], seed: 5), w = Sample.uniform([8], 0.5, 1.5, seed: 6)
        let dy = Sample.normal([6, 8], seed: 7)
        let (_, mean, rstd) = LayerNormKernel.forward(x, weight: w, bias: nil, eps: 1e-5)
        let full = LayerNormKernel.backward(dy, x: x, weight: w, mean: mean, rstd: rstd,
                                            needInput: true, needWeight: true, needBias: true)
        for (ni, nw, nb) in [(true, false, false), (false, true, false), (false, false, true), (false, true, true)] {
            let g = LayerNormKernel.backward(dy, x: x, weight: w, mean: mean, rstd: rstd,
                                             needInput: ni, needWeight: nw, needBias: nb)
            #expect((g.dx != nil) == ni && (g.dweight != nil) == nw && (g.dbias != nil) == nb)
            if ni { #expect(g.dx?.scalars == full.dx?.scalars) }
            if nw { #expect(g.dweight?.scalars == full.dweight?.scalars) }
            if nb { #expect(g.dbias?.scalars == full.dbias?.scalars) }
        }
    }

    @Test func constantRowsNormaliseToBias() {
        let x = Tensor(repeating: 3, shape: [2, 4])
        let w = Tensor([1, 2, 3, 4], shape: [4]), b = Tensor([0.5, -0.5, 1, 0], shape: [4])
        let (y, mean, rstd) = LayerNormKernel.forward(x, weight: w, bias: b, eps: 1e-5)
        #expect(mean.scalars == [3, 3])
        expectAllClose(rstd.scalars, [1 / (1e-5 as Double).squareRoot(), 1 / (1e-5 as Double).squareRoot()],
                       abs: 0, rel: 1e-5)
        #expect(y.scalars == b.scalars + b.scalars)
    }

    @Test func backwardMatchesFiniteDifferences() {
        // Independent of the closed form: d/dx of sum(y * dy) by central differences in double.
        let d = 5, rows = 2, eps = 1e-5
        let x = Sample.normal([rows, d], seed: 8), w = Sample.uniform([d], 0.5, 1.5, seed: 9)
        let dy = Sample.normal([rows, d], seed: 10)
        func loss(_ xs: [Double]) -> Double {
            var total = 0.0
            for r in 0..<rows {
                let v = Array(xs[(r * d)..<(r * d + d)])
                let m = v.reduce(0, +) / Double(d)
                let varr = v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d)
                for i in 0..<d {
                    total += (v[i] - m) / (varr + eps).squareRoot() * Double(w[flat: i]) * Double(dy[flat: r * d + i])
                }
            }
            return total
        }
        let x0 = x.scalars.map(Double.init)
        let numeric = x0.indices.map { i -> Double in
            var p = x0, m = x0
            p[i] += 1e-6; m[i] -= 1e-6
            return (loss(p) - loss(m)) / 2e-6
        }
        let (_, mean, rstd) = LayerNormKernel.forward(x, weight: w, bias: nil, eps: Float(eps))
        let g = LayerNormKernel.backward(dy, x: x, weight: w, mean: mean, rstd: rstd,
                                         needInput: true, needWeight: false, needBias: false)
        expectAllClose(g.dx!.scalars, numeric, abs: 1e-4, rel: 1e-3)
    }
}

// MARK: - Softmax

@Suite struct SoftmaxKernelTests {
    @Test(arguments: 1...20)
    func forwardMatchesNaiveForEveryWidth(_ width: Int) {
        let x = Sample.normal([3, width], seed: UInt64(width))
        let y = SoftmaxKernel.forward(x)
        #expect(y.shape == x.shape)
        var expected = [Double]()
        let sx = x.scalars
        for r in 0..<3 { expected += Naive.softmax(sx[(r * width)..<(r * width + width)].map { Double($0) }) }
        expectAllClose(y.scalars, expected, abs: 1e-7, rel: 1e-6)
        #expect(x.scalars == sx, "the input is not modified")
    }

    @Test func stableForLargeValuesAndMinusInfinity() {
        let inf = Float.infinity
        let rows: [[Float]] = [
            [1000, 999, 998, 0],
            [-1000, -1001, -999, -1000],
            [-inf, 0, 1, -inf],
            [-inf, 5, -inf, -inf],
            [88, 89, 90, -90],
            [3e38, 3e38, -3e38, 0],
        ]
        let x = Tensor(rows.flatMap { $0 }, shape: [rows.count, 4])
        let y = SoftmaxKernel.forward(x).scalars
        #expect(y.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "\(y)")
        for (r, row) in rows.enumerated() {
            let expected = Naive.softmax(row.map(Double.init))
            expectAllClose(Array(y[(r * 4)..<(r * 4 + 4)]), expected, abs: 1e-7, rel: 1e-6, "row \(r)")
            #expect(abs(y[(r * 4)..<(r * 4 + 4)].reduce(0, +) - 1) < 1e-6)
        }
        // -inf entries get exactly zero probability.
        #expect(y[8] == 0 && y[11] == 0 && y[12] == 0 && y[14] == 0 && y[15] == 0 && y[13] == 1)
    }

    @Test func nanLogitPoisonsItsRowOnly() {
        let x = Tensor([0, .nan, 1, 2, 0.5, -1, 3, 1], shape: [2, 4])
        let y = SoftmaxKernel.forward(x).scalars
        #expect(y[0..<4].allSatisfy { $0.isNaN }, "a NaN logit must not be silently dropped: \(y)")
        expectAllClose(Array(y[4..<8]), Naive.softmax([0.5, -1, 3, 1]), abs: 1e-7, rel: 1e-6)
    }

    @Test func rowInPlaceMatchesForward() {
        var row: [Float] = [0.5, -1, 2, 7, 3, 3, 1, 0, -2]
        let expected = SoftmaxKernel.forward(Tensor(row, shape: [9])).scalars
        row.withUnsafeMutableBufferPointer { SoftmaxKernel.rowInPlace($0.baseAddress!, 9) }
        #expect(row == expected)
    }

    @Test(arguments: [1, 3, 8, 17])
    func backwardMatchesNaive(_ width: Int) {
        let x = Sample.normal([4, width], seed: 30)
        var y = SoftmaxKernel.forward(x)
        // Put a hard zero (a -inf logit) into one row.
        if width > 1 {
            var masked = x
            masked[flat: 1] = -.infinity
            y = SoftmaxKernel.forward(masked)
            #expect(y[flat: 1] == 0)
        }
        let dy = Sample.normal([4, width], seed: 31)
        let dx = SoftmaxKernel.backward(dy, y: y)
        #expect(dx.shape == y.shape)
        let sy = y.scalars, sdy = dy.scalars
        var expected = [Double]()
        for r in 0..<4 {
            let yr = (0..<width).map { Double(sy[r * width + $0]) }
            let gr = (0..<width).map { Double(sdy[r * width + $0]) }
            let dot = zip(yr, gr).map(*).reduce(0, +)
            expected += (0..<width).map { yr[$0] * (gr[$0] - dot) }
        }
        expectAllClose(dx.scalars, expected, abs: 1e-6, rel: 1e-5)
        if width > 1 { #expect(dx[flat: 1] == 0, "no gradient flows to a masked entry") }
        // Rows of dx sum to zero (softmax is shift invariant).
        for r in 0..<4 { #expect(abs(dx.scalars[(r * width)..<(r * width + width)].reduce(0, +)) < 1e-5) }
    }

    @Test func rowBackwardMayAliasDy() {
        let y: [Float] = [0.1, 0.2, 0.3, 0.4], dy: [Float] = [1, -1, 0.5, 2]
        let expected = SoftmaxKernel.backward(Tensor(dy, shape: [4]), y: Tensor(y, shape: [4])).scalars
        var g = dy
        g.withUnsafeMutableBufferPointer { p in
            SoftmaxKernel.rowBackward(y: y, dy: UnsafePointer(p.baseAddress!), dx: p.baseAddress!, 4)
        }
        #expect(g == expected)
    }

    @Test func backwardMatchesFiniteDifferences() {
        let x = Sample.normal([2, 6], seed: 40).scalars.map(Double.init)
        let dy = Sample.normal([2, 6], seed: 41).scalars.map(Double.init)
        func loss(_ v: [Double]) -> Double {
            (0..<2).map { r in zip(Naive.softmax(Array(v[(r * 6)..<(r * 6 + 6)])), dy[(r * 6)..<(r * 6 + 6)]).map(*).reduce(0, +) }
                .reduce(0, +)
        }
        let numeric = x.indices.map { i -> Double in
            var p = x, m = x
            p[i] += 1e-6; m[i] -= 1e-6
            return (loss(p) - loss(m)) / 2e-6
        }
        let y = SoftmaxKernel.forward(Tensor(x.map { Float($0) }, shape: [2, 6]))
        let dx = SoftmaxKernel.backward(Tensor(dy.map { Float($0) }, shape: [2, 6]), y: y)
        expectAllClose(dx.scalars, numeric, abs: 1e-5, rel: 1e-4)
    }

    @Test func largeParallelMatchesSerial() {
        let x = Sample.normal([2048, 40], seed: 50)
        let y = SoftmaxKernel.forward(x)
        let serial = Threads.withLimit(1) { SoftmaxKernel.forward(x) }
        #expect(y.scalars == serial.scalars)
        let dy = Sample.normal([2048, 40], seed: 51)
        #expect(SoftmaxKernel.backward(dy, y: y).scalars == Threads.withLimit(1) { SoftmaxKernel.backward(dy, y: y) }.scalars)
    }
}
