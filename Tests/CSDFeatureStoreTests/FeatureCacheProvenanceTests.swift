import CSDTestSupport
import CSDFeatureStore
import Foundation
import Testing

@Suite struct FeatureCacheProvenanceTests {
    @Test func differencesNameEachFieldWithBothValues() {
        let a = CacheFixtures.provenance()
        var b = a
        b.modelID = "facebook/dinov2-base"
        b.featureDim = 768
        #expect(a.differences(from: a).isEmpty)
        #expect(a.differences(from: b) == [
            #"model_id: "facebook/dinov2-small" vs "facebook/dinov2-base""#,
            "feature_dim: 16 vs 768",
        ])
    }

    @Test func provenanceRoundTripsThroughJSON() throws {
        let a = CacheFixtures.provenance(dtype: .f16)
        let data = try JSONEncoder().encode(a)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"weights_sha256\"") && json.contains("\"dtype\":\"f16\""))
        #expect(try JSONDecoder().decode(CacheProvenance.self, from: data) == a)
        struct Pre: Encodable { let size = 224; let mean = [0.5, 0.5]; let interpolation = "bicubic" }
        #expect(try CacheProvenance.preprocessingJSON(Pre()) == #"{"interpolation":"bicubic","mean":[0.5,0.5],"size":224}"#)
    }

    /// Journals and files written before the matrix-product precision was recorded were fp32.
    @Test func aProvenanceWithoutPrecisionReadsAsFP32() throws {
        var bf16 = CacheFixtures.provenance()
        bf16.matmulPrecision = .bf16
        let data = try JSONEncoder().encode(bf16)
        #expect(try JSONDecoder().decode(CacheProvenance.self, from: data) == bf16)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.removeValue(forKey: "matmul_precision") as? String == "bf16")
        let older = try JSONDecoder().decode(CacheProvenance.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.matmulPrecision == .fp32)
        #expect(older.differences(from: bf16) == [#"matmul_precision: "fp32" vs "bf16""#])
    }

    @Test func aFileWithOtherProvenanceIsRefusedNamingTheField() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("p.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 50))
        let before = try CacheFixtures.fileBytes(url)
        let other = CacheFixtures.provenance(model: "openai/clip-vit-base-patch16")
        let error = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheWriter(url: url, provenance: other, split: CacheFixtures.split("test", rows: 50))
        }
        guard case .provenanceMismatch(let path, let differences) = error else {
            Issue.record("expected provenanceMismatch, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(differences == [#"model_id: "openai/clip-vit-base-patch16" vs "facebook/dinov2-small""#])
        #expect(error!.description.contains("model_id"))
        #expect(try CacheFixtures.fileBytes(url) == before)
    }

    @Test func overwriteReplacesAFileWithOtherProvenance() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("o.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split("train", rows: 50))
        let other = CacheFixtures.provenance(dtype: .f16, dim: 8, token: "pooler")
        try CacheFixtures.write(url, provenance: other, split: CacheFixtures.split("test", rows: 30),
                                options: .init(overwrite: true, syncEachBatch: false))
        let reader = try FeatureCacheReader(url: url)
        #expect(reader.provenance == other)
        #expect(reader.splitNames == ["test"])  // the old provenance's split is gone
        #expect(try reader.features("test").shape == [30, 8])
    }

    @Test func overwriteRewritesACompleteSplit() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("again.h5")
        let provenance = CacheFixtures.provenance()
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split(rows: 40))
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 40),
                                            options: .init(overwrite: true, syncEachBatch: false))
        #expect(!writer.isSplitComplete && writer.committedRows == 0)
        try CacheFixtures.append(writer, rows: 0..<40, salt: 9)
        try writer.finish()
        #expect(try FeatureCacheReader(url: url).features("train", rows: 0..<1).scalars[0] == CacheFixtures.feature(0, 0, salt: 9))
    }

    @Test func aSplitDescribingOtherRowsIsRefused() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("s.h5")
        let provenance = CacheFixtures.provenance()
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split(rows: 40))
        let error = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 41))
        }
        #expect(error?.description.contains("rows: 41 vs 40") == true)
    }

    @Test func aJournalOfAnotherRequestIsRefusedThenDiscardedWithOverwrite() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("j.h5")
        let split = CacheFixtures.split(rows: 100)
        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: CacheFixtures.provenance(), split: split)
        try CacheFixtures.append(writer!, rows: 0..<64)
        writer = nil  // killed

        let other = CacheFixtures.provenance(token: "pooler")
        let error = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheWriter(url: url, provenance: other, split: split)
        }
        guard case .journalMismatch(_, let differences) = error else {
            Issue.record("expected journalMismatch, got \(String(describing: error))")
            return
        }
        #expect(differences == [#"token: "pooler" vs "cls""#])

        // The same request resumes it; overwrite with another request discards it.
        let same = try FeatureCacheWriter(url: url, provenance: CacheFixtures.provenance(), split: split,
                                          options: .init(overwrite: true))
        #expect(same.committedRows == 64)
        same.close()
        let fresh = try FeatureCacheWriter(url: url, provenance: other, split: split, options: .init(overwrite: true))
        #expect(fresh.committedRows == 0)
    }
}
