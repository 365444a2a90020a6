/// One top-level variable of a MAT v5 file: where it is stored and its matrix header (class,
/// dimensions, name, the real part's stored type and size), parsed without reading its data.
struct MATVariable: Sendable {
    // Data element types (miXXX) and array classes (mxXXX) this reader uses.
    static let miINT8: UInt32 = 1, miUINT8: UInt32 = 2, miINT32: UInt32 = 5, miUINT32: UInt32 = 6
    static let miDOUBLE: UInt32 = 9, miMATRIX: UInt32 = 14, miCOMPRESSED: UInt32 = 15
    static let mxUINT8: UInt8 = 9

    /// Bytes per element of the numeric data types.
    static func elementSize(_ type: UInt32) -> Int? {
        switch type {
        case 1, 2: return 1   // int8, uint8
        case 3, 4: return 2   // int16, uint16
        case 5, 6, 7: return 4   // int32, uint32, single
        case 9, 12, 13: return 8   // double, int64, uint64
        default: return nil
        }
    }

    /// Numeric array classes (mxDOUBLE_CLASS 6 ... mxUINT64_CLASS 15).
    static func isNumericClass(_ c: UInt8) -> Bool { (6...15).contains(c) }

    let name: String
    let classID: UInt8
    let dims: [Int]
    let isComplex: Bool
    /// The real part's stored type and byte count (0 for non-numeric classes).
    let dataType: UInt32
    let dataBytes: Int
    /// The real part when it fits in a 4-byte small element.
    let smallData: [UInt8]?
    /// Offset of the real data from the start of the miMATRIX element (its tag).
    let dataOffset: Int
    /// Bytes after the data up to the end of the miMATRIX element (padding).
    let trailingBytes: Int
    /// The top-level element: its file offset and byte count (after the 8-byte tag).
    let fileOffset: Int
    let storedBytes: Int
    let compressed: Bool

    var label: String { compressed ? "compressed variable '\(name)'" : "variable '\(name)'" }

    /// A stream of the miMATRIX element (tag first), inflating it when compressed.
    func open(_ input: FileInput) throws -> any ByteStream {
        try MATVariable.open(input, offset: fileOffset, storedBytes: storedBytes, compressed: compressed, label: label)
    }

    static func open(_ input: FileInput, offset: Int, storedBytes: Int, compressed: Bool, label: String) throws -> any ByteStream {
        compressed
            ? try InflateStream(input, offset: offset + 8, length: storedBytes, format: .zlib, label: label)
            : FileRegionStream(input, offset: offset, length: 8 + storedBytes, label: label)
    }

    /// A stream positioned at the first byte of the real data.
    func openData(_ input: FileInput) throws -> any ByteStream {
        let stream = try open(input)
        try stream.skip(dataOffset)
        return stream
    }

    /// Parses the matrix header at the start of `stream` (the element at `fileOffset`).
    init(stream: any ByteStream, fileOffset: Int, storedBytes: Int, compressed: Bool) throws {
        var reader = MATTagReader(stream: stream)
        let where_ = "element at offset \(fileOffset)"
        let top = try reader.tag()
        guard top.type == MATVariable.miMATRIX else {
            throw reader.error("\(where_): holds data type \(top.type), expected miMATRIX (14)")
        }
        let matrixBytes = top.count
        if !compressed, matrixBytes != storedBytes {
            throw reader.error("\(where_): miMATRIX byte counts disagree")
        }

        let flagsTag = try reader.tag()
        guard flagsTag.type == MATVariable.miUINT32, flagsTag.count == 8, flagsTag.small == nil else {
            throw reader.error("\(where_): array flags must be 8 bytes of miUINT32 (got type \(flagsTag.type), \(flagsTag.count) bytes)")
        }
        let flags = try reader.bytes(8)
        classID = flags[0]
        isComplex = flags[1] & 0x08 != 0

        let dimsTag = try reader.tag()
        guard dimsTag.type == MATVariable.miINT32, dimsTag.count >= 8, dimsTag.count % 4 == 0, dimsTag.count <= 4 * 32 else {
            throw reader.error("\(where_): dimensions must be 2 to 32 miINT32 values (got type \(dimsTag.type), \(dimsTag.count) bytes)")
        }
        let rawDims = try reader.payload(dimsTag)
        dims = (0..<dimsTag.count / 4).map { d in
            Int(Int32(bitPattern: UInt32(rawDims[4 * d]) | UInt32(rawDims[4 * d + 1]) << 8
                      | UInt32(rawDims[4 * d + 2]) << 16 | UInt32(rawDims[4 * d + 3]) << 24))
        }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw reader.error("\(where_): negative dimension in \(dims)") }

