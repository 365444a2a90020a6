import Foundation

/// One row of `results.jsonl`: a single training run (one method, label count, seed and set of
/// options) with everything needed to reproduce and compare it. `probe` and `finetune` both
/// write this schema, so the same table, plot and notebook serve both.
public struct RunResult: Codable, Equatable, Sendable {
    /// Stable key of the sweep cell: method, label count, seed and the options that differ from
    /// the defaults. A restarted sweep skips cells whose key is already in results.jsonl.
    public var runID: String
    /// `csd`, `supervised`, `linear`, `knn`.
    public var method: String
    /// Labeled samples used (the requested count, or the pool size for `all`).
    public var labels: Int
    /// What was asked: a number, or "all".
    public var labelsRequested: String
    public var seed: Int
    /// Every option of the method with its value (defaults included), as strings.
    public var options: [String: String]
    public var epochs: Int
    /// Test error (1 - accuracy of argmax p) after the last epoch.
    public var finalTestError: Double
    /// Lowest test error over the evaluations (the paper's figures plot this).
    public var bestTestError: Double
    public var bestEpoch: Int
    /// Test error at the evaluation with the lowest validation error (the first, on ties), when
    /// the run held out a validation subset.
    public var validationChosenTestError: Double?
    /// Test error after each epoch.
    public var testErrors: [Double]
    /// Validation error at each evaluation (the held-out labeled subset), when there is one.
    public var validationErrors: [Double]?
    public var wallSeconds: Double
    public var toolVersion: String
    /// Which cache (path and provenance fields) the run read.
    public var cache: [String: String]
    /// File (relative to the sweep folder) holding the labeled indices of this seed.
    public var subsetFile: String
    public var trainRows: Int
    public var testRows: Int
    /// `probe` (frozen backbone) or `finetune` (trainable).
    public var backbone: String
    public var timestamp: String
    /// Test errors on each evaluation cache (`--eval-cache`), absent without one.
    public var evaluations: [DomainEvaluation]?
    /// The disentanglement report of the run's codes on every evaluated test split, absent when
    /// the run has no codes (kNN) or predates it.
    public var disentanglement: [DisentanglementScore]?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", method, labels, labelsRequested = "labels_requested", seed, options, epochs
        case finalTestError = "final_test_error", bestTestError = "best_test_error", bestEpoch = "best_epoch"
        case validationChosenTestError = "validation_chosen_test_error", testErrors = "test_errors"
        case validationErrors = "validation_errors"
        case wallSeconds = "wall_seconds", toolVersion = "tool_version", cache, subsetFile = "subset_file"
        case trainRows = "train_rows", testRows = "test_rows", backbone, timestamp, evaluations, disentanglement
    }

    public init(runID: String, method: String, labels: Int, labelsRequested: String, seed: Int,
                options: [String: String], epochs: Int, finalTestError: Double, bestTestError: Double,
                bestEpoch: Int, validationChosenTestError: Double?, testErrors: [Double], wallSeconds: Double,
                toolVersion: String, cache: [String: String], subsetFile: String, trainRows: Int, testRows: Int,
                backbone: String, timestamp: String) {
        self.runID = runID; self.method = method; self.labels = labels; self.labelsRequested = labelsRequested
        self.seed = seed; self.options = options; self.epochs = epochs; self.finalTestError = finalTestError
        self.bestTestError = bestTestError; self.bestEpoch = bestEpoch
        self.validationChosenTestError = validationChosenTestError; self.testErrors = testErrors
        self.wallSeconds = wallSeconds; self.toolVersion = toolVersion; self.cache = cache
        self.subsetFile = subsetFile; self.trainRows = trainRows; self.testRows = testRows
        self.backbone = backbone; self.timestamp = timestamp
    }

    /// A row whose error fields follow docs/METHOD.md's conventions from the run's evaluations.
    public init(runID: String, method: String, labels: Int, labelsRequested: String, seed: Int,
                options: [String: String], epochs: Int, errors: ErrorHistory, wallSeconds: Double,
                toolVersion: String, cache: [String: String], subsetFile: String, trainRows: Int, testRows: Int,
                backbone: String, timestamp: String) {
        self.init(runID: runID, method: method, labels: labels, labelsRequested: labelsRequested, seed: seed,
                  options: options, epochs: epochs, finalTestError: errors.final, bestTestError: errors.best.error,
                  bestEpoch: errors.best.evaluation, validationChosenTestError: errors.validationChosen,
                  testErrors: errors.test, wallSeconds: wallSeconds, toolVersion: toolVersion, cache: cache,
                  subsetFile: subsetFile, trainRows: trainRows, testRows: testRows, backbone: backbone, timestamp: timestamp)
        validationErrors = errors.validation
    }
}

/// A run's evaluations (test error, and validation error where a subset is held out) and the
/// three errors docs/METHOD.md reports from them: final, best, and validation-chosen.
public struct ErrorHistory: Sendable, Equatable {
    public var test: [Double]
    public var validation: [Double]?

    public init(test: [Double], validation: [Double]? = nil) {
        self.test = test; self.validation = validation
    }

    public var final: Double { test.last ?? .nan }

    /// The lowest test error and its evaluation (1-based; the first, on ties).
    public var best: (error: Double, evaluation: Int) {
        guard let best = test.enumerated().min(by: { $0.element < $1.element }) else { return (.nan, 1) }
        return (best.element, best.offset + 1)
    }

    /// The test error at the evaluation with the lowest validation error (the first, on ties).
    public var validationChosen: Double? {
        guard let validation, validation.count == test.count,
              let chosen = validation.enumerated().min(by: { $0.element < $1.element }) else { return nil }
        return test[chosen.offset]
    }
}
