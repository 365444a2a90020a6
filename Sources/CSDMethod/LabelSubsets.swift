
/// Class-balanced, nested labeled subsets, reproducible from a seed in any language.
///
/// For seed s every train index i gets the key splitmix64(s * 0x9E3779B97F4A7C15 + i); each
/// class's indices are ordered by key (ties by index), and the classes by
/// splitmix64(s * 0x9E3779B97F4A7C15 + 0xC1A55 + c). The labeling sequence then takes, round
/// after round, the next sample of every class in class order (skipping classes that ran out);
/// the subset of size n is the first n entries. So a class gets n / K samples and the first
/// n % K classes one more while they last (water-filling beyond), and every subset of a seed
/// is contained in the larger ones. `tools/csd_reference.py` implements the same rule; a
/// fixture checks that both pick the same indices.
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

    /// Every train index in labeling order for `seed`.
    public static func sequence(labels: [Int], classes: Int, seed: Int) -> [Int] {
        var perClass = [[Int]](repeating: [], count: classes)
        for (i, y) in labels.enumerated() where y >= 0 && y < classes { perClass[y].append(i) }
        for c in 0..<classes {
            perClass[c].sort { (key(seed: seed, UInt64($0)), $0) < (key(seed: seed, UInt64($1)), $1) }
        }
        let classOrder = (0..<classes).sorted {
            (key(seed: seed, 0xC1A55 + UInt64($0)), $0) < (key(seed: seed, 0xC1A55 + UInt64($1)), $1)
        }
        var out: [Int] = []
        out.reserveCapacity(labels.count)
        for round in 0..<(perClass.map(\.count).max() ?? 0) {
            for c in classOrder where round < perClass[c].count { out.append(perClass[c][round]) }
        }
        return out
    }

    /// Indices (sorted ascending) of the labeled subset of size `n` (nil = all) for `seed`.
    public static func subset(labels: [Int], classes: Int, size n: Int?, seed: Int) -> [Int] {
        guard let n, n < labels.count else { return Array(labels.indices) }
        return Array(sequence(labels: labels, classes: classes, seed: seed).prefix(n)).sorted()
    }

    /// The train rows split into a held-out validation subset of `perClass` rows of every class
    /// (fewer where a class has fewer) and the rest, from which the labeled subsets and the
    /// unlabeled pool are then drawn, so validation rows are never trained on. The validation
    /// rows follow the same rule as the labeled subsets with the seed's keys salted (seed
    /// s uses the sequence of seed s ^ validationSalt), so they differ from the labeled rows
    /// a same-seed subset of the full split would pick. With `perClass` 0 the rest is every row.
    public static func holdOut(labels: [Int], classes: Int, perClass: Int, seed: Int) -> (validation: [Int], rest: [Int]) {
        guard perClass > 0 else { return ([], Array(labels.indices)) }
        var taken = [Int](repeating: 0, count: classes)
        var validation: [Int] = []
        for i in sequence(labels: labels, classes: classes, seed: seed ^ validationSalt) where taken[labels[i]] < perClass {
            taken[labels[i]] += 1
            validation.append(i)
        }
        validation.sort()
        var isValidation = [Bool](repeating: false, count: labels.count)
        for i in validation { isValidation[i] = true }
        return (validation, labels.indices.filter { !isValidation[$0] })
    }

    static let validationSalt = 0x5A11_DA7E

    /// The default validation size (`--validation-per-class auto`): 10 rows per class, at most a
    /// tenth of the train split. Semi-supervised evaluation stays realistic only with a small
    /// validation set (a large one would be better spent as labels); 10 per class is enough to
    /// rank a run's evaluations and costs 100 rows on a 10-class set.
    public static func defaultValidationPerClass(trainRows: Int, classes: Int) -> Int {
        min(10, trainRows / max(1, 10 * classes))
    }

    /// The labeled subset of size `n` (nil = all) drawn from `rows` only (train-split indices,
    /// ascending), by the rule of `subset`.
    public static func subset(of rows: [Int], labels: [Int], classes: Int, size n: Int?, seed: Int) -> [Int] {
        let local = subset(labels: rows.map { labels[$0] }, classes: classes, size: n, seed: seed)
        return local.map { rows[$0] }
    }
}
