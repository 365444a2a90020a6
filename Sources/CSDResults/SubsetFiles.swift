import CSDSystem
import Foundation

/// The labeled subsets a results folder's rows point to.
public enum SubsetFiles {
    static let allNote = "train-split indices; 'all' = every train row not in 'validation'"

    /// `<results>/subsets/seed-<s>.json`, the file every results row points to: the labeled
    /// indices by requested label count and the validation rows. "all" is stored empty: every
    /// train row not in "validation" (listing them would write 60000 numbers per seed). Entries
    /// already in the file for other counts are kept, so runs of one seed can add to it.
    public static func record(_ subsets: [String: [Int]], seed: Int, results directory: URL) throws {
        let folder = directory.appendingPathComponent("subsets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("seed-\(seed).json")
        var merged: [String: Any] = [:]
        if let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let existing = object["subsets"] as? [String: Any] { merged = existing }
        for (n, indices) in subsets { merged[n] = indices }
        let object: [String: Any] = ["seed": seed, "note": allNote, "subsets": merged]
        try AtomicFile.replace(url, with: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}
