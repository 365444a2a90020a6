import Foundation

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

    /// `<results>/subsets/seed-<s>.json`, the file every results row points to: the labeled
    /// indices by requested label count ("all" = every row, stored empty). Entries already in the
    /// file for other counts are kept, so runs of one seed can add to it.
    public static func record(_ subsets: [String: [Int]], seed: Int, results directory: URL) throws {
        let folder = directory.appendingPathComponent("subsets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("seed-\(seed).json")
        var merged: [String: Any] = [:]
        if let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let existing = object["subsets"] as? [String: Any] { merged = existing }
        for (n, indices) in subsets { merged[n] = indices }
        let object: [String: Any] = ["seed": seed, "note": "train-split indices; 'all' = every row", "subsets": merged]
        try AtomicFile.replace(url, with: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}
