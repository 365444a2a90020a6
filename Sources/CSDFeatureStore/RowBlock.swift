/// A block of rows on their way into a cache file, in the file's layout: separate index,
/// label, feature (already in the target dtype) and attribute arrays. Sources append rows;
/// the builder writes the block and resets it.
final class RowBlock {
    let featureDim: Int
    let dtype: FeatureDType
    /// In the output's order (sorted).
    let attributeNames: [String]
    let capacity: Int
    private(set) var count = 0

    let indices: UnsafeMutableBufferPointer<Int64>
    let labels: UnsafeMutableBufferPointer<Int64>
    /// capacity x featureDim elements of `dtype`.
    let features: UnsafeMutableRawBufferPointer
    let attributes: [UnsafeMutableBufferPointer<Float>]

    init(featureDim: Int, dtype: FeatureDType, attributeNames: [String], capacity: Int) {
        self.featureDim = featureDim
        self.dtype = dtype
        self.attributeNames = attributeNames
        self.capacity = capacity
        indices = .allocate(capacity: capacity)
        labels = .allocate(capacity: capacity)
        features = .allocate(byteCount: max(1, capacity * featureDim * dtype.byteCount), alignment: 64)
        attributes = attributeNames.map { _ in .allocate(capacity: capacity) }
    }

    deinit {
        indices.deallocate()
        labels.deallocate()
        features.deallocate()
        attributes.forEach { $0.deallocate() }
    }

    var featureRowBytes: Int { featureDim * dtype.byteCount }

    /// Feature bytes of rows `start..<start+n` of the block.
    func featureBytes(_ start: Int, _ n: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: features[(start * featureRowBytes)..<((start + n) * featureRowBytes)])
    }

    func reset() { count = 0 }

    /// Marks `n` more rows (already written at `count`...) as filled.
    func commit(_ n: Int) {
        precondition(count + n <= capacity)
        count += n
    }
}

/// Where the rows of one split come from when a cache file is (re)built.
protocol SplitRowSource {
    var rowCount: Int { get }
    /// Appends `rows` (0-based positions in this source) to `block` at `block.count`.
    func read(_ rows: Range<Int>, into block: RowBlock) throws
}

/// Several sources one after the other (the shards of a split, in row order).
struct ConcatenatedSource: SplitRowSource {
    let parts: [any SplitRowSource]

    var rowCount: Int { parts.reduce(0) { $0 + $1.rowCount } }

    func read(_ rows: Range<Int>, into block: RowBlock) throws {
        var offset = 0
        for part in parts {
            let local = max(rows.lowerBound - offset, 0)..<min(rows.upperBound - offset, part.rowCount)
            if !local.isEmpty { try part.read(local, into: block) }
            offset += part.rowCount
        }
    }
}
