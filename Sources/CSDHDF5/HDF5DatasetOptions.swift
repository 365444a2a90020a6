/// Compression of a chunked dataset.
public enum HDF5Compression: Equatable, Sendable {
    case none
    /// zlib deflate at `level` (1...9); `shuffle` first groups the bytes of each element, which
    /// helps integers and half floats more than float32 tokens.
    case gzip(level: Int, shuffle: Bool)
}

/// How a dataset is laid out on disk.
public struct HDF5DatasetOptions: Equatable, Sendable {
    /// Chunk size in rows (axis 0; a chunk spans the other axes whole). nil picks the largest
    /// power of two whose chunk stays within `defaultChunkByteTarget`, and no more rows than
    /// the dataset has (when it has any).
    public var chunkRows: Int?
    public var compression: HDF5Compression
    /// Whether axis 0 may grow (maximum dimension unlimited); the other axes are fixed.
    public var extendible: Bool
    /// A Fletcher32 checksum per chunk (HDF5's own filter): a read of a chunk whose bytes changed
    /// fails instead of returning them. Needs a chunked dataset (any with rows).
    public var checksum: Bool
    /// False: one contiguous block, as h5py writes by default (fixed size, so not extendible,
    /// and without filters).
    public var chunked: Bool

    public init(chunkRows: Int? = nil, compression: HDF5Compression = .none, extendible: Bool = true,
                checksum: Bool = false, chunked: Bool = true) {
        self.chunkRows = chunkRows
        self.compression = compression
        self.extendible = extendible
        self.checksum = checksum
        self.chunked = chunked
    }

    /// A contiguous, fixed-size dataset without filters.
    public static let contiguous = HDF5DatasetOptions(extendible: false, chunked: false)

    /// Chunks above HDF5's default 1 MiB chunk cache made writes ~3x and batched reads ~5x
    /// slower (docs/PERFORMANCE.md); half of it leaves room for a second chunk.
    public static let defaultChunkByteTarget = 512 << 10
    /// The largest chunk CSDHDF5 creates (unless a single row is larger).
    public static let maximumChunkBytes = 1 << 20

    /// The chunk row count for rows of `rowBytes` bytes in a dataset that starts with `rows`.
    public func resolvedChunkRows(rowBytes: Int, rows: Int) -> Int {
        if let chunkRows { return max(1, chunkRows) }
        let fit = max(1, Self.defaultChunkByteTarget / max(1, rowBytes))
        var power = 1
        while power * 2 <= fit { power *= 2 }
        return rows > 0 ? min(power, rows) : power
    }
}
