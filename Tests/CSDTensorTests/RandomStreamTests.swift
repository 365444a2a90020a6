import CSDTensor
import Foundation
import Testing

private func draws(_ rng: inout RandomStream, _ n: Int) -> [UInt32] {
    (0..<n).map { _ in rng.nextUInt32() }
}

@Suite struct RandomStreamTests {
    @Test(arguments: [UInt64(0), 1, 42, .max], [UInt64(0), 3, .max])
    func sameSeedAndStreamReproduce(seed: UInt64, stream: UInt64) {
        var a = RandomStream(seed: seed, stream: stream)
        var b = RandomStream(seed: seed, stream: stream)
        #expect(draws(&a, 1000) == draws(&b, 1000))
        #expect((0..<100).map { _ in a.normal() } == (0..<100).map { _ in b.normal() })
        #expect((0..<100).map { _ in a.uniform() } == (0..<100).map { _ in b.uniform() })
        #expect(a.permutation(30) == b.permutation(30))
        #expect(a.next() == b.next())
    }

    @Test func differentStreamsDiffer() {
        var firsts = Set<[UInt32]>()
        for stream in UInt64(0)..<32 {
            var r = RandomStream(seed: 7, stream: stream)
            firsts.insert(draws(&r, 8))
        }
        #expect(firsts.count == 32)
    }

    @Test func differentSeedsDiffer() {
        var firsts = Set<[UInt32]>()
        for seed in UInt64(0)..<32 {
            var r = RandomStream(seed: seed, stream: 0)
            firsts.insert(draws(&r, 8))
        }
        #expect(firsts.count == 32)
    }

    @Test func streamsAreNotShiftedCopies() {
        // Independent streams must not be the same sequence at an offset (a classic PCG misuse).
        var a = RandomStream(seed: 5, stream: 0), b = RandomStream(seed: 5, stream: 1)
        let sa = draws(&a, 4096), sb = draws(&b, 4096)
        func window(_ s: [UInt32], _ i: Int) -> [UInt32] { Array(s[i..<(i + 4)]) }
        let windows = Set((0..<(sa.count - 3)).map { window(sa, $0) })
        let shared = (0..<(sb.count - 3)).filter { windows.contains(window(sb, $0)) }
        #expect(shared.isEmpty)
    }

    @Test func streamsAreUncorrelated() {
        var a = RandomStream(seed: 11, stream: 0), b = RandomStream(seed: 11, stream: 1)
        let n = 100_000
        var sab = 0.0, sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0
        for _ in 0..<n {
            let x = Double(a.uniform()), y = Double(b.uniform())
            sab += x * y; sa += x; sb += y; saa += x * x; sbb += y * y
        }
        let cov = sab / Double(n) - sa * sb / Double(n * n)
        let corr = cov / ((saa / Double(n) - pow(sa / Double(n), 2)) * (sbb / Double(n) - pow(sb / Double(n), 2))).squareRoot()
        #expect(abs(corr) < 0.02)
    }

