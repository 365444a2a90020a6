/// A forward-only source of bytes: a region of a file, or the inflated content of a compressed
/// region. Sequential formats (gzip IDX, MAT variables) are read through it.
protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the stream.
    func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// What the stream is, for error messages ("gzip stream", "compressed variable 'X'").
    var label: String { get }
    var path: String { get }
    /// Moves `count` bytes forward (a requirement so that file regions can seek).
    func skip(_ count: Int) throws
}

extension ByteStream {
    /// Fills `buffer` completely, or throws a truncation error.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = try readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            guard n > 0 else {
                throw DatasetError(file: path, "\(label) ends early: needed \(buffer.count - done) more bytes")
            }
            done += n
        }
    }

    func bytes(_ count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Reads `count` bytes in bounded chunks, so that a lying size fails at the truncation
    /// instead of allocating what it claims up front.
    func boundedBytes(_ count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(min(count, 1 << 24))
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while result.count < count {
            let n = min(chunk.count, count - result.count)
            try chunk.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    func skip(_ count: Int) throws {
        guard count > 0 else { return }
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 16))
        var left = count
        try scratch.withUnsafeMutableBytes { buffer in
            while left > 0 {
                let n = min(left, buffer.count)
                try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
                left -= n
            }
        }
    }

    /// Counts the bytes left (decompressing them all): verifies a compressed stream's checksum.
    func drain() throws -> Int {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        try scratch.withUnsafeMutableBytes { buffer in
            while true {
                let n = try readSome(into: buffer)
                if n == 0 { break }
                total += n
            }
        }
        return total
    }

    /// Requires the stream to end here (and, when compressed, its checksum to match).
    func expectEnd() throws {
        let extra = try drain()
        guard extra == 0 else {
            throw DatasetError(file: path, "\(label) has \(extra) bytes more than its header describes")
        }
    }
}

/// A region `[offset, offset + length)` of a file, read forwards through a buffer.
final class FileRegionStream: ByteStream {
    let input: FileInput
    let label: String
    var path: String { input.path }
    private var position: Int
    private let end: Int

    init(_ input: FileInput, offset: Int, length: Int, label: String) {
        self.input = input
        self.position = offset
        self.end = offset + length
        self.label = label
    }

    func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, end - position)
        guard n > 0 else { return 0 }
        try input.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
        position += n
        return n
    }

    /// Seeks instead of reading: plain files have random access.
    func skip(_ count: Int) throws {
        guard count <= end - position else {
            throw DatasetError(file: path, "\(label) ends early: cannot skip \(count) bytes")
        }
        position += count
    }
}
