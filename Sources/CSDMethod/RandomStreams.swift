import CSDTensor

/// The independent random streams of one run, numbered once here so that probe, finetune and
/// the PyTorch reference (tools/csd_reference.py) draw the same numbers from the same seed.
public enum RunStream: UInt64, Sendable {
    /// Initial weights of the heads and discriminators.
    case initialisation = 1
    /// Epoch permutations of the unlabeled pool and of the labeled subset.
    case order = 2
    /// The discriminators' prior draws (class one-hots, Gaussian style).
    case prior = 3
    /// finetune: the train images whose tokens give the standardisation statistics.
    case statisticsSample = 4
}

extension RandomStream {
    /// The stream `purpose` of the run with seed `seed`.
    public init(seed: Int, _ purpose: RunStream) {
        self.init(seed: UInt64(seed), stream: purpose.rawValue)
    }
}