    @Test func uniformInUnitIntervalWithRightMoments() {
        var r = RandomStream(seed: 123)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0, lo: Float = 1, hi: Float = 0
        var buckets = [Int](repeating: 0, count: 10)
        var outside = 0
        for _ in 0..<n {
            let u = r.uniform()
            if !(u >= 0 && u < 1) { outside += 1; continue }
            lo = min(lo, u); hi = max(hi, u)
            sum += Double(u); sumSq += Double(u) * Double(u)
            buckets[Int(u * 10)] += 1
        }
        #expect(outside == 0)
        let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean - 0.5) < 0.01)
        #expect(abs(variance - 1.0 / 12) < 0.005)
        #expect(lo < 0.001 && hi > 0.999)
        #expect(buckets.allSatisfy { abs($0 - n / 10) < 600 }, "\(buckets)")
    }

    @Test func uniformRange() {
        var r = RandomStream(seed: 3)
        let values = (0..<10_000).map { _ in r.uniform(-2, 5) }
        #expect(values.allSatisfy { $0 >= -2 && $0 <= 5 })
        #expect(values.min()! < -1.99 && values.max()! > 4.99)
    }

    @Test func normalMoments() {
        var r = RandomStream(seed: 2024, stream: 9)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0, sum4 = 0.0, within1 = 0
        var nonFinite = 0
        for _ in 0..<n {
            let z = Double(r.normal())
            if !z.isFinite { nonFinite += 1; continue }
            sum += z; sumSq += z * z; sum4 += z * z * z * z
            if abs(z) < 1 { within1 += 1 }
        }
        #expect(nonFinite == 0)
        let mean = sum / Double(n)
        let std = (sumSq / Double(n) - mean * mean).squareRoot()
        #expect(abs(mean) < 0.02)
        #expect(abs(std - 1) < 0.02)
        #expect(abs(sum4 / Double(n) - 3) < 0.15, "kurtosis of a normal is 3")
        #expect(abs(Double(within1) / Double(n) - 0.6827) < 0.01)
    }

    @Test func fillAndFactoryHelpers() {
        var r1 = RandomStream(seed: 1), r2 = RandomStream(seed: 1)
        let a = Tensor.randomNormal([50, 40], mean: 3, std: 0.5, using: &r1)
        let b = Tensor.randomNormal([50, 40], mean: 3, std: 0.5, using: &r2)
        #expect(a.scalars == b.scalars)
        let mean = a.scalars.reduce(0.0) { $0 + Double($1) } / 2000
        #expect(abs(mean - 3) < 0.05)
        let u = Tensor.randomUniform([1000], low: -1, high: -0.5, using: &r1)
        #expect(u.scalars.allSatisfy { $0 >= -1 && $0 <= -0.5 })
        var t = Tensor(zeros: [10])
        let shared = t
        r1.fillNormal(&t)
        #expect(shared.scalars.allSatisfy { $0 == 0 }, "filling copies a shared storage first")
        #expect(t.scalars.contains { $0 != 0 })
    }

    @Test(arguments: [0, 1, 2, 10, 1000])
    func permutationIsAReproduciblePermutation(_ n: Int) {
        var a = RandomStream(seed: 99, stream: 4), b = RandomStream(seed: 99, stream: 4)
        let p = a.permutation(n)
        #expect(p.sorted() == Array(0..<n))
        #expect(p == b.permutation(n))
        if n >= 10 {
            var c = RandomStream(seed: 100, stream: 4)
            #expect(c.permutation(n) != p, "a different seed gives a different order")
            #expect(a.permutation(n) != p, "successive permutations differ")
        }
    }

    @Test func permutationIsRoughlyUniform() {
        // Each of the 6 orders of 3 items appears about 1/6 of the time; each item lands everywhere.
        var r = RandomStream(seed: 17)
        var counts = [[Int]: Int]()
        let n = 60_000
        for _ in 0..<n { counts[r.permutation(3), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { abs($0 - n / 6) < 500 }, "\(counts)")
    }

    @Test func shuffleKeepsElements() {
        var r = RandomStream(seed: 8)
        var words = ["a", "b", "c", "d", "e", "f", "g"]
        r.shuffle(&words)
        #expect(words.sorted() == ["a", "b", "c", "d", "e", "f", "g"])
        var one = [1]
        r.shuffle(&one)
        #expect(one == [1])
        var none = [Int]()
        r.shuffle(&none)
        #expect(none.isEmpty)
    }

    @Test(arguments: [1, 2, 3, 7, 10, 1000, Int(UInt32.max) + 7])
    func intBelowWithinBounds(_ bound: Int) {
        var r = RandomStream(seed: 31, stream: UInt64(bound))
        let values = (0..<5_000).map { _ in r.int(below: bound) }
        #expect(values.allSatisfy { $0 >= 0 && $0 < bound })
        if bound == 1 { #expect(values.allSatisfy { $0 == 0 }) }
        if (2...10).contains(bound) { #expect(Set(values).count == bound, "every value appears") }
    }

    @Test func intBelowRoughlyUniform() {
        var r = RandomStream(seed: 5)
        let n = 100_000, bound = 10
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<n { counts[r.int(below: bound)] += 1 }
        // Pearson chi-square with 9 degrees of freedom: 40 is far beyond the 0.9999 quantile (~33.7).
        let expected = Double(n) / Double(bound)
        let chi2 = counts.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        #expect(chi2 < 40, "\(counts)")
        // A bound b with 2^64 = 2b + b/2: plain `x % b` would land in the lower half 60% of the time.
        var low = 0
        let big = Int.max / 5 * 4
        for _ in 0..<30_000 where r.int(below: big) < big / 2 { low += 1 }
        #expect(abs(Double(low) / 30_000 - 0.5) < 0.02)
    }

    @Test func derivedStreamsAreReproducibleAndDistinct() {
        let base = RandomStream(seed: 77, stream: 2)
        var d1 = base.derived(5), d2 = base.derived(5)
        #expect(draws(&d1, 100) == draws(&d2, 100))
        var e = base.derived(6)
        var f = base.derived(5)
        #expect(draws(&e, 8) != draws(&f, 8))
        // derived() does not advance the parent, and the child differs from the parent.
        var parent = base, again = RandomStream(seed: 77, stream: 2)
        var child = base.derived(0)
        let ps = draws(&parent, 8)
        #expect(ps == draws(&again, 8))
        #expect(draws(&child, 8) != ps)
        // Other seeds give other derived streams.
        var other = RandomStream(seed: 78, stream: 2).derived(5)
        var same = base.derived(5)
        #expect(draws(&other, 8) != draws(&same, 8))
        // Per-epoch streams of one run are distinct.
        var firsts = Set<[UInt32]>()
        for epoch in UInt64(0)..<16 {
            var s = base.derived(epoch)
            firsts.insert(draws(&s, 4))
        }
        #expect(firsts.count == 16)
    }

    @Test func derivedFromAdvancedStateIsReproducible() {
        var a = RandomStream(seed: 9), b = RandomStream(seed: 9)
        _ = draws(&a, 17); _ = draws(&b, 17)
        var da = a.derived(3), db = b.derived(3)
        #expect(draws(&da, 50) == draws(&db, 50))
    }

    @Test func usableAsSystemGenerator() {
        var r1 = RandomStream(seed: 4), r2 = RandomStream(seed: 4)
        let a = (0..<20).shuffled(using: &r1), b = (0..<20).shuffled(using: &r2)
        #expect(a == b)
        #expect(Int.random(in: 0..<100, using: &r1) == Int.random(in: 0..<100, using: &r2))
    }
}
