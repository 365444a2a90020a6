/// One IDX file (MNIST's format), plain or gzipped, with its header checked against its size.
///
/// Header, big-endian: two zero bytes, the element type (0x08 = u8), the number of dimensions,
/// then one u32 per dimension; the data follows row-major.
struct IDXFile: Sendable {
    let path: String
    let gzipped: Bool
    let dims: [Int]

    var headerBytes: Int { 4 + 4 * dims.count }
    var dataBytes: Int { dims.reduce(1, *) }

    /// Opens and validates `path`; `expectedRank` is 3 for images, 1 for labels.
    init(path: String, expectedRank: Int) throws {
        self.path = path
        let input = try FileInput(path: path)
        guard input.size >= 2 else { throw DatasetError(file: path, "file too short (\(input.size) bytes) for an IDX header") }
        let magic = try input.bytes(at: 0, count: 2)
        // Decide by content, not name: a renamed file still reads.
        gzipped = magic == [0x1F, 0x8B]
        let stream: any ByteStream = gzipped
            ? try InflateStream(input, offset: 0, length: input.size, format: .gzip, label: "gzip stream")
            : FileRegionStream(input, offset: 0, length: input.size, label: "IDX file")
        let head = try IDXFile.readBytes(stream, 4, what: "IDX magic")
        guard head[0] == 0, head[1] == 0 else {
            throw DatasetError(file: path, "wrong magic \(head.map { String($0) }.joined(separator: " ")): not an IDX file")
        }
        guard head[2] == 0x08 else {
            throw DatasetError(file: path, "IDX element type 0x\(String(head[2], radix: 16)) is not unsigned byte (0x08)")
        }
        guard Int(head[3]) == expectedRank else {
            throw DatasetError(file: path, "IDX file has \(head[3]) dimensions, expected \(expectedRank)")
        }
        let raw = try IDXFile.readBytes(stream, 4 * expectedRank, what: "IDX dimensions")
        dims = (0..<expectedRank).map { d in
            raw[4 * d..<4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let data = checkedProduct(dims) else {
            throw DatasetError(file: path, "IDX dimensions \(dims) overflow")
        }
        let expected = 4 + 4 * expectedRank + data
        let shape = dims.map(String.init).joined(separator: " x ")
        if !gzipped {
            guard input.size == expected else {
                throw DatasetError(file: path, "size mismatch: header says \(shape) (\(expected) bytes with the header), file has \(input.size) bytes")
            }
        } else {
            try IDXFile.checkGzipSize(input: input, stream: stream, expected: expected, consumed: 4 + 4 * expectedRank, shape: shape)
        }
    }

    private static func readBytes(_ stream: any ByteStream, _ count: Int, what: String) throws -> [UInt8] {
        do { return try stream.bytes(count) } catch let error as DatasetError where error.message.contains("ends early") {
            throw DatasetError(file: stream.path, "file too short for the \(what)")
        }
    }

    /// The gzip trailer's ISIZE (size mod 2^32 of the last member) answers cheaply when it agrees
    /// with the header. When it does not (truncation, a lying header, several members), the
    /// whole stream is inflated and counted, which also verifies its CRC.
    private static func checkGzipSize(input: FileInput, stream: any ByteStream, expected: Int, consumed: Int,
                                      shape: String) throws {
        guard input.size >= 18 else { throw DatasetError(file: input.path, "truncated gzip stream (\(input.size) bytes)") }
        let trailer = try input.bytes(at: input.size - 4, count: 4)
        let isize = trailer.reversed().reduce(0) { $0 << 8 | Int($1) }
        if isize == expected & 0xFFFF_FFFF { return }
        let total = try consumed + stream.drain()
        guard total == expected else {
            throw DatasetError(file: input.path, "size mismatch: header says \(shape) (\(expected) bytes with the header), the gzip stream holds \(total) bytes")
        }
    }

    /// A stream positioned at the first data byte.
    func openData() throws -> any ByteStream {
        let input = try FileInput(path: path)
        if gzipped {
            let stream = try InflateStream(input, offset: 0, length: input.size, format: .gzip, label: "gzip stream")
            try stream.skip(headerBytes)
            return stream
        }
        return FileRegionStream(input, offset: headerBytes, length: dataBytes, label: "IDX data")
    }
}
