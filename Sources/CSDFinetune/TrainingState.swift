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
    /// The current epoch's order of the unlabeled pool, and the cycling order of the labeled subset.
    var poolOrder: [Int] = []
    var labeledOrder: [Int] = []
    var cursor = 0
    var orderRNG: RandomStream.Snapshot
    var priorRNG: RandomStream.Snapshot
    var testErrors: [Double] = []
    var wallSeconds = 0.0

    /// The next labeled batch: the subset in the epoch's permuted order, cycled with a fresh
    /// permutation when it runs out (as probe does).
    mutating func nextLabeledBatch(_ size: Int, of labeled: [Int], rng: inout RandomStream) -> [Int] {
        (0..<size).map { _ in
            if cursor == labeledOrder.count { cursor = 0; labeledOrder = rng.permutation(labeled.count) }
            cursor += 1
            return labeled[labeledOrder[cursor - 1]]
        }
    }
}
