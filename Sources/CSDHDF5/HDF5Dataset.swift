import CHDF5

/// A numeric dataset of shape [rows, ...], read and written in whole rows (hyperslabs along
/// axis 0). Element types are checked at open: strings and compounds are not datasets here.
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// The element type stored in the file.
    public let elementType: HDF5ElementType

    init(datasetHandle handle: HDF5Handle, filePath: String, name: String) throws {
        let type = try HDF5Call.id(filePath, "read the type of dataset \"\(name)\"") { H5Dget_type(handle.id) }
        defer { H5Tclose(type) }
        guard let elementType = HDF5ElementType.from(typeID: type) else {
            throw HDF5Error(path: filePath, operation: "open dataset \"\(name)\"",
                            message: "unsupported element type (class \(H5Tget_class(type).rawValue), "
                                + "\(H5Tget_size(type)) bytes); CSDHDF5 reads little-endian numbers")
        }
        self.elementType = elementType
        super.init(handle: handle, filePath: filePath, name: name)
    }

    /// The current extent.
    public var shape: [Int] {
        get throws {
            let operation = "read the shape of \"\(name)\""
            try requireOpen(operation)
            let space = try HDF5Call.id(filePath, operation) { H5Dget_space(id) }
            defer { H5Sclose(space) }
            return try Self.dims(of: space, path: filePath, operation: operation)
        }
    }

    /// Rows along axis 0.
    public var rowCount: Int { get throws { try shape.first ?? 1 } }

    /// Bytes the file holds for the data (chunks as stored, compressed; 0 when nothing was
    /// written): what a declared shape can be checked against before memory is sized by it.
    public var storedBytes: Int {
        get throws {
            try requireOpen("read the storage size of \"\(name)\"")
            return Int(clamping: H5Dget_storage_size(id))
        }
    }

    /// Refuses a shape the stored bytes cannot hold even at deflate's largest ratio (1032:1): a
    /// file that declares billions of rows or giant images and stores a few kilobytes.
    public func requireStorageFitsShape() throws {
        let dims = try shape
        var declared = elementType.byteCount
        for d in dims {
            let (product, overflow) = declared.multipliedReportingOverflow(by: d)
            declared = overflow ? .max : product
        }
        let stored = try storedBytes
        let holdable = stored > Int.max / Self.largestCompressionRatio ? Int.max : stored * Self.largestCompressionRatio
        guard declared <= holdable else {
            throw HDF5Error(path: filePath, operation: "check dataset \"\(name)\"",
                            message: "its shape \(dims) declares \(declared == .max ? "more than 2^63" : "\(declared)") bytes of "
                                + "data but the file stores \(stored); no compression holds that (truncated or hostile file)")
        }
    }

    /// Deflate's theoretical maximum: the ratio no stored chunk can exceed.
    static let largestCompressionRatio = 1032

    /// Whether the chunks carry a Fletcher32 checksum (verified by HDF5 on every read).
    public var hasChecksum: Bool {
        get throws {
            let operation = "read the filters of \"\(name)\""
            try requireOpen(operation)
            let dcpl = try HDF5Call.id(filePath, operation) { H5Dget_create_plist(id) }
            defer { H5Pclose(dcpl) }
            // Negative when the filter is absent; the error it leaves is cleared by the next call.
            var flags: UInt32 = 0, values = 0, config: UInt32 = 0
            return H5Pget_filter_by_id2(dcpl, csd_h5z_filter_fletcher32(), &flags, &values, nil, 0, nil, &config) >= 0
        }
    }

    /// The chunk shape, or nil for a contiguous dataset.
    public var chunkShape: [Int]? {
        get throws {
            let operation = "read the chunk shape of \"\(name)\""
            try requireOpen(operation)
            let dcpl = try HDF5Call.id(filePath, operation) { H5Dget_create_plist(id) }
            defer { H5Pclose(dcpl) }
            guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
            var dims = [hsize_t](repeating: 0, count: 32)
            let rank = try HDF5Call.status(filePath, operation) { H5Pget_chunk(dcpl, Int32(dims.count), &dims) }
            return dims.prefix(Int(rank)).map { Int(clamping: $0) }
        }
    }

    /// Sets the number of rows (axis 0); the dataset must be extendible to grow.
    public func resize(rows: Int) throws {
        let operation = "resize \"\(name)\" to \(rows) rows"
        try requireOpen(operation)
        var dims = try shape.map { hsize_t($0) }
        guard !dims.isEmpty, rows >= 0 else {
            throw HDF5Error(path: filePath, operation: operation, message: "not a dataset with rows")
        }
        dims[0] = hsize_t(rows)
        try HDF5Call.status(filePath, operation) { H5Dset_extent(id, &dims) }
    }

    // MARK: Reading

    /// Reads `rows` into `buffer`, which holds exactly rows.count x (elements per row) values of
    /// `memoryType` (HDF5 converts when it differs from the file's type).
    public func readRows(_ rows: Range<Int>, into buffer: UnsafeMutableRawBufferPointer,
                         as memoryType: HDF5ElementType) throws {
        let operation = "read rows \(rows.lowerBound)..<\(rows.upperBound) of \"\(name)\""
        try withRowSelection(rows, byteCount: buffer.count, memoryType: memoryType, operation) { mem, file in
            try memoryType.withTypeID(path: filePath) { type in
                try HDF5Call.status(filePath, operation) {
                    H5Dread(id, type, mem, file, csd_h5p_default(), buffer.baseAddress)
                }
            }
        }
    }

    public func readRows<T: HDF5Element>(_ rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws {
        try readRows(rows, into: UnsafeMutableRawBufferPointer(buffer), as: T.hdf5ElementType)
    }

    /// The values of `rows`, flattened row-major.
    public func readRows<T: HDF5Element>(_ rows: Range<Int>, as type: T.Type = T.self) throws -> [T] {
        let count = try rows.count * elementsPerRow()
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readRows(rows, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        }
    }

    /// Every value, flattened row-major.
    public func read<T: HDF5Element>(as type: T.Type = T.self) throws -> [T] {
        try readRows(0..<rowCount, as: type)
    }

    // MARK: Writing

    /// Writes whole rows starting at `startRow`; they must lie within the current extent
    /// (`append` grows the dataset first).
    public func writeRows(_ buffer: UnsafeRawBufferPointer, as memoryType: HDF5ElementType, at startRow: Int) throws {
        let perRow = try elementsPerRow() * memoryType.byteCount
        guard perRow > 0, buffer.count % perRow == 0 else {
            throw HDF5Error(path: filePath, operation: "write rows of \"\(name)\"",
                            message: "\(buffer.count) bytes are not whole rows of \(perRow) bytes")
        }
        let rows = startRow..<(startRow + buffer.count / perRow)
        let operation = "write rows \(rows.lowerBound)..<\(rows.upperBound) of \"\(name)\""
        try withRowSelection(rows, byteCount: buffer.count, memoryType: memoryType, operation) { mem, file in
            try memoryType.withTypeID(path: filePath) { type in
                try HDF5Call.status(filePath, operation) {
                    H5Dwrite(id, type, mem, file, csd_h5p_default(), buffer.baseAddress)
                }
            }
        }
    }

    public func writeRows<T: HDF5Element>(_ values: UnsafeBufferPointer<T>, at startRow: Int) throws {
        try writeRows(UnsafeRawBufferPointer(values), as: T.hdf5ElementType, at: startRow)
    }

    public func writeRows<T: HDF5Element>(_ values: [T], at startRow: Int) throws {
        try values.withUnsafeBufferPointer { try writeRows($0, at: startRow) }
    }

    /// Grows the dataset by the rows in `values` and writes them; returns where they went.
    @discardableResult
    public func append<T: HDF5Element>(_ values: UnsafeBufferPointer<T>) throws -> Range<Int> {
        let perRow = try elementsPerRow()
        guard perRow > 0, values.count % perRow == 0 else {
            throw HDF5Error(path: filePath, operation: "append to \"\(name)\"",
                            message: "\(values.count) values are not whole rows of \(perRow)")
        }
        let start = try rowCount
        let rows = start..<(start + values.count / perRow)
        try resize(rows: rows.upperBound)
        try writeRows(values, at: start)
        return rows
    }

    @discardableResult
    public func append<T: HDF5Element>(_ values: [T]) throws -> Range<Int> {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    // MARK: Internals

    /// Elements in one row (the product of the shape after axis 0).
    public func elementsPerRow() throws -> Int {
        try shape.dropFirst().reduce(1, *)
    }

    /// Selects `rows` in the file and a matching memory space, checking the buffer size.
    private func withRowSelection(_ rows: Range<Int>, byteCount: Int, memoryType: HDF5ElementType,
                                  _ operation: String, _ body: (hid_t, hid_t) throws -> Void) throws {
        try requireOpen(operation)
        let fileSpace = try HDF5Call.id(filePath, operation) { H5Dget_space(id) }
        defer { H5Sclose(fileSpace) }
        let dims = try Self.dims(of: fileSpace, path: filePath, operation: operation)
        guard let total = dims.first else {
            throw HDF5Error(path: filePath, operation: operation, message: "scalar dataset has no rows")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= total else {
            throw HDF5Error(path: filePath, operation: operation, message: "the dataset has \(total) rows")
        }
        let expected = rows.count * dims.dropFirst().reduce(1, *) * memoryType.byteCount
        guard byteCount == expected else {
            throw HDF5Error(path: filePath, operation: operation,
                            message: "buffer holds \(byteCount) bytes, the rows need \(expected)")
        }
        if rows.isEmpty { return }
        var start = [hsize_t](repeating: 0, count: dims.count)
        start[0] = hsize_t(rows.lowerBound)
        var count = dims.map { hsize_t($0) }
        count[0] = hsize_t(rows.count)
        try HDF5Call.status(filePath, operation) {
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil)
        }
        let memorySpace = try HDF5Call.id(filePath, operation) { H5Screate_simple(Int32(count.count), &count, nil) }
        defer { H5Sclose(memorySpace) }
        try body(memorySpace, fileSpace)
    }

    static func dims(of space: hid_t, path: String, operation: String) throws -> [Int] {
        let rank = try HDF5Call.status(path, operation) { H5Sget_simple_extent_ndims(space) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try HDF5Call.status(path, operation) { H5Sget_simple_extent_dims(space, &dims, nil) }
        return dims.map { Int(clamping: $0) }  // a damaged extent past 2^63 reads as Int.max, refused by size checks
    }

    /// Bytes in one chunk of an open dataset, or nil if contiguous (or on any failure).
    static func chunkByteCount(_ dataset: hid_t) -> Int? {
        csd_h5_enter()
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return nil }
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let rank = H5Pget_chunk(dcpl, Int32(dims.count), &dims)
        let type = H5Dget_type(dataset)
        guard rank > 0, type >= 0 else { return nil }
        defer { H5Tclose(type) }
        return dims.prefix(Int(rank)).reduce(H5Tget_size(type)) { $0 * Int($1) }
    }

    /// Creates the dataset and returns its id (the caller wraps it).
    static func create(in location: hid_t, name: String, type: HDF5ElementType, shape: [Int],
                       options: HDF5DatasetOptions, path: String, operation: String) throws -> hid_t {
        guard let rows = shape.first, shape.allSatisfy({ $0 >= 0 }) else {
            throw HDF5Error(path: path, operation: operation, message: "a dataset needs a shape [rows, ...]")
        }
        let rowBytes = shape.dropFirst().reduce(type.byteCount, *)
        var dims = shape.map { hsize_t($0) }
        var maxDims = dims
        if options.extendible { maxDims[0] = csd_h5s_unlimited() }
        let dcpl = try HDF5Call.id(path, operation) { H5Pcreate(csd_h5p_dataset_create()) }
        defer { H5Pclose(dcpl) }
        // No modification times in object headers: the same content gives the same bytes.
        try HDF5Call.status(path, operation) { H5Pset_obj_track_times(dcpl, false) }
        var chunkRows = options.resolvedChunkRows(rowBytes: rowBytes, rows: rows)
        if !options.extendible { chunkRows = min(chunkRows, rows) }
        if !options.chunked {
            guard !options.extendible, options.compression == .none, !options.checksum else {
                throw HDF5Error(path: path, operation: operation, message: "a contiguous dataset is fixed-size and has no filters")
            }
            chunkRows = 0
        }
        if chunkRows > 1, chunkRows * rowBytes > HDF5DatasetOptions.maximumChunkBytes {
            throw HDF5Error(path: path, operation: operation,
                            message: "a chunk of \(chunkRows) rows is \(chunkRows * rowBytes) bytes, over the "
                                + "\(HDF5DatasetOptions.maximumChunkBytes)-byte chunk cache")
        }
        // A fixed-size empty dataset cannot be chunked (a chunk may not exceed the maximum size).
        if chunkRows > 0 {
            var chunk = dims
            chunk[0] = hsize_t(chunkRows)
            try HDF5Call.status(path, operation) { H5Pset_chunk(dcpl, Int32(chunk.count), &chunk) }
            if case let .gzip(level, shuffle) = options.compression {
                guard (0...9).contains(level) else {
                    throw HDF5Error(path: path, operation: operation, message: "gzip level \(level) is not in 0...9")
                }
                guard H5Zfilter_avail(csd_h5z_filter_deflate()) > 0 else {
                    throw HDF5Error(path: path, operation: operation, message: "this HDF5 has no gzip filter")
                }
                if shuffle { try HDF5Call.status(path, operation) { H5Pset_shuffle(dcpl) } }
                try HDF5Call.status(path, operation) { H5Pset_deflate(dcpl, UInt32(level)) }
            }
            // Last in the pipeline: the checksum covers the bytes as stored.
            if options.checksum { try HDF5Call.status(path, operation) { H5Pset_fletcher32(dcpl) } }
        } else if options.compression != .none {
            throw HDF5Error(path: path, operation: operation, message: "an empty fixed-size dataset cannot be compressed")
        }
        let space = try HDF5Call.id(path, operation) { H5Screate_simple(Int32(dims.count), &dims, &maxDims) }
        defer { H5Sclose(space) }
        return try type.withTypeID(path: path) { typeID in
            try HDF5Call.id(path, operation) {
                H5Dcreate2(location, name, typeID, space, csd_h5p_default(), dcpl, csd_h5p_default())
            }
        }
    }
}
