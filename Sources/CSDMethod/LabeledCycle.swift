import CSDTensor

/// The order in which a run visits its labeled subset: each epoch starts a permutation of the
/// subset, and a labeled batch takes its next rows, starting a fresh permutation when it runs
/// out. Codable, so a finetune checkpoint continues the cycle where it stopped.
public struct LabeledCycle: Codable, Sendable {
    /// A permutation of positions in the labeled subset.
    public var order: [Int]
    public var cursor = 0

    public init(order: [Int]) { self.order = order }

    /// The next `size` rows of `labeled`; fresh permutations come from `rng`.
    public mutating func next(_ size: Int, of labeled: [Int], rng: inout RandomStream) -> [Int] {
        (0..<size).map { _ in
            if cursor == order.count { cursor = 0; order = rng.permutation(labeled.count) }
            cursor += 1
            return labeled[order[cursor - 1]]
        }
    }
}
