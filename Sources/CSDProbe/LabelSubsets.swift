/// Class-balanced, nested labeled subsets, reproducible from a seed in any language.
///
/// For seed s every train index i gets the key splitmix64(s * 0x9E3779B97F4A7C15 + i); each
/// class's indices are ordered by key (ties by index), and classes by
/// splitmix64(s * 0x9E3779B97F4A7C15 + 0xC1A55 + c). A subset of size n takes n / K samples
/// from every class and one more from each of the first n % K classes in class order, each
/// class in its own order; so a subset is contained in every larger one of the same seed. A
/// class that runs out gives its share to the next classes in class order. `tools/csd_reference.py`
/// implements the same rule; a fixture checks both agree.
public enum LabelSubsets {
    @inline(__always)
    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func key(seed: Int, _ value: UInt64) -> UInt64 {
        splitmix64(UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 &+ value)
    }

    /// Indices (sorted ascending) of the labeled subset of size `n` (nil = all) for `seed`.
    public static func subset(labels: [Int], classes: Int, size n: Int?, seed: Int) -> [Int] {
        guard let n, n < labels.count else { return Array(labels.indices) }
        var perClass = [[Int]](repeating: [], count: classes)
        for (i, y) in labels.enumerated() where y >= 0 && y < classes { perClass[y].append(i) }
        for c in 0..<classes {
            perClass[c].sort { (key(seed: seed, UInt64($0)), $0) < (key(seed: seed, UInt64($1)), $1) }
        }
        let classOrder = (0..<classes).sorted {
            (key(seed: seed, 0xC1A55 + UInt64($0)), $0) < (key(seed: seed, 0xC1A55 + UInt64($1)), $1)
        }
        // Quotas: n / K each, the remainder one each to the first classes in class order.
        var quota = [Int](repeating: n / classes, count: classes)
        for c in classOrder.prefix(n % classes) { quota[c] += 1 }
        // Classes too small give their excess to the others, in class order, round by round.
        var excess = 0
        for c in 0..<classes where quota[c] > perClass[c].count {
            excess += quota[c] - perClass[c].count
            quota[c] = perClass[c].count
        }
        while excess > 0 {
            var gave = false
            for c in classOrder where excess > 0 && quota[c] < perClass[c].count {
                quota[c] += 1
                excess -= 1
                gave = true
            }
            if !gave { break }
        }
        var chosen: [Int] = []
        for c in 0..<classes { chosen += perClass[c].prefix(quota[c]) }
        return chosen.sorted()
    }
}
