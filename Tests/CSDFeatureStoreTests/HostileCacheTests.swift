import CSDFeatureStore
import CSDHDF5
import CSDTestSupport
import Foundation
import Testing

/// The feature cache itself as hostile input: a small valid cache damaged byte by byte
/// (`HostileCorpus`: truncation, mutated words in the superblock and in every object header,
/// random bytes) and edited through HDF5 into wrong types, ranks, shapes and attributes. Each
/// variant goes through every reader a command uses (probe's reads, inspect, verify, merge):
/// each either reads or fails with one error line naming the damaged file, within
/// `MemoryBound`; truncations must fail. A crash or a hang fails the whole run.
@Suite struct HostileCacheTests {
    /// The readers of the commands: probe's (`ProbeData` reads these), `extract inspect`,
    /// `extract verify`, `extract merge` (of the file as its only shard).
    static let readers: [(name: String, read: (URL, URL) throws -> Void)] = [
        ("probe", { url, _ in
            let reader = try FeatureCacheReader(url: url)
            try reader.validateFinite()
            for split in reader.splitNames {
                _ = try (reader.classNames(split), reader.features(split), reader.labels(split), reader.indices(split),
                         reader.attributes(split))
            }
        }),
        ("inspect", { url, _ in _ = try CacheInspector.describe(url) }),
        ("verify", { url, _ in _ = try CacheVerifier.verify(url) }),
        ("merge", { url, output in try FeatureCacheMerge.merge(shards: [url], into: output, overwrite: true) }),
    ]

    /// Runs every reader on each variant written to `damaged`; the failures, or nil.
    static func check(_ variants: [HostileCorpus.Variant], in folder: TemporaryFolder) -> String? {
        let damaged = folder.fileURL("damaged.h5"), merged = folder.fileURL("merged.h5")
        return HostileCorpus.failures(variants) { variant in
            do { try Data(variant.bytes).write(to: damaged) } catch { return "\(variant.name): cannot write: \(error)" }
            for (name, read) in readers {
                do {
                    try read(damaged, merged)
                    if variant.mustFail { return "\(variant.name): \(name) read it without an error" }
                } catch {
                    let text = "\(error)"
                    if variant.name == "undamaged" || !text.hasPrefix(damaged.path) || text.contains("\n") {
                        return "\(variant.name): \(name): \(text)"
                    }
                }
            }
            return nil
        }
    }

