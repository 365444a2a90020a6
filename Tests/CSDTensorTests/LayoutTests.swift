import CSDTensor
import Testing

/// out[i_0, .., i_r] = x[j] with j[perm[d]] = i[d].
private func naivePermute(_ x: Tensor, _ perm: [Int]) -> [Float] {
    let outShape = perm.map { x.shape[$0] }
    let sx = x.scalars
    return (0..<x.count).map { flat in
        let o = Naive.unravel(flat, outShape)
        var src = [Int](repeating: 0, count: x.rank)
        for d in 0..<perm.count { src[perm[d]] = o[d] }
        return sx[Naive.ravel(src, x.shape)]
    }
}

private func allPermutations(_ n: Int) -> [[Int]] {
    if n == 0 { return [[]] }
    return allPermutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
}

/// Elements of `x` whose index along `axis` lies in `range`, by index arithmetic.
private func naiveSlice(_ x: Tensor, axis: Int, range: Range<Int>) -> [Float] {
    let sx = x.scalars
    return (0..<x.count).compactMap { flat in
        range.contains(Naive.unravel(flat, x.shape)[axis]) ? sx[flat] : nil
    }
}

/// A tensor whose values encode their own index, so misplaced elements are easy to spot.
private func indexed(_ shape: [Int]) -> Tensor {
    Tensor((0..<Naive.count(shape)).map(Float.init), shape: shape)
}

@Suite struct LayoutTests {
    @Test(arguments: allPermutations(4))
    func permuteRank4(_ perm: [Int]) {
        let x = indexed([2, 3, 4, 5])
        let y = Kernels.permute(x, perm)
        #expect(y.shape == perm.map { x.shape[$0] })
        #expect(y.scalars == naivePermute(x, perm), "perm \(perm)")
        // Applying the inverse permutation restores x.
        var inverse = [Int](repeating: 0, count: 4)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        #expect(Kernels.permute(y, inverse).scalars == x.scalars)
    }

    @Test(arguments: [[1, 0], [0, 1]])
    func permuteRank2(_ perm: [Int]) {
        let x = Sample.normal([7, 11], seed: 3)
        #expect(Kernels.permute(x, perm).scalars == naivePermute(x, perm))
    }

    @Test func permuteRank3AndSizeOneDimensions() {
        for (shape, perm) in [([1, 5, 1], [2, 0, 1]), ([3, 1, 4], [1, 2, 0]), ([2, 3, 1], [0, 2, 1]),
                              ([4, 2, 3], [2, 1, 0]), ([1, 1, 1], [2, 1, 0])] {
            let x = indexed(shape)
            #expect(Kernels.permute(x, perm).scalars == naivePermute(x, perm), "\(shape) \(perm)")
        }
    }

    @Test func identityPermutationSharesStorage() {
        let x = indexed([2, 3, 4])
        let y = Kernels.permute(x, [0, 1, 2])
        #expect(y.storage === x.storage)
        #expect(y.shape == x.shape)
    }

    @Test func permuteEmpty() {
        let y = Kernels.permute(Tensor(zeros: [2, 0, 3]), [2, 0, 1])
        #expect(y.shape == [3, 2, 0] && y.count == 0)
    }

    @Test func permuteLargeParallelMatchesSerial() {
        // Several chunks of rows, both the contiguous-inner and the strided-inner copy.
        let x = Sample.normal([64, 32, 48], seed: 4)
        for perm in [[2, 0, 1], [1, 0, 2], [0, 2, 1]] {
            let y = Kernels.permute(x, perm)
            let serial = Threads.withLimit(1) { Kernels.permute(x, perm) }
            #expect(y.scalars == serial.scalars, "perm \(perm)")
            let sx = x.scalars, sy = y.scalars, outShape = y.shape
            for flat in stride(from: 0, to: y.count, by: 331) {
                let o = Naive.unravel(flat, outShape)
                var src = [0, 0, 0]
                for d in 0..<3 { src[perm[d]] = o[d] }
                #expect(sy[flat] == sx[Naive.ravel(src, x.shape)])
            }
        }
    }

