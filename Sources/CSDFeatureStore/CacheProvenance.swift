import CSDTensor
import Foundation

/// How features are stored in the cache file (the writer always journals float32).
public enum FeatureDType: String, Codable, Sendable, CaseIterable {
    case f32, f16

    var byteCount: Int { self == .f32 ? 4 : 2 }
}

/// Where a cache's tokens came from. Stored as the cache file's root attributes (and in a
/// journal's header): a file or journal is only continued by a request with equal provenance.
public struct CacheProvenance: Codable, Equatable, Sendable {
    /// The schema this library writes.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// The backbone, e.g. `facebook/dinov2-small`.
    public var modelID: String
    /// SHA-256 of the weights file(s), hex.
    public var weightsSHA256: String
    /// Which token was cached: `cls`, `pooler`, `image_embeds`, `summary`, ...
    public var token: String
    /// The preprocessing (size, crop, interpolation, mean, std) as a JSON object; build it with
    /// `preprocessingJSON(_:)` so equal settings give equal strings.
    public var preprocessing: String
    public var datasetID: String
    public var datasetFingerprint: String
    public var toolVersion: String
    public var dtype: FeatureDType
    /// D, the length of one token.
    public var featureDim: Int
    /// The number format of the backbone's matrix products. Caches written before this was
    /// recorded were all fp32, so a file or journal without it reads as fp32.
    public var matmulPrecision: MatmulPrecision

    public init(schemaVersion: Int = CacheProvenance.currentSchemaVersion, modelID: String, weightsSHA256: String,
                token: String, preprocessing: String, datasetID: String, datasetFingerprint: String,
                toolVersion: String, dtype: FeatureDType, featureDim: Int, matmulPrecision: MatmulPrecision = .fp32) {
        self.schemaVersion = schemaVersion
        self.modelID = modelID
        self.weightsSHA256 = weightsSHA256
        self.token = token
        self.preprocessing = preprocessing
        self.datasetID = datasetID
        self.datasetFingerprint = datasetFingerprint
        self.toolVersion = toolVersion
        self.dtype = dtype
        self.featureDim = featureDim
        self.matmulPrecision = matmulPrecision
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(schemaVersion: try c.decode(Int.self, forKey: .schemaVersion),
                  modelID: try c.decode(String.self, forKey: .modelID),
                  weightsSHA256: try c.decode(String.self, forKey: .weightsSHA256),
                  token: try c.decode(String.self, forKey: .token),
                  preprocessing: try c.decode(String.self, forKey: .preprocessing),
                  datasetID: try c.decode(String.self, forKey: .datasetID),
                  datasetFingerprint: try c.decode(String.self, forKey: .datasetFingerprint),
                  toolVersion: try c.decode(String.self, forKey: .toolVersion),
                  dtype: try c.decode(FeatureDType.self, forKey: .dtype),
                  featureDim: try c.decode(Int.self, forKey: .featureDim),
                  matmulPrecision: try c.decodeIfPresent(MatmulPrecision.self, forKey: .matmulPrecision) ?? .fp32)
    }

    /// The attribute (and JSON) names, as in the file.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case schemaVersion = "schema_version"
        case modelID = "model_id"
        case weightsSHA256 = "weights_sha256"
        case token
        case preprocessing
        case datasetID = "dataset_id"
        case datasetFingerprint = "dataset_fingerprint"
        case toolVersion = "tool_version"
        case dtype
        case featureDim = "feature_dim"
        case matmulPrecision = "matmul_precision"
    }

    /// Each field (by its file name) where `self` and `other` differ, with both values:
    /// `model_id: "facebook/dinov2-small" vs "facebook/dinov2-base"` (self's value first).
    public func differences(from other: CacheProvenance) -> [String] {
        let mine = fields, theirs = other.fields
        return zip(mine, theirs).compactMap { a, b in
            a.value == b.value ? nil : "\(a.name): \(a.value) vs \(b.value)"
        }
    }

    /// The fields in file order, values rendered for messages (strings quoted).
    var fields: [(name: String, value: String)] {
        [
            (CodingKeys.schemaVersion.rawValue, "\(schemaVersion)"),
            (CodingKeys.modelID.rawValue, quoted(modelID)),
            (CodingKeys.weightsSHA256.rawValue, quoted(weightsSHA256)),
            (CodingKeys.token.rawValue, quoted(token)),
            (CodingKeys.preprocessing.rawValue, quoted(preprocessing)),
            (CodingKeys.datasetID.rawValue, quoted(datasetID)),
            (CodingKeys.datasetFingerprint.rawValue, quoted(datasetFingerprint)),
            (CodingKeys.toolVersion.rawValue, quoted(toolVersion)),
            (CodingKeys.dtype.rawValue, quoted(dtype.rawValue)),
            (CodingKeys.featureDim.rawValue, "\(featureDim)"),
            (CodingKeys.matmulPrecision.rawValue, quoted(matmulPrecision.rawValue)),
        ]
    }

    private func quoted(_ s: String) -> String { "\"\(s)\"" }

    /// Canonical JSON (sorted keys, no escaped slashes) for the `preprocessing` field.
    public static func preprocessingJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
