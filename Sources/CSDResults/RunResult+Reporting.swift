import Foundation

/// Derived views of a row that every report needs (the stored schema stays in RunResult.swift).
extension RunResult {
    /// The label-grid column of this run: `all` when that was asked, else the requested number.
    /// A request that is neither (should not happen) falls back to the count actually used.
    public var labelColumn: LabelColumn {
        let asked = labelsRequested.trimmingCharacters(in: .whitespaces)
        if asked.lowercased() == "all" { return .all }
        return LabelColumn(count: Int(asked) ?? labels)
    }

    /// "frozen" for `probe` runs, "trainable" for `finetune`, the raw value otherwise: the
    /// paper's figures name backbone modes this way.
    public var backboneMode: String { Self.backboneMode(backbone) }

    static func backboneMode(_ backbone: String) -> String {
        switch backbone {
        case "probe": return "frozen"
        case "finetune": return "trainable"
        default: return backbone
        }
    }

    /// A provenance field of the cache the run read. The probe tool records the cache's root
    /// attributes under their file names (`model_id`, ...); shorter spellings are accepted so a
    /// differently keyed row still reports something.
    public func cacheField(_ name: String) -> String? {
        let aliases: [String: [String]] = [
            "model_id": ["model_id", "modelID", "model"],
            "dataset_id": ["dataset_id", "datasetID", "dataset"],
            "token": ["token"],
            "path": ["path", "cache_path", "file"],
        ]
        for key in aliases[name] ?? [name] {
            if let value = cache[key], !value.isEmpty { return value }
        }
        return nil
    }
}
