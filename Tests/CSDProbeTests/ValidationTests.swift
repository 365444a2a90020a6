@testable import CSDProbe
import CSDMethod
import CSDResults
import Foundation
import Testing

/// The validation subset in probe runs, and the kNN baseline's k.
struct ValidationTests {
    @Test func trainedRunsReportValidationErrorsAndTheChosenTestError() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url, spread: 1.5)
        let data = try ProbeData(url: url)
        let spec = RunSpec(method: .csd, labels: 20, seed: 1, options: ProbeTests.smallOptions(), epochs: 4,
                           validationPerClass: 5)
        let outcome = ProbeTrainer.run(spec, data: data)
        let validation = try #require(outcome.errors.validation)
        #expect(validation.count == 4 && outcome.errors.test.count == 4)
        #expect(outcome.errors.validationChosen != nil)
        let (held, _) = LabelSubsets.holdOut(labels: data.trainLabels, classes: 4, perClass: 5, seed: 1)
        #expect(Set(held).isDisjoint(with: outcome.labeledIndices))
    }

    @Test func knnChoosesKOnValidationOrCapsItByTheClassCounts() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url, spread: 1.5)
        let data = try ProbeData(url: url)
        // 8 labels over 4 classes, no validation: k capped at 2 per class.
        let capped = ProbeTrainer.run(RunSpec(method: .knn, labels: 8, seed: 0, options: ProbeTests.smallOptions(), epochs: 0),
                                      data: data)
        #expect(capped.chosenK == 2 && capped.errors.validation == nil)
        // With a validation subset: one of the candidates, at most the labeled count.
        let chosen = ProbeTrainer.run(RunSpec(method: .knn, labels: 40, seed: 0, options: ProbeTests.smallOptions(), epochs: 0,
                                              validationPerClass: 10), data: data)
        let k = try #require(chosen.chosenK)
        #expect(KNearestNeighbours.candidates.contains(k) && k <= 40)
        #expect(chosen.errors.validation?.count == 1)
        // An explicit knn_k is used as given (capped by the labeled count).
        var fixed = ProbeTests.smallOptions()
        fixed.knnK = 20
        #expect(ProbeTrainer.run(RunSpec(method: .knn, labels: 8, seed: 0, options: fixed, epochs: 0), data: data).chosenK == 8)
    }

    @Test func nearestIsTheSortedTopK() {
        let values: [Float] = [0.1, 0.9, 0.5, 0.9, -1, 0.3, 0.7]
        values.withUnsafeBufferPointer { p in
            #expect(KNearestNeighbours.nearest(p, row: 0, count: values.count, k: 4) == [1, 3, 6, 2])
            #expect(KNearestNeighbours.nearest(p, row: 2, count: 3, k: 2) == [1, 0])
        }
    }
}

/// An ablation: one sweep over several option sets.
struct AblationPlanTests {
    @Test func everyOptionSetGetsItsCellsAndIgnoredOptionsDoNotRepeatARun() {
        var a = MethodOptions(), b = MethodOptions()
        a.wC = 0
        b.wC = 0.3
        var plan = SweepPlan(methods: [.csd, .knn], labels: [10, nil], seeds: [0, 1], epochs: 2, options: a)
        plan.optionSets = [a, b]
        let cells = plan.cells
        #expect(cells.filter { $0.method == .csd }.count == 8)
        #expect(cells.filter { $0.method == .knn }.count == 4, "kNN ignores w_c: its cells run once")
        #expect(Set(cells.map(\.runID)).count == cells.count)
    }
}
