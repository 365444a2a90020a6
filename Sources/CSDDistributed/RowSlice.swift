/// The one cut of a list of rows into near-equal contiguous parts: a step's micro-batches, and
/// each rank's share of a global batch (so every process, and every process count, agrees on it).
public enum RowSlice {
    /// Positions of part `part` of `parts` of `count` rows.
    public static func range(count: Int, part: Int, parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }
}

extension ProcessGroup {
    /// This rank's part of `rows` (all of them in a job of one).
    public func share<T>(_ rows: [T]) -> [T] {
        isDistributed ? Array(rows[RowSlice.range(count: rows.count, part: rank, parts: size)]) : rows
    }
}