    @Test(arguments: [0, 1, 2, -1])
    func sliceMatchesNaive(_ axis: Int) {
        let x = indexed([3, 4, 5])
        let ax = axis < 0 ? axis + 3 : axis
        for range in [0..<1, 1..<3, 0..<x.shape[ax], (x.shape[ax] - 1)..<x.shape[ax], 2..<2] {
            let s = Kernels.slice(x, axis: axis, range: range)
            var expectedShape = x.shape
            expectedShape[ax] = range.count
            #expect(s.shape == expectedShape)
            #expect(s.scalars == naiveSlice(x, axis: ax, range: range), "axis \(axis) range \(range)")
        }
    }

    @Test(arguments: [0, 1, 2, -2])
    func sliceUnsliceRoundTrip(_ axis: Int) {
        let x = Sample.normal([3, 4, 5], seed: 8)
        let ax = axis < 0 ? axis + 3 : axis
        let n = x.shape[ax]
        for range in [0..<1, 1..<3, 0..<n, 2..<n] {
            let s = Kernels.slice(x, axis: axis, range: range)
            let u = Kernels.unslice(s, axis: axis, range: range, shape: x.shape)
            #expect(u.shape == x.shape)
            let sx = x.scalars, su = u.scalars
            let wrong = (0..<x.count).filter { flat in
                su[flat] != (range.contains(Naive.unravel(flat, x.shape)[ax]) ? sx[flat] : 0)
            }
            #expect(wrong.isEmpty, "axis \(axis) range \(range): wrong at \(wrong.prefix(5))")
        }
        // Unslicing a partition and adding the pieces gives x back.
        var total = Tensor(zeros: x.shape)
        for range in [0..<1, 1..<(n - 1), (n - 1)..<n] {
            Kernels.accumulate(&total, Kernels.unslice(Kernels.slice(x, axis: axis, range: range),
                                                       axis: axis, range: range, shape: x.shape))
        }
        #expect(total.scalars == x.scalars)
    }

    @Test(arguments: [0, 1, 2, -1])
    func concatAlongEachAxis(_ axis: Int) {
        let ax = axis < 0 ? axis + 3 : axis
        var shapes: [[Int]] = []
        for extent in [2, 1, 3] {
            var s = [2, 3, 4]
            s[ax] = extent
            shapes.append(s)
        }
        let parts = shapes.enumerated().map { Sample.normal($1, seed: UInt64(20 + $0)) }
        let c = Kernels.concat(parts, axis: axis)
        var expectedShape = [2, 3, 4]
        expectedShape[ax] = 6
        #expect(c.shape == expectedShape)
        // Naive: element i of c along ax comes from the part whose offset range holds it.
        let sc = c.scalars
        let offsets = [0, 2, 3, 6]
        for flat in 0..<c.count {
            var idx = Naive.unravel(flat, c.shape)
            let p = (0..<3).first { offsets[$0 + 1] > idx[ax] }!
            idx[ax] -= offsets[p]
            #expect(sc[flat] == parts[p].scalars[Naive.ravel(idx, shapes[p])], "axis \(axis) at \(flat)")
        }
        // Slicing the pieces back out recovers them.
        for p in 0..<3 {
            #expect(Kernels.slice(c, axis: axis, range: offsets[p]..<offsets[p + 1]).scalars == parts[p].scalars)
        }
    }

    @Test func concatSingleAndEmptyPieces() {
        let x = indexed([2, 3])
        #expect(Kernels.concat([x], axis: 1).scalars == x.scalars)
        let empty = Tensor(zeros: [2, 0])
        let c = Kernels.concat([empty, x, empty], axis: 1)
        #expect(c.shape == [2, 3] && c.scalars == x.scalars)
        #expect(Kernels.concat([x, x], axis: 0).scalars == x.scalars + x.scalars)
        #expect(Kernels.concat([x, x], axis: 1).scalars == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
    }

    @Test func gatherRowsPicksLeadingEntriesInOrderWithRepeats() {
        let x = indexed([4, 2, 3])
        let rows = [3, 0, 3, 1]
        let g = Kernels.gatherRows(x, rows)
        #expect(g.shape == [4, 2, 3])
        #expect(g.scalars == rows.flatMap { Array(x.scalars[($0 * 6)..<($0 * 6 + 6)]) })
        #expect(Kernels.gatherRows(x, []).shape == [0, 2, 3])
    }
}