        let nameTag = try reader.tag()
        guard nameTag.type == MATVariable.miINT8, nameTag.count <= 63 * 4 else {
            throw reader.error("\(where_): array name must be miINT8 (got type \(nameTag.type), \(nameTag.count) bytes)")
        }
        let nameBytes = try reader.payload(nameTag)
        guard let decoded = String(validating: nameBytes, as: UTF8.self) else {
            throw reader.error("\(where_): array name is not text")
        }
        name = decoded

        guard MATVariable.isNumericClass(classID) else {
            // Cells, structs, chars, sparse: their contents are not needed here.
            (dataType, dataBytes, smallData, dataOffset, trailingBytes) = (0, 0, nil, reader.consumed, 0)
            (self.fileOffset, self.storedBytes, self.compressed) = (fileOffset, storedBytes, compressed)
            return
        }
        let dataTag = try reader.tag()
        guard let size = MATVariable.elementSize(dataTag.type) else {
            throw reader.error("\(where_): variable '\(name)' stores its data as type \(dataTag.type), not a numeric type")
        }
        guard let elements = checkedProduct(dims), let expected = checkedProduct([elements, size]),
              expected == dataTag.count else {
            throw reader.error("\(where_): variable '\(name)' has \(dataTag.count) data bytes, dimensions \(dims) of \(size)-byte elements need \(checkedProduct(dims + [size]).map(String.init) ?? "too many")")
        }
        dataType = dataTag.type
        dataBytes = dataTag.count
        smallData = dataTag.small
        dataOffset = reader.consumed
        let padded = dataTag.small == nil ? MATTagReader.padded(dataTag.count) : 0
        let end = reader.consumed + padded
        // The miMATRIX byte count must cover exactly the sub-elements (an imaginary part follows
        // the real one in complex arrays).
        guard isComplex ? end <= 8 + matrixBytes : end == 8 + matrixBytes else {
            throw reader.error("\(where_): miMATRIX '\(name)' claims \(matrixBytes) bytes but its sub-elements take \(end - 8)")
        }
        trailingBytes = 8 + matrixBytes - reader.consumed - (dataTag.small == nil ? dataTag.count : 0)
        (self.fileOffset, self.storedBytes, self.compressed) = (fileOffset, storedBytes, compressed)
    }
}

/// Reads data-element tags: 8 bytes (u32 type, u32 byte count, data padded to 8 bytes), or the
/// 4-byte small form (byte count in the upper 16 bits of the first word, data in the next 4).
struct MATTagReader {
    struct Tag {
        let type: UInt32
        let count: Int
        /// The data of a small element (already consumed with its tag).
        let small: [UInt8]?
    }

    let stream: any ByteStream
    private(set) var consumed = 0

    init(stream: any ByteStream) { self.stream = stream }

    static func padded(_ count: Int) -> Int { (count + 7) & ~7 }

    func error(_ message: String) -> DatasetError { DatasetError(file: stream.path, message) }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        let b = try stream.bytes(count)
        consumed += count
        return b
    }

    mutating func tag() throws -> Tag {
        let b = try bytes(8)
        let first = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        if first >> 16 != 0 {
            let count = Int(first >> 16)
            guard count <= 4 else { throw error("small data element claims \(count) bytes (at most 4)") }
            return Tag(type: first & 0xFFFF, count: count, small: Array(b[4..<4 + count]))
        }
        let count = Int(UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
        return Tag(type: first, count: count, small: nil)
    }

    /// A sub-element's data (small or padded to 8 bytes).
    mutating func payload(_ tag: Tag) throws -> [UInt8] {
        if let small = tag.small { return small }
        let data = try bytes(tag.count)
        let pad = MATTagReader.padded(tag.count) - tag.count
        if pad > 0 { _ = try bytes(pad) }
        return data
    }
}
