import CSDTensor
import Foundation
import Testing

/// Naive multi-head attention on [B, T, *] buffers with arbitrary row strides and column offsets.
private struct NaiveAttention {
    let b: Int, t: Int, h: Int, dh: Int
    let scale: Double

    /// Element (batch, token, head, d) of an operand stored at `offset` in rows of `stride`.
    func read(_ buf: [Double], _ offset: Int, _ stride: Int, _ n: Int, _ i: Int, _ hh: Int, _ d: Int) -> Double {
        buf[offset + (n * t + i) * stride + hh * dh + d]
    }

    /// Probabilities [B, H, T, T] and output [B, T, H * dh].
    func forward(q: [Double], qOff: Int, qStride: Int, k: [Double], kOff: Int, kStride: Int,
                 v: [Double], vOff: Int, vStride: Int) -> (probs: [Double], out: [Double]) {
        var probs = [Double](repeating: 0, count: b * h * t * t)
        var out = [Double](repeating: 0, count: b * t * h * dh)
        for n in 0..<b {
            for hh in 0..<h {
                for i in 0..<t {
                    var s = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        for d in 0..<dh {
                            s[j] += read(q, qOff, qStride, n, i, hh, d) * read(k, kOff, kStride, n, j, hh, d)
                        }
                        s[j] *= scale
                    }
                    let p = Naive.softmax(s)
                    for j in 0..<t { probs[((n * h + hh) * t + i) * t + j] = p[j] }
                    for d in 0..<dh {
                        var acc = 0.0
                        for j in 0..<t { acc += p[j] * read(v, vOff, vStride, n, j, hh, d) }
                        out[(n * t + i) * h * dh + hh * dh + d] = acc
                    }
                }
            }
        }
        return (probs, out)
    }

    /// dq, dk, dv as dense [B, T, H * dh] from dOut [B, T, H * dh] (dense), via
    /// dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(P * dP)), dQ = scale dS K, dK = scale dS^T Q.
    func backward(dOut: [Double], probs: [Double], q: [Double], qOff: Int, qStride: Int,
                  k: [Double], kOff: Int, kStride: Int, v: [Double], vOff: Int, vStride: Int)
        -> (dq: [Double], dk: [Double], dv: [Double])
    {
        let w = h * dh
        var dq = [Double](repeating: 0, count: b * t * w)
        var dk = dq, dv = dq
        for n in 0..<b {
            for hh in 0..<h {
                let p = { (i: Int, j: Int) in probs[((n * self.h + hh) * self.t + i) * self.t + j] }
                let dO = { (i: Int, d: Int) in dOut[(n * self.t + i) * w + hh * self.dh + d] }
                for j in 0..<t {
                    for d in 0..<dh {
                        var acc = 0.0
                        for i in 0..<t { acc += p(i, j) * dO(i, d) }
                        dv[(n * t + j) * w + hh * dh + d] = acc
                    }
                }
                var dS = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
                for i in 0..<t {
                    var dP = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        for d in 0..<dh { dP[j] += dO(i, d) * read(v, vOff, vStride, n, j, hh, d) }
                    }
                    let dot = (0..<t).map { p(i, $0) * dP[$0] }.reduce(0, +)
                    for j in 0..<t { dS[i][j] = p(i, j) * (dP[j] - dot) }
                }
                for i in 0..<t {
                    for d in 0..<dh {
                        var aq = 0.0, ak = 0.0
                        for j in 0..<t {
                            aq += dS[i][j] * read(k, kOff, kStride, n, j, hh, d)
                            ak += dS[j][i] * read(q, qOff, qStride, n, j, hh, d)
                        }
                        dq[(n * t + i) * w + hh * dh + d] = scale * aq
                        dk[(n * t + i) * w + hh * dh + d] = scale * ak
                    }
                }
            }
        }
        return (dq, dk, dv)
    }
}

/// Columns [offset, offset + width) of every row of a [rows, stride] buffer.
private func columns(_ buf: [Float], rows: Int, stride: Int, offset: Int, width: Int) -> [Float] {
    (0..<rows).flatMap { r in buf[(r * stride + offset)..<(r * stride + offset + width)] }
}

struct AttentionCase: Sendable, CustomTestStringConvertible {
    let batch: Int, tokens: Int, heads: Int, headDim: Int
    var testDescription: String { "B=\(batch) T=\(tokens) H=\(heads) dh=\(headDim)" }
}

@Suite struct AttentionKernelTests {
    static let cases: [AttentionCase] = [
        .init(batch: 2, tokens: 5, heads: 2, headDim: 3),
        .init(batch: 1, tokens: 1, heads: 2, headDim: 4),
        .init(batch: 3, tokens: 7, heads: 2, headDim: 8),
        .init(batch: 1, tokens: 9, heads: 1, headDim: 2),
    ]

