import CSDMethod
import CSDFeatureStore
import CSDTensor
import Foundation

/// The test split of a cache of another data set, evaluated next to the home test split
/// (`probe --eval-cache`). Its tokens must come from the same model, weights, token and
/// preprocessing as the home cache's (a different data set is the point), with the same number
/// of classes; they are standardised with the home train split's statistics.
public final class EvaluationCache: @unchecked Sendable {
    /// The domain's name in results, tables and plots.
    public let name: String
    public let url: URL
    public let features: Tensor
    public let labels: [Int]
    /// The per-row attributes stored with the split (stripe and synthetic parameters), by name.
    public let attributes: [String: [Float]]
    public let classNames: [String]
    public let provenance: CacheProvenance

    /// `spec` is `PATH` or `NAME=PATH`; without a name, the file name less its extension.
    public convenience init(spec: String, home: ProbeData, split: String = "test") throws {
        let (name, path) = Self.parse(spec)
        try self.init(name: name, url: URL(fileURLWithPath: path), home: home, split: split)
    }

    public init(name: String, url: URL, home: ProbeData, split: String = "test") throws {
        guard !name.isEmpty, name != "home", !name.contains("|"), !name.contains(",") else {
            throw OptionError("--eval-cache \(name)=\(url.path): the name must be non-empty, not 'home', without '|' or ','")
        }
        let reader = try FeatureCacheReader(url: url)
        guard reader.splitNames.contains(split) else {
            throw OptionError("--eval-cache \(url.path): the cache has no '\(split)' split (it has: "
                              + "\(reader.splitNames.joined(separator: ", ")))")
        }
        let mismatches = Self.mismatches(reader.provenance, home: home.provenance)
        guard mismatches.isEmpty else {
            throw OptionError("--eval-cache \(url.path): not comparable with the home cache \(home.url.path); "
                              + "evaluation caches need the same model and preprocessing: "
                              + mismatches.joined(separator: "; "))
        }
        try reader.validateFinite()
        self.name = name
        self.url = url
        provenance = reader.provenance
        classNames = try reader.classNames(split)
        guard classNames.count == home.classes else {
            throw OptionError("--eval-cache \(url.path): \(classNames.count) classes, the home cache has \(home.classes)")
        }
        features = try reader.features(split)
        labels = try reader.labels(split)
        attributes = try reader.attributes(split)
        guard !labels.isEmpty else { throw OptionError("--eval-cache \(url.path): the '\(split)' split is empty") }
        if let row = labels.firstIndex(where: { $0 < 0 || $0 >= home.classes }) {
            throw OptionError("--eval-cache \(url.path): '\(split)' row \(row) has label \(labels[row]), outside 0..<\(home.classes)")
        }
    }

    /// The provenance fields that must agree with the home cache, each with both values
    /// (evaluation cache first), the backbone's matrix-product precision included. The data set,
    /// its fingerprint, the tool version, the storage type and the schema may differ.
    public static func mismatches(_ p: CacheProvenance, home h: CacheProvenance) -> [String] {
        var out: [String] = []
        func check(_ name: String, _ a: String, _ b: String) { if a != b { out.append("\(name): \"\(a)\" vs \"\(b)\"") } }
        check("model_id", p.modelID, h.modelID)
        check("weights_sha256", p.weightsSHA256, h.weightsSHA256)
        check("token", p.token, h.token)
        check("preprocessing", p.preprocessing, h.preprocessing)
        check("feature_dim", "\(p.featureDim)", "\(h.featureDim)")
        // bf16 tokens next to fp32 ones would mix a number-format shift into the domain shift.
        check("matmul_precision", p.matmulPrecision.rawValue, h.matmulPrecision.rawValue)
        return out
    }

    /// (`white`, `/c/w.h5`) from `white=/c/w.h5`; (`w`, `/c/w.h5`) from `/c/w.h5`.
    static func parse(_ spec: String) -> (name: String, path: String) {
        if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains("/") {
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        return (URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent, spec)
    }

    /// The record of the cache in a result row.
    var cacheRecord: [String: String] {
        ["path": url.path, "dataset_id": provenance.datasetID, "dataset_fingerprint": provenance.datasetFingerprint]
    }
}
