import CSDDistributed
import Foundation

/// One rank's part of a data-parallel step's global batch, as the discriminators' step needs
/// it: which of the batch's rows it holds (its slice of the labeled rows, then of the unlabeled
/// rows, as `TrainingStep` cuts them), so that it takes the same rows of every global prior
/// draw, and the reductions of its weighted loss and gradients.
public final class BatchShare {
    /// This rank's rows of the global batch: `offset..<offset + count` of `total`.
    public let offset: Int, count: Int, total: Int
    let group: ProcessGroup
    let reducer: GradientReducer
    /// Seconds spent waiting for the reductions so far.
    public private(set) var waitSeconds = 0.0

    public init(group: ProcessGroup, labeled: Int, unlabeled: Int, reducer: GradientReducer) {
        func rows(_ rank: Int) -> Int {
            RowSlice.range(count: labeled, part: rank, parts: group.size).count
                + RowSlice.range(count: unlabeled, part: rank, parts: group.size).count
        }
        offset = (0..<group.rank).reduce(0) { $0 + rows($1) }
        count = rows(group.rank)
        total = labeled + unlabeled
        self.group = group
        self.reducer = reducer
    }

    /// The weight of this rank's mean loss in the global batch's mean.
    public var weight: Float { Float(count) / Float(max(total, 1)) }

    /// Before the gradients of one discriminator step are computed.
    func begin() { reducer.begin() }

    /// The gradients summed over the ranks and the step's loss (this rank's weighted part) summed.
    func reduce(loss: Float) -> Float {
        waitSeconds += reducer.finish()
        let started = Date()
        let sum = group.allReduceSum([Double(loss)])[0]
        waitSeconds += Date().timeIntervalSince(started)
        return Float(sum)
    }
}
