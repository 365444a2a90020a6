/// What a cache file records about one of its splits.
public struct FeatureSplitInfo: Equatable, Sendable {
    /// Name, rows of the split in the source, class names, attribute names (sorted).
    public let spec: FeatureSplitSpec
    /// Rows stored (`committed_rows`).
    public let committedRows: Int
    /// The source rows a shard file holds (`row_range_start`..<`row_range_end`); nil when the
    /// file holds the whole split.
    public let rowRange: Range<Int>?

    public var name: String { spec.name }
    public var isShard: Bool { rowRange != nil }
    /// Rows the file should hold: the shard's range, or the whole split.
    public var expectedRows: Int { rowRange?.count ?? spec.rows }
    public var isComplete: Bool { committedRows == expectedRows }
}