    /// q, k, v read in place from a fused [B, T, 3D] buffer; out written into a wider [B, T, D + 5]
    /// buffer whose extra columns must stay untouched.
    @Test(arguments: cases)
    func forwardAndBackwardOnFusedQKV(_ c: AttentionCase) throws {
        let g = AttentionKernel.Geometry(batch: c.batch, tokens: c.tokens, heads: c.heads, headDim: c.headDim)
        let d = g.width, rows = c.batch * c.tokens, qkvStride = 3 * d, outStride = d + 5
        let scale = 1 / Float(c.headDim).squareRoot()
        let qkv = Sample.normal([c.batch, c.tokens, 3 * d], seed: 1)
        let sentinel: Float = -777
        let out = Tensor(repeating: sentinel, shape: [c.batch, c.tokens, outStride])
        let base = qkv.storage.pointer
        let q = AttentionKernel.Operand(base, rowStride: qkvStride)
        let k = AttentionKernel.Operand(base + d, rowStride: qkvStride)
        let v = AttentionKernel.Operand(base + 2 * d, rowStride: qkvStride)
        let o = AttentionKernel.Operand(out.storage.pointer + 2, rowStride: outStride)

        let probs = try #require(AttentionKernel.forward(q: q, k: k, v: v, out: o, geometry: g, scale: scale,
                                                         keepProbabilities: true))
        #expect(probs.shape == [c.batch, c.heads, c.tokens, c.tokens])

        let ref = NaiveAttention(b: c.batch, t: c.tokens, h: c.heads, dh: c.headDim, scale: Double(scale))
        let sq = qkv.scalars.map(Double.init)
        let expected = ref.forward(q: sq, qOff: 0, qStride: qkvStride, k: sq, kOff: d, kStride: qkvStride,
                                   v: sq, vOff: 2 * d, vStride: qkvStride)
        expectAllClose(probs.scalars, expected.probs, abs: 1e-6, rel: 1e-5, "probabilities")
        let so = out.scalars
        expectAllClose(columns(so, rows: rows, stride: outStride, offset: 2, width: d), expected.out,
                       abs: 1e-5, rel: 1e-5, "out")
        var untouched = [Float]()
        for r in 0..<rows {
            let start = r * outStride
            untouched += so[start..<(start + 2)]
            untouched += so[(start + 2 + d)..<(start + outStride)]
        }
        #expect(untouched.allSatisfy { $0 == sentinel }, "columns outside the output slice were written")

        // Without kept probabilities: the same output up to rounding (inference normalises the
        // output rows instead of the probabilities), nothing returned.
        let out2 = Tensor(repeating: sentinel, shape: [c.batch, c.tokens, d])
        let none = AttentionKernel.forward(q: q, k: k, v: v, out: .init(out2.storage.pointer, rowStride: d),
                                           geometry: g, scale: scale, keepProbabilities: false)
        #expect(none == nil)
        #expect(zip(out2.scalars, columns(so, rows: rows, stride: outStride, offset: 2, width: d))
            .allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })

        // Backward into a fused [B, T, 3D] gradient buffer.
        let dOut = Sample.normal([c.batch, c.tokens, d], seed: 2)
        let grad = Tensor(repeating: .nan, shape: [c.batch, c.tokens, 3 * d])
        let gp = grad.storage.pointer
        AttentionKernel.backward(dOut: .init(dOut.storage.pointer, rowStride: d), q: q, k: k, v: v,
                                 probabilities: probs,
                                 dq: .init(gp, rowStride: qkvStride), dk: .init(gp + d, rowStride: qkvStride),
                                 dv: .init(gp + 2 * d, rowStride: qkvStride), geometry: g, scale: scale)
        let naiveGrads = ref.backward(dOut: dOut.scalars.map(Double.init), probs: expected.probs,
                                      q: sq, qOff: 0, qStride: qkvStride, k: sq, kOff: d, kStride: qkvStride,
                                      v: sq, vOff: 2 * d, vStride: qkvStride)
        let sg = grad.scalars
        expectAllClose(columns(sg, rows: rows, stride: qkvStride, offset: 0, width: d), naiveGrads.dq,
                       abs: 1e-5, rel: 1e-4, "dq")
        expectAllClose(columns(sg, rows: rows, stride: qkvStride, offset: d, width: d), naiveGrads.dk,
                       abs: 1e-5, rel: 1e-4, "dk")
        expectAllClose(columns(sg, rows: rows, stride: qkvStride, offset: 2 * d, width: d), naiveGrads.dv,
                       abs: 1e-5, rel: 1e-4, "dv")

        // Only the requested gradients are written (the others keep their NaN fill).
        let partial = Tensor(repeating: .nan, shape: [c.batch, c.tokens, 3 * d])
        let pp = partial.storage.pointer
        AttentionKernel.backward(dOut: .init(dOut.storage.pointer, rowStride: d), q: q, k: k, v: v,
                                 probabilities: probs, dq: nil, dk: .init(pp + d, rowStride: qkvStride), dv: nil,
                                 geometry: g, scale: scale)
        let sp = partial.scalars
        #expect(columns(sp, rows: rows, stride: qkvStride, offset: d, width: d)
                == columns(sg, rows: rows, stride: qkvStride, offset: d, width: d))
        #expect(columns(sp, rows: rows, stride: qkvStride, offset: 0, width: d).allSatisfy { $0.isNaN })
        #expect(columns(sp, rows: rows, stride: qkvStride, offset: 2 * d, width: d).allSatisfy { $0.isNaN })
        withExtendedLifetime((qkv, out, out2, grad, partial, dOut)) {}
    }

    /// Separate dense q, k, v tensors (row stride == width) give the same result as the fused layout.
    @Test func separateOperandsMatchFused() {
        let g = AttentionKernel.Geometry(batch: 2, tokens: 4, heads: 2, headDim: 3)
        let d = g.width
        let qkv = Sample.normal([2, 4, 3 * d], seed: 3)
        let parts = (0..<3).map { Kernels.slice(qkv, axis: 2, range: ($0 * d)..<($0 * d + d)) }
        let fusedOut = Tensor(zeros: [2, 4, d]), denseOut = Tensor(zeros: [2, 4, d])
        let base = qkv.storage.pointer
        _ = AttentionKernel.forward(q: .init(base, rowStride: 3 * d), k: .init(base + d, rowStride: 3 * d),
                                    v: .init(base + 2 * d, rowStride: 3 * d),
                                    out: .init(fusedOut.storage.pointer, rowStride: d), geometry: g, scale: 0.3,
                                    keepProbabilities: false)
        _ = AttentionKernel.forward(q: .init(parts[0].storage.pointer, rowStride: d),
                                    k: .init(parts[1].storage.pointer, rowStride: d),
                                    v: .init(parts[2].storage.pointer, rowStride: d),
                                    out: .init(denseOut.storage.pointer, rowStride: d), geometry: g, scale: 0.3,
                                    keepProbabilities: false)
        expectAllClose(denseOut.scalars, fusedOut.scalars, abs: 1e-6)
        withExtendedLifetime((qkv, parts, fusedOut, denseOut)) {}
    }

    /// Checks the naive backward itself against central differences of the naive forward, so the
    /// reference the kernel is held to is right.
    @Test func naiveReferenceBackwardMatchesFiniteDifferences() {
        let (b, t, h, dh) = (1, 3, 2, 2)
        let w = h * dh
        let ref = NaiveAttention(b: b, t: t, h: h, dh: dh, scale: 0.7)
        let qkv = Sample.normal([b * t * 3 * w], seed: 4).scalars.map(Double.init)
        let dOut = Sample.normal([b * t * w], seed: 5).scalars.map(Double.init)
        func loss(_ buf: [Double]) -> Double {
            let o = ref.forward(q: buf, qOff: 0, qStride: 3 * w, k: buf, kOff: w, kStride: 3 * w,
                                v: buf, vOff: 2 * w, vStride: 3 * w).out
            return zip(o, dOut).map(*).reduce(0, +)
        }
        let f = ref.forward(q: qkv, qOff: 0, qStride: 3 * w, k: qkv, kOff: w, kStride: 3 * w,
                            v: qkv, vOff: 2 * w, vStride: 3 * w)
        let grads = ref.backward(dOut: dOut, probs: f.probs, q: qkv, qOff: 0, qStride: 3 * w,
                                 k: qkv, kOff: w, kStride: 3 * w, v: qkv, vOff: 2 * w, vStride: 3 * w)
        for i in qkv.indices {
            var p = qkv, m = qkv
            p[i] += 1e-6; m[i] -= 1e-6
            let numeric = (loss(p) - loss(m)) / 2e-6
            let row = i / (3 * w), col = i % (3 * w)
            let analytic = [grads.dq, grads.dk, grads.dv][col / w][row * w + col % w]
            #expect(abs(numeric - analytic) < 1e-6, "element \(i): \(numeric) vs \(analytic)")
        }
    }
}
