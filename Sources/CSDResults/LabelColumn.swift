/// One column of the label grid: a requested number of labeled samples, or `all` (the whole
/// train split). Sorts numerically with `all` last, so tables and plots read left to right from
/// scarce to full supervision.
public struct LabelColumn: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The requested count; nil for `all`.
    public let count: Int?

    public init(count: Int?) { self.count = count }

    public static let all = LabelColumn(count: nil)

    public var isAll: Bool { count == nil }

    public var description: String { count.map(String.init) ?? "all" }

    public static func < (a: LabelColumn, b: LabelColumn) -> Bool {
        switch (a.count, b.count) {
        case let (x?, y?): return x < y
        case (_?, nil): return true
        default: return false
        }
    }
}
