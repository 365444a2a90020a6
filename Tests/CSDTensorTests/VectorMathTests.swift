import CSDTensor
import Foundation
import Testing

/// `f` over `xs` through VectorMath.map.
private func mapped(_ xs: [Float], _ f: (Float) -> Float) -> [Float] {
    var out = [Float](repeating: .nan, count: xs.count)
    xs.withUnsafeBufferPointer { px in
        out.withUnsafeMutableBufferPointer { po in
            if let x = px.baseAddress, let y = po.baseAddress { VectorMath.map(x, y, xs.count, f) }
        }
    }
    return out
}

/// Worst relative error of `actual` against `reference` (both finite, reference non-zero).
private func worstRelative(_ xs: [Float], _ actual: [Float], _ reference: (Double) -> Double) -> (Double, Float) {
    var worst = 0.0, at: Float = 0
    for (x, y) in zip(xs, actual) {
        let r = reference(Double(x))
        let e = y.isFinite ? abs(Double(y) - r) / abs(r) : .infinity
        if e > worst { worst = e; at = x }
    }
    return (worst, at)
}

private func worstAbsolute(_ xs: [Float], _ actual: [Float], _ reference: (Double) -> Double) -> (Double, Float) {
    var worst = 0.0, at: Float = 0
    for (x, y) in zip(xs, actual) {
        let e = y.isFinite ? abs(Double(y) - reference(Double(x))) : .infinity
        if e > worst { worst = e; at = x }
    }
    return (worst, at)
}

/// Evenly spaced points plus seeded random ones in [low, high].
private func points(_ low: Float, _ high: Float, _ n: Int, seed: UInt64) -> [Float] {
    var rng = RandomStream(seed: seed)
    return Sample.linspace(low, high, n) + (0..<n).map { _ in rng.uniform(low, high) }
}

@Suite struct VectorMathTests {
    @Test func expMatchesFoundation() {
        let xs = points(-87, 88, 10_000, seed: 1) + [0, 1, -1, 1e-8, -1e-8, 0.5, -0.5, 0.34657359, -0.34657359]
        let (err, at) = worstRelative(xs, mapped(xs) { VectorMath.exp($0) }, Foundation.exp)
        #expect(err <= 5e-7, "worst relative error \(err) at x = \(at)")
        #expect(VectorMath.exp(0) == 1)
    }

    @Test func expNearOverflowIsFinite() {
        // exp(88.72) = 3.39e38 < Float.greatestFiniteMagnitude: representable, so not +inf.
        let xs = Sample.linspace(88, 88.72, 2_000) + [88.3762626, 88.5, 88.7, 88.72283]
        let ys = mapped(xs) { VectorMath.exp($0) }
        #expect(ys.allSatisfy { $0.isFinite }, "first overflow at x = \(xs[ys.firstIndex { !$0.isFinite } ?? 0])")
        let (err, at) = worstRelative(xs, ys, Foundation.exp)
        #expect(err <= 5e-7, "worst relative error \(err) at x = \(at)")
    }

    @Test func expUnderflowsToZero() {
        let xs = Sample.linspace(-1000, -87.4, 1_000) + [-.infinity, -Float.greatestFiniteMagnitude, -87.4]
        let ys = mapped(xs) { VectorMath.exp($0) }
        #expect(ys.allSatisfy { $0 == 0 }, "\(zip(xs, ys).first { $0.1 != 0 }.map { "exp(\($0.0)) = \($0.1)" } ?? "")")
    }

    @Test func expOverflowsToInfinity() {
        let xs = Sample.linspace(88.8, 1000, 1_000) + [.infinity, .greatestFiniteMagnitude, 88.8]
        let ys = mapped(xs) { VectorMath.exp($0) }
        #expect(ys.allSatisfy { $0 == .infinity })
    }

    @Test func expIsMonotoneAndPositiveAcrossTheRange() {
        let xs = Sample.linspace(-87, 88.7, 20_000)
        let ys = mapped(xs) { VectorMath.exp($0) }
        #expect(ys.allSatisfy { $0 > 0 })
        #expect(zip(ys, ys.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func expNonPositiveMatchesExp() {
        let xs = Sample.linspace(-100, 0, 20_001)
        for x in xs {
            let (a, b) = (VectorMath.expNonPositive(x), VectorMath.exp(x))
            #expect(a == b || abs(a - b) <= 2e-7 * b, "x = \(x): \(a) vs \(b)")
        }
        #expect(VectorMath.expNonPositive(.nan).isNaN)
        #expect(VectorMath.expNonPositive(-.infinity) == 0)
    }

