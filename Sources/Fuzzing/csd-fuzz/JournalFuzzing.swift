import CSDFeatureStore
import Foundation

/// The feature cache journal's record parser: the fuzzed bytes become the `records.bin` of an
/// unfinished journal of a fixed request, which a writer then resumes (scanning the records),
/// completes and builds into a cache. Whatever the bytes, the cache must come out whole: each
/// source row exactly once, in order, labels within the classes. A violation is a crash (the
/// finding); a refusal is an expected outcome.
enum JournalFuzzing {
    static let rows = 6, dim = 4
    static let input = "records.bin"
    static let seeds = ["fuzz/seeds/journal/records.bin",
                        "fuzz/seeds/journal/records-torn.bin"]

    static let provenance = CacheProvenance(modelID: "fuzz", weightsSHA256: "00", token: "cls", preprocessing: "{}",
                                            datasetID: "fuzz", datasetFingerprint: "fuzz", toolVersion: "fuzz",
                                            dtype: .f32, featureDim: dim)
    static let split = FeatureSplitSpec(name: "train", rows: rows, classNames: ["a", "b", "c"], attributeNames: ["w"])
    static let options = FeatureCacheWriter.Options(syncEachBatch: false)

    /// Appends source rows `range` with values derived from the row.
    static func append(_ writer: FeatureCacheWriter, _ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        let features = range.flatMap { r in (0..<dim).map { Float(r * dim + $0) / 8 } }
        try features.withUnsafeBufferPointer {
            try writer.append(indices: Array(range), labels: range.map { $0 % 3 }, features: $0,
                              attributes: ["w": range.map { Float($0) + 0.5 }])
        }
    }

    static func run(_ folder: URL) throws {
        let cache = folder.appendingPathComponent("cache.h5")
        // An empty journal of the request, then the fuzzed records in place of its records.
        let fresh = try FeatureCacheWriter(url: cache, provenance: provenance, split: split, options: options)
        let records = fresh.journalURL.appendingPathComponent("records.bin")
        fresh.close()
        guard rename(folder.appendingPathComponent(input).path, records.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: records.path])
        }

        let writer = try FeatureCacheWriter(url: cache, provenance: provenance, split: split, options: options)
        try append(writer, writer.remainingRows)
        try writer.finish()

        let reader = try FeatureCacheReader(url: cache)
        let indices = try reader.indices("train"), labels = try reader.labels("train")
        let shape = try reader.features("train").shape
        precondition(indices == Array(0..<rows), "a resumed journal gave source rows \(indices)")
        precondition(labels.allSatisfy { (0..<3).contains($0) }, "a resumed journal gave labels \(labels)")
        precondition(shape == [rows, dim], "a resumed journal gave features of shape \(shape)")
    }

    /// The seed files: a complete journal of the request, and one torn inside its fourth record.
    static func makeSeeds(repository: URL) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csd-fuzz-journal-seeds-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try FeatureCacheWriter(url: folder.appendingPathComponent("cache.h5"), provenance: provenance,
                                            split: split, options: options)
        try append(writer, 0..<rows)
        let bytes = try Data(contentsOf: writer.journalURL.appendingPathComponent("records.bin"))
        writer.close()
        let torn = bytes.prefix(bytes.count / rows * 3 + 7)
        for (path, data) in zip(seeds, [bytes, torn]) {
            let url = repository.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
    }
}
