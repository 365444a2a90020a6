import CSDFeatureStore
import CSDHDF5
import Foundation

/// Deterministic provenance, rows and helpers shared by the feature-store tests.
enum CacheFixtures {
    static func provenance(dtype: FeatureDType = .f32, dim: Int = 16, model: String = "facebook/dinov2-small",
                           token: String = "cls") -> CacheProvenance {
        CacheProvenance(modelID: model, weightsSHA256: String(repeating: "ab", count: 32), token: token,
                        preprocessing: #"{"crop":224,"interpolation":"bicubic","mean":[0.485,0.456,0.406],"size":256,"std":[0.229,0.224,0.225]}"#,
                        datasetID: "stripes", datasetFingerprint: "seed=7;n=1000", toolVersion: "csd 0.1.0-test",
                        dtype: dtype, featureDim: dim)
    }

    static let classNames = ["horizontal", "vertical", "diagonal"]

    static func split(_ name: String = "train", rows: Int, attributes: [String] = ["width", "angle"]) -> FeatureSplitSpec {
        FeatureSplitSpec(name: name, rows: rows, classNames: classNames, attributeNames: attributes)
    }

    /// The token of source row `row` (what a backbone would produce): finite, varied.
    static func feature(_ row: Int, _ column: Int, salt: Int = 0) -> Float {
        sin(Float(row * 31 + column * 7 + salt)) * 3 + Float(column) / 8
    }

    static func label(_ row: Int) -> Int { (row * 7) % classNames.count }

    static func attribute(_ name: String, _ row: Int) -> Float {
        name == "width" ? Float(row % 13) + 0.5 : Float(row) * 0.25
    }

    /// Appends source rows `rows` in batches of `batch`, as extract would.
    static func append(_ writer: FeatureCacheWriter, rows: Range<Int>, batch: Int = 64, salt: Int = 0) throws {
        let dim = writer.provenance.featureDim
        var start = rows.lowerBound
        while start < rows.upperBound {
            let range = start..<min(rows.upperBound, start + batch)
            var features: [Float] = []
            features.reserveCapacity(range.count * dim)
            for r in range { for c in 0..<dim { features.append(feature(r, c, salt: salt)) } }
            var attributes: [String: [Float]] = [:]
            for name in writer.split.attributeNames { attributes[name] = range.map { attribute(name, $0) } }
            try features.withUnsafeBufferPointer {
                try writer.append(indices: Array(range), labels: range.map(label), features: $0, attributes: attributes)
            }
            start = range.upperBound
        }
    }

    /// Writes a whole split (or a shard of it) and finishes.
    static func write(_ url: URL, provenance: CacheProvenance, split: FeatureSplitSpec, rowRange: Range<Int>? = nil,
                      options: FeatureCacheWriter.Options = .init(syncEachBatch: false), salt: Int = 0) throws {
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: split, rowRange: rowRange, options: options)
        try append(writer, rows: writer.remainingRows, salt: salt)
        try writer.finish()
    }

    /// Every dataset and attribute of an HDF5 file, by path, as comparable values: datasets as
    /// (type, shape, raw bytes), attributes as values. Attributes named in `ignoring` are skipped.
    static func contents(of url: URL, ignoring: Set<String> = []) throws -> [String: String] {
        let file = try HDF5File(opening: url.path)
        var out: [String: String] = [:]
        func visit(_ object: HDF5Object) throws {
            for name in try object.attributeNames() where !ignoring.contains(name) {
                out["\(object.name)@\(name)"] = try object.attribute(name).description
            }
            guard let container = object as? HDF5Container else { return }
            for (name, kind) in try container.members() {
                switch kind {
                case .group: try visit(try container.openGroup(name))
                case .dataset:
                    let d = try container.openDataset(name)
                    var bytes = [UInt8](repeating: 0, count: try d.shape.reduce(1, *) * d.elementType.byteCount)
                    try bytes.withUnsafeMutableBytes { try d.readRows(0..<d.rowCount, into: $0, as: d.elementType) }
                    out[d.name] = "\(d.elementType) \(try d.shape) chunk \(String(describing: try d.chunkShape)) sha \(checksum(bytes))"
                    try visit(d)
                case .other: out[name] = "other"
                }
            }
        }
        try visit(file)
        return out
    }

    /// FNV-1a over the bytes: enough to compare datasets without keeping them.
    static func checksum(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16) + "/\(bytes.count)"
    }

    static func fileBytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }
}
