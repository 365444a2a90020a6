import CSDTestSupport
@testable import CSDFinetune
import CSDFeatureStore
import CSDHDF5
import CSDMethod
import CSDResults
import Foundation
import Testing

/// `finetune --eval-dataset`: other data sets' test splits evaluated through the same backbone,
/// and the disentanglement report at the end.
struct EvaluationDatasetTests {
    static let other = "synthetic:?train=10&test=30&size=16&seed=5"

    @Test func namesComeFromTheTextOrTheDataSet() {
        #expect(FinetuneSettings.namedDataset("white=fashion-mnist-white-stripes:/d?seed=0") == ("white", "fashion-mnist-white-stripes:/d?seed=0"))
        #expect(FinetuneSettings.namedDataset("fashion-mnist-white-stripes:/d?seed=0").name == nil)
        #expect(FinetuneSettings.namedDataset("synthetic:?seed=5").name == nil)
    }

    @Test func everyEvaluationCarriesEachDomainAndTheFinalCodes() throws {
        let root = TemporaryFolder()
        let model = try FinetuneTests.tinyModel(root.url)
        var s = FinetuneTests.settings(root.url, "domains", model: model)
        s.epochs = 2
        s.evaluationLimit = 20
        s.validationPerClass = 1
        s.evaluationDatasets = ["shifted=\(Self.other)", "synthetic:?train=10&test=30&size=16&seed=6"]
        s.saveCodes = true
        let row = try #require(try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run())
        let e = try #require(row.evaluations)
        #expect(e.map(\.name) == ["shifted", "synthetic"])
        for domain in e {
            #expect(domain.testErrors.count == row.testErrors.count && domain.testRows == 30)
            #expect(domain.testErrors.dropLast().allSatisfy { ($0 * 20).rounded() == $0 * 20 }, "subset errors are multiples of 1/20")
            #expect(domain.validationChosenTestError != nil)
        }
        let scores = try #require(row.disentanglement)
        for domain in ["home", "shifted", "synthetic"] {
            for code in ["tokens", "content", "style"] {
                #expect(scores.contains { $0.domain == domain && $0.code == code && $0.target == "class" })
            }
        }
        // The synthetic set stores its generating style: scored per attribute.
        #expect(scores.contains { $0.domain == "shifted" && $0.code == "style" && $0.target == "scale" && $0.metric == "r2" })
        #expect(scores.contains { $0.target == "stripes" && $0.metric == "accuracy" })
        // The summary shows the domains.
        let summary = try String(contentsOf: s.output.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(summary.contains("# Evaluation on `shifted`") && summary.contains("## Domain `synthetic`"))
        // The saved codes read back.
        let file = try HDF5File(opening: CodesFile.url(runID: row.runID, results: s.output).path)
        #expect(try file.stringAttribute("method") == "csd")
        #expect(try file.openDataset("shifted/content_probabilities").shape == [30, 10])
        #expect(try file.openDataset("home/style").shape == [60, 8])
        #expect(try file.openDataset("shifted/labels").read(as: Int64.self).count == 30)
        #expect(file.contains("shifted/attributes/scale"))
        try file.close()
    }

    @Test func aDataSetWithOtherClassesOrATakenNameIsRefused() throws {
        let root = TemporaryFolder()
        let model = try FinetuneTests.tinyModel(root.url)
        var s = FinetuneTests.settings(root.url, "refused", model: model)
        s.evaluationDatasets = ["synthetic:?classes=3&train=10&test=30&size=16"]
        #expect(throws: OptionError.self) { _ = try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run() }
        s.evaluationDatasets = ["home=\(Self.other)"]
        #expect(throws: OptionError.self) { _ = try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run() }
    }
}
