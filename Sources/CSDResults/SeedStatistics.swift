import Foundation

/// Mean and spread of one metric over the seeds of a sweep cell.
///
/// `std` is the sample standard deviation (divisor n - 1): the seeds are a sample of the
/// possible labeled subsets and initialisations, and the paper-style "mean ± std over seeds"
/// estimates that population's spread. With one seed there is no spread to estimate and `std`
/// is 0 (not NaN), so a single-seed cell still prints and plots.
public struct SeedStatistics: Equatable, Sendable {
    public let count: Int
    public let mean: Double
    public let std: Double
    public let min: Double
    public let max: Double

    /// Statistics of `values`; nil when there are none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        // Two-pass formula: numerically safe for the small, close values error rates are.
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        self.count = values.count
        self.mean = mean
        self.std = values.count > 1 ? (squares / (n - 1)).squareRoot() : 0
        self.min = values.min()!
        self.max = values.max()!
    }
}