    @Test func erfMatchesFoundation() {
        let xs = points(-6, 6, 10_000, seed: 2) + [0, 1e-6, -1e-6, 0.5, -0.5, 6, -6]
        let ys = mapped(xs) { VectorMath.erf($0) }
        // The rational form: about 4e-7 at worst (near |x| = 3.2), far better near 0.
        let (err, at) = worstAbsolute(xs, ys, Foundation.erf)
        #expect(err <= 5e-7, "worst absolute error \(err) at x = \(at)")
        let inner = xs.indices.filter { abs(xs[$0]) < 1 }
        let (innerErr, innerAt) = worstAbsolute(inner.map { xs[$0] }, inner.map { ys[$0] }, Foundation.erf)
        #expect(innerErr <= 2e-7, "worst absolute error \(innerErr) at x = \(innerAt) for |x| < 1")
        // Odd symmetry and saturation.
        let neg = mapped(xs.map { -$0 }) { VectorMath.erf($0) }
        #expect(zip(ys, neg).allSatisfy { $0 == -$1 })
        #expect(mapped([10, -10, 100, -100, .infinity, -.infinity]) { VectorMath.erf($0) } == [1, -1, 1, -1, 1, -1])
        #expect(abs(VectorMath.erf(0)) < 1e-7)
    }

    @Test func tanhMatchesFoundation() {
        let xs = points(-20, 20, 10_000, seed: 3) + [0, 1e-7, -1e-7, 0.01, -0.01]
        let ys = mapped(xs) { VectorMath.tanh($0) }
        let (err, at) = worstAbsolute(xs, ys, Foundation.tanh)
        #expect(err <= 1e-6, "worst absolute error \(err) at x = \(at)")
        #expect(mapped([100, -100, .infinity, -.infinity]) { VectorMath.tanh($0) } == [1, -1, 1, -1])
        #expect(ys.allSatisfy { abs($0) <= 1 })
    }

    @Test func sigmoidMatchesFoundation() {
        let xs = points(-100, 100, 10_000, seed: 4) + [0, 88.7, -88.7, 90, -90]
        let ys = mapped(xs) { VectorMath.sigmoid($0) }
        let (err, at) = worstAbsolute(xs, ys) { 1 / (1 + Foundation.exp(-$0)) }
        #expect(err <= 1e-6, "worst absolute error \(err) at x = \(at)")
        #expect(ys.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(mapped([.infinity, -.infinity, 0]) { VectorMath.sigmoid($0) } == [1, 0, 0.5])
    }

    @Test func nanPropagates() {
        // A NaN must stay visible (as with libm): a diverging run should not be masked by a finite value.
        let xs: [Float] = [.nan, -.nan, 1, .nan, 0, -3, .nan, 2, .nan]
        let nanLanes = xs.indices.filter { xs[$0].isNaN }
        for (name, f) in [("exp", VectorMath.exp), ("erf", VectorMath.erf),
                          ("tanh", VectorMath.tanh), ("sigmoid", VectorMath.sigmoid)] as [(String, (Float) -> Float)] {
            let ys = mapped(xs, f)
            #expect(nanLanes.allSatisfy { ys[$0].isNaN }, "\(name) of NaN: \(ys)")
            #expect(xs.indices.filter { !xs[$0].isNaN }.allSatisfy { ys[$0].isFinite }, "\(name) of finite values")
        }
        #expect(VectorMath.exp(.nan).isNaN)
    }

    @Test func reductionsMatchNaive() {
        for n in [0, 1, 7, 8, 9, 31, 257] {
            let xs = (0..<n).map { Float($0 % 13) * 0.37 - 2 }
            let ys = (0..<n).map { Float($0 % 7) * -0.21 + 1 }
            xs.withUnsafeBufferPointer { px in
                ys.withUnsafeBufferPointer { py in
                    guard let a = px.baseAddress, let b = py.baseAddress else { return }
                    #expect(abs(VectorMath.sum(a, n) - xs.reduce(0, +)) <= 1e-4)
                    #expect(abs(VectorMath.dot(a, b, n) - zip(xs, ys).map { $0 * $1 }.reduce(0, +)) <= 1e-4)
                    #expect(VectorMath.max(a, n) == (xs.max() ?? -.infinity))
                }
            }
        }
        let withNaN: [Float] = [1, 2, .nan, 3, 4, 5]
        withNaN.withUnsafeBufferPointer { #expect(VectorMath.max($0.baseAddress!, 6).isNaN) }
    }

    @Test(arguments: 0...20)
    func mapHandlesEveryTailLength(_ n: Int) {
        // Source and destination with sentinels around them: only the n elements are written.
        let xs = (0..<n).map { Float($0) * 0.25 - 2 }
        var buffer = [Float](repeating: 1234, count: n + 16)
        xs.withUnsafeBufferPointer { px in
            buffer.withUnsafeMutableBufferPointer { pb in
                VectorMath.map(px.baseAddress ?? UnsafePointer(pb.baseAddress!), pb.baseAddress! + 8, n) { $0 * 2 + 1 }
            }
        }
        #expect(buffer[..<8].allSatisfy { $0 == 1234 })
        #expect(buffer[(n + 8)...].allSatisfy { $0 == 1234 })
        #expect(Array(buffer[8..<(n + 8)]) == xs.map { $0 * 2 + 1 })
        // In place, as softmax uses it.
        var inPlace = xs
        inPlace.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { VectorMath.map(base, base, n) { VectorMath.exp($0) } }
        }
        #expect(inPlace == xs.map { VectorMath.exp($0) })
        // The tensor-level kernel too.
        let t = Tensor(xs, shape: [n])
        #expect(Kernels.apply(Pointwise.Tanh(), t).scalars == mapped(xs) { VectorMath.tanh($0) })
    }
}
