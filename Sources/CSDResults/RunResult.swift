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
    /// Test error at the evaluation a validation split chose, when the cache has one.
    public var validationChosenTestError: Double?
    /// Test error after each epoch.
    public var testErrors: [Double]
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

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", method, labels, labelsRequested = "labels_requested", seed, options, epochs
        case finalTestError = "final_test_error", bestTestError = "best_test_error", bestEpoch = "best_epoch"
        case validationChosenTestError = "validation_chosen_test_error", testErrors = "test_errors"
        case wallSeconds = "wall_seconds", toolVersion = "tool_version", cache, subsetFile = "subset_file"
        case trainRows = "train_rows", testRows = "test_rows", backbone, timestamp
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
}
