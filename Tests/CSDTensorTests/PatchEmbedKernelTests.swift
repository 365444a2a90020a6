import CSDTensor
import Testing

struct PatchCase: Sendable, CustomTestStringConvertible {
    let shape: [Int]   // [B, C, H, W]
    let patch: Int
    var testDescription: String { "\(shape) p=\(patch)" }
}

@Suite struct PatchEmbedKernelTests {
    static let cases: [PatchCase] = [
        .init(shape: [2, 3, 8, 8], patch: 4),
        .init(shape: [2, 3, 7, 9], patch: 3),    // one trailing row dropped
        .init(shape: [1, 2, 10, 11], patch: 4),  // trailing rows and columns dropped
        .init(shape: [2, 1, 5, 6], patch: 2),
        .init(shape: [1, 3, 4, 4], patch: 1),
        .init(shape: [1, 2, 3, 3], patch: 3),    // a single patch
        .init(shape: [2, 3, 32, 30], patch: 4),  // enough patch rows for several workers
        .init(shape: [1, 2, 3, 5], patch: 4),    // no complete patch at all
    ]

    @Test(arguments: cases)
    func im2colMatchesNaiveIndexing(_ c: PatchCase) {
        let (b, ch, h, w, p) = (c.shape[0], c.shape[1], c.shape[2], c.shape[3], c.patch)
        let (nh, nw) = PatchEmbedKernel.grid(height: h, width: w, patch: p)
        #expect(nh == h / p && nw == w / p)
        let x = Sample.normal(c.shape, seed: 1)
        let cols = PatchEmbedKernel.im2col(x, patch: p)
        #expect(cols.shape == [b * nh * nw, ch * p * p])
        let sx = x.scalars, sc = cols.scalars
        var expected = [Float]()
        for n in 0..<b {
            for iy in 0..<nh {
                for ix in 0..<nw {
                    for cc in 0..<ch {
                        for ky in 0..<p {
                            for kx in 0..<p {
                                expected.append(sx[Naive.ravel([n, cc, iy * p + ky, ix * p + kx], c.shape)])
                            }
                        }
                    }
                }
            }
        }
        #expect(sc == expected)
    }

    @Test(arguments: cases)
    func col2imIsTheAdjointOfIm2col(_ c: PatchCase) {
        let x = Sample.normal(c.shape, seed: 2)
        let cols = PatchEmbedKernel.im2col(x, patch: c.patch)
        let y = Sample.normal(cols.shape, seed: 3)
        let back = PatchEmbedKernel.col2im(y, imageShape: c.shape, patch: c.patch)
        #expect(back.shape == c.shape)
        let lhs = Naive.dot(cols.scalars, y.scalars), rhs = Naive.dot(x.scalars, back.scalars)
        #expect(abs(lhs - rhs) <= 1e-9 * max(1, abs(lhs)), "<im2col(x), y> = \(lhs), <x, col2im(y)> = \(rhs)")
        // Patches do not overlap, so col2im(im2col(x)) keeps the covered pixels and zeroes the rest.
        let round = PatchEmbedKernel.col2im(cols, imageShape: c.shape, patch: c.patch).scalars
        let (h, w, p) = (c.shape[2], c.shape[3], c.patch)
        let sx = x.scalars
        let wrong = (0..<x.count).filter { flat in
            let idx = Naive.unravel(flat, c.shape)
            let covered = idx[2] < (h / p) * p && idx[3] < (w / p) * p
            return round[flat] != (covered ? sx[flat] : 0)
        }
        #expect(wrong.isEmpty, "pixels \(wrong.prefix(5).map { Naive.unravel($0, c.shape) }) wrong")
    }

    @Test(arguments: cases)
    func im2colTimesWeightIsTheConvolution(_ c: PatchCase) {
        let (b, ch, h, w, p) = (c.shape[0], c.shape[1], c.shape[2], c.shape[3], c.patch)
        let e = 5
        let x = Sample.normal(c.shape, seed: 4)
        let weight = Sample.normal([e, ch, p, p], seed: 5)
        let rows = PatchEmbedKernel.im2col(x, patch: p)
        let out = rows.matmul(weight.reshaped([e, ch * p * p]), transposeOther: true)
        let (nh, nw) = (h / p, w / p)
        #expect(out.shape == [b * nh * nw, e])
        // A strided convolution with kernel == stride == p, in PyTorch's [E, C, p, p] layout.
        var expected = [Double]()
        let sx = x.scalars, sw = weight.scalars
        for n in 0..<b {
            for iy in 0..<nh {
                for ix in 0..<nw {
                    for oc in 0..<e {
                        var acc = 0.0
                        for cc in 0..<ch {
                            for ky in 0..<p {
                                for kx in 0..<p {
                                    acc += Double(sw[Naive.ravel([oc, cc, ky, kx], [e, ch, p, p])])
                                        * Double(sx[Naive.ravel([n, cc, iy * p + ky, ix * p + kx], c.shape)])
                                }
                            }
                        }
                        expected.append(acc)
                    }
                }
            }
        }
        expectAllClose(out.scalars, expected, abs: 1e-5, rel: 1e-5)
    }

    @Test func parallelMatchesSerial() {
        let x = Sample.normal([4, 3, 64, 64], seed: 6)
        let cols = PatchEmbedKernel.im2col(x, patch: 8)
        #expect(cols.scalars == Threads.withLimit(1) { PatchEmbedKernel.im2col(x, patch: 8) }.scalars)
        let back = PatchEmbedKernel.col2im(cols, imageShape: x.shape, patch: 8)
        #expect(back.scalars == x.scalars)
    }
}
