/// Splits a data-set split into contiguous, balanced slices for independent extract runs.
public enum ShardPlan {
    /// Rows of shard `shard` (0-based) of `count`: the first `rows % count` shards get one row
    /// more, so sizes differ by at most one and the shards tile 0..<rows in order.
    public static func range(shard: Int, of count: Int, rows: Int) -> Range<Int> {
        precondition(count > 0 && (0..<count).contains(shard) && rows >= 0,
                     "shard \(shard) of \(count) over \(rows) rows")
        let base = rows / count, extra = rows % count
        let start = shard * base + min(shard, extra)
        return start..<(start + base + (shard < extra ? 1 : 0))
    }

    /// The conventional shard file next to `output`: `name.shard-<k+1>-of-<n>.h5` for `name.h5`.
    public static func shardFileName(for outputName: String, shard: Int, of count: Int) -> String {
        let stem = outputName.hasSuffix(".h5") ? String(outputName.dropLast(3)) : outputName
        return "\(stem).shard-\(shard + 1)-of-\(count).h5"
    }
}
