import Foundation

/// A human-readable summary of a cache file (and of unfinished journals next to it).
public enum CacheInspector {
    public static func describe(_ url: URL) throws -> String {
        let reader = try FeatureCacheReader(url: url, allowShards: true)
        let p = reader.provenance
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        var lines = [
            "feature cache \(url.path) (\(formatBytes(size)))",
            reader.hasProvenance
                ? "  schema_version \(p.schemaVersion), dtype \(p.dtype.rawValue), feature_dim \(p.featureDim), token \(p.token)"
                : "  minimal schema (no schema_version: provenance unknown), feature_dim \(p.featureDim), token \(p.token)",
            "  model \(p.modelID), weights sha256 \(p.weightsSHA256)",
            "  dataset \(p.datasetID), fingerprint \(p.datasetFingerprint)",
            "  tool \(p.toolVersion)",
            "  preprocessing \(p.preprocessing)",
            "  splits:",
        ]
        if reader.splitNames.isEmpty { lines.append("    (none)") }
        let width = reader.splitNames.map(\.count).max() ?? 0
        for name in reader.splitNames {
            let info = try reader.splitInfo(name)
            var line = "    \(name.padding(toLength: width, withPad: " ", startingAt: 0))  rows \(info.spec.rows), committed \(info.committedRows)"
            if let range = info.rowRange { line += ", shard rows \(range.lowerBound)..<\(range.upperBound)" }
            line += info.isComplete ? "" : " (INCOMPLETE)"
            if info.isComplete {
                line += ", \(try reader.classNames(name).count) classes"
            } else {
                line += ", \(info.spec.classNames.count) classes"
            }
            if !info.spec.attributeNames.isEmpty { line += ", attributes \(info.spec.attributeNames.joined(separator: ", "))" }
            lines.append(line)
            // Every feature is read, so a damaged chunk fails its checksum here too.
            if info.isComplete && info.committedRows > 0 { lines.append("    " + String(repeating: " ", count: width) + "  " + (try featureRange(reader, name))) }
        }
        let journals = pendingJournals(for: url)
        if !journals.isEmpty {
            lines.append("  unfinished journals:")
            lines += journals.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// `features in [min, max]` over the whole split.
    static func featureRange(_ reader: FeatureCacheReader, _ split: String) throws -> String {
        var low = Float.infinity, high = -Float.infinity, finite = true
        try reader.forEachFeatureBlock(split) { _, values in
            for v in values {
                if v.isFinite { low = min(low, v); high = max(high, v) } else { finite = false }
            }
        }
        return "features in [\(low), \(high)]" + (finite ? "" : ", some not finite")
    }

    /// One line per `<out>.<split>.journal` directory next to `url`.
    static func pendingJournals(for url: URL) -> [String] {
        let directory = url.deletingLastPathComponent(), prefix = url.lastPathComponent + "."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".journal") }.sorted().map { name in
            let journal = directory.appendingPathComponent(name)
            guard case .header(let header) = FeatureJournal.existing(at: journal) else { return "\(name): no readable header" }
            let recordsPath = journal.appendingPathComponent("records.bin").path
            let bytes = (try? FileManager.default.attributesOfItem(atPath: recordsPath)[.size] as? Int) ?? 0
            let records = bytes / max(1, header.recordBytes)
            return "\(name): split \(header.split.name), about \(records) of \(header.rowRange.count) rows journaled"
        }
    }

    static func formatBytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