    /// A valid cache with per-row attributes, as bytes: a train split, and a test split unless
    /// `trainOnly` (the byte variants need one split's structures, not two alike).
    static func validCache(_ folder: TemporaryFolder, trainOnly: Bool = false) throws -> [UInt8] {
        let url = folder.fileURL("valid.h5")
        let provenance = CacheFixtures.provenance(dim: 4)
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split(rows: 24))
        if !trainOnly { try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("test", rows: 8)) }
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func everyDamagedByteVariantIsAClearError() throws {
        let folder = TemporaryFolder()
        let original = try Self.validCache(folder, trainOnly: true)
        // Object headers carry the shapes, types, layouts and addresses HDF5 trusts; B-trees and
        // heaps the links and chunk addresses. The words after each get the header treatment.
        // Version-1 object headers (what the cache writes) have no signature: found by their
        // prefix (version 1, reserved 0, a message count, a reference count of 1), 8-aligned.
        var headers: [HostileCorpus.Variant] = []
        func mutate(_ kind: String, at offset: Int) {
            headers += HostileCorpus.mutatedWords(of: original, in: (offset + 4)..<(offset + 52))
                .map { .init(name: "\(kind) at \(offset): \($0.name)", bytes: $0.bytes, mustFail: false) }
        }
        for offset in stride(from: 0, to: original.count - 8, by: 8)
        where original[offset] == 1 && original[offset + 1] == 0 && original[offset + 3] == 0
            && original[(offset + 4)..<(offset + 8)].elementsEqual([1, 0, 0, 0]) {
            mutate("object header", at: offset)
        }
        for signature in ["OHDR", "TREE", "HEAP", "SNOD", "GCOL"] {
            for offset in 0..<(original.count - 4) where original[offset..<(offset + 4)].elementsEqual(signature.utf8) {
                mutate(signature, at: offset)
            }
        }
        let variants = [HostileCorpus.Variant(name: "undamaged", bytes: original, mustFail: false)]
            + HostileCorpus.variants(of: original, header: 128, samples: 64) + headers
        let report = Self.check(variants, in: folder)
        #expect(report == nil, "\(report ?? "")")
    }

    /// Edits through HDF5 of a copy of the valid cache: each makes one data set or attribute
    /// wrong, as a hand-made or hostile file would.
    static let edits: [(name: String, edit: (HDF5File) throws -> Void)] = {
        func root(_ name: String, _ value: HDF5AttributeValue) -> (String, (HDF5File) throws -> Void) {
            ("root \(name) = \(value)", { try $0.setAttribute(name, value) })
        }
        func train(_ name: String, _ value: HDF5AttributeValue) -> (String, (HDF5File) throws -> Void) {
            ("train \(name) = \(value)", { try $0.openGroup("train").setAttribute(name, value) })
        }
        func resize(_ dataset: String, _ rows: Int) -> (String, (HDF5File) throws -> Void) {
            ("train/\(dataset) resized to \(rows) rows", { try $0.openGroup("train").openDataset(dataset).resize(rows: rows) })
        }
        /// A split "extra" holding the data sets given (name, type, shape), with row attributes.
        func extra(_ label: String, rows: Int, _ datasets: [(String, HDF5ElementType, [Int])]) -> (String, (HDF5File) throws -> Void) {
            ("split \"extra\" with \(label)", { file in
                let group = try file.createGroup("extra")
                try group.setAttribute("rows", .int64(Int64(rows)))
                try group.setAttribute("committed_rows", .int64(Int64(rows)))
                try group.setAttribute("class_names", .strings(CacheFixtures.classNames))
                if datasets.contains(where: { $0.0.hasPrefix("attributes/") }) { _ = try group.createGroup("attributes") }
                for (name, type, shape) in datasets {
                    // Declared rows without their bytes need a chunked data set; h5py's default is contiguous.
                    let options = shape[0] > 1000 ? HDF5DatasetOptions(chunkRows: 4, checksum: true)
                        : HDF5DatasetOptions(extendible: false, chunked: false)
                    let dataset = try group.createDataset(name, type: type, shape: shape, options: options)
                    let count = shape.reduce(1, *)
                    if 0 < count && count < 1000 {
                        try [UInt8](repeating: 0, count: count * type.byteCount).withUnsafeBytes {
                            try dataset.writeRows($0, as: type, at: 0)
                        }
                    }
                }
            })
        }
        let huge: [Int64] = [0, -1, 1 << 31, Int64.max, Int64.min]
        var edits: [(String, (HDF5File) throws -> Void)] = []
        for value in huge {
            edits += [root("feature_dim", .int64(value)), root("schema_version", .int64(value)),
                      train("rows", .int64(value)), train("committed_rows", .int64(value)),
                      train("row_range_start", .int64(value)), train("row_range_end", .int64(value))]
        }
        for name in ["schema_version", "feature_dim", "dtype", "model_id", "matmul_precision"] {
            edits += [root(name, .string("f64")), root(name, .double(.nan)), root(name, .int64s([1, 2])), root(name, .strings([]))]
        }
        for name in ["rows", "committed_rows", "class_names"] {
            edits += [train(name, .string("24")), train(name, .double(1e300)), train(name, .int64s([])), train(name, .strings(["a", "b"]))]
        }
        edits += [train("class_names", .strings([])), train("class_names", .strings(["one"]))]
        for dataset in ["features", "labels", "index", "attributes/width"] {
            edits += [resize(dataset, 0), resize(dataset, 25), resize(dataset, 1 << 31), resize(dataset, (1 << 62) / 4)]
        }
        let n = 6
        edits += [
            extra("features [n, 0]", rows: n, [("features", .float32, [n, 0]), ("labels", .int64, [n]), ("index", .int64, [n])]),
            extra("labels longer than features", rows: n, [("features", .float32, [n, 4]), ("labels", .int64, [n + 3]), ("index", .int64, [n])]),
            extra("float64 features", rows: n, [("features", .float64, [n, 4]), ("labels", .int64, [n]), ("index", .int64, [n])]),
            extra("int32 features", rows: n, [("features", .int32, [n, 4]), ("labels", .int64, [n]), ("index", .int64, [n])]),
            extra("rank-3 features", rows: n, [("features", .float32, [n, 2, 2]), ("labels", .int64, [n]), ("index", .int64, [n])]),
            extra("rank-1 features", rows: n, [("features", .float32, [n]), ("labels", .int64, [n]), ("index", .int64, [n])]),
            extra("float labels", rows: n, [("features", .float32, [n, 4]), ("labels", .float32, [n]), ("index", .int64, [n])]),
            extra("rank-2 labels", rows: n, [("features", .float32, [n, 4]), ("labels", .int64, [n, 2]), ("index", .int64, [n])]),
            extra("no labels", rows: n, [("features", .float32, [n, 4]), ("index", .int64, [n])]),
            extra("2^31 declared rows", rows: 1 << 31, [("features", .float32, [1 << 31, 4]), ("labels", .int64, [1 << 31]),
                                                        ("index", .int64, [1 << 31])]),
            extra("an int64 attribute", rows: n, [("features", .float32, [n, 4]), ("labels", .int64, [n]), ("index", .int64, [n]),
                                                  ("attributes/width", .int64, [n])]),
        ]
        // The minimal schema (no schema_version): every check above, without the provenance's.
        let minimal = edits.filter { $0.0.hasPrefix("split") || $0.0.contains("resized") }.map { name, edit in
            ("minimal schema, \(name)", { (file: HDF5File) in try file.deleteAttribute("schema_version"); try edit(file) })
        }
        let labels: [(String, [Int64])] = [("2^62", [1 << 62]), ("-1", [-1]), ("99", [99]), ("Int64.min", [.min])]
        let strayLabels = labels.map { name, values in
            ("minimal schema without class names, a train label of \(name)", { (file: HDF5File) in
                try file.deleteAttribute("schema_version")
                for split in ["train", "test"] { try file.openGroup(split).deleteAttribute("class_names") }
                try file.openGroup("train").openDataset("labels").writeRows(values, at: 3)
            })
        }
        return edits + minimal + strayLabels
    }()

    @Test func everyEditedDataSetOrAttributeIsAClearError() throws {
        let folder = TemporaryFolder()
        let original = try Self.validCache(folder)
        let edited = folder.fileURL("edited.h5")
        var variants: [HostileCorpus.Variant] = []
        for (name, edit) in Self.edits {
            try Data(original).write(to: edited)
            do {
                let file = try HDF5File(opening: edited, mode: .readWrite)
                try edit(file)
                try file.close()
            }
            variants.append(.init(name: name, bytes: [UInt8](try Data(contentsOf: edited)), mustFail: false))
        }
        let report = Self.check(variants, in: folder)
        #expect(report == nil, "\(report ?? "")")
    }
}

