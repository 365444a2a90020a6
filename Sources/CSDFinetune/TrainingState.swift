import CSDMethod
import CSDTensor

/// Where a run stands between two optimiser steps: with the weights and the optimiser moments,
/// enough to continue bit for bit as if the process had never stopped.
struct TrainingState: Codable {
    /// The run's settings key and the pre-trained weights it started from: a checkpoint of other
    /// settings is refused rather than silently continued.
    var runID: String
    var initialWeights: String
    /// Optimiser steps done, in all.
    var step = 0
    /// Epochs completed (each ends with a test evaluation).
    var epoch = 0
    /// Steps done in the current epoch.
    var stepInEpoch = 0
    /// The current epoch's order of the unlabeled pool (positions in the pool), and where the
    /// labeled batches are in their cycle through the subset.
    var poolOrder: [Int] = []
    var labeledCycle = LabeledCycle(order: [])
    var orderRNG: RandomStream.Snapshot
    var priorRNG: RandomStream.Snapshot
    var testErrors: [Double] = []
    /// Validation errors after each epoch (empty without a validation subset).
    var validationErrors: [Double] = []
    /// Test errors of each evaluation data set (`--eval-dataset`) after each evaluation; nil
    /// without one (and in checkpoints written before the option existed).
    var domainTestErrors: [[Double]]?
    var wallSeconds = 0.0
}
