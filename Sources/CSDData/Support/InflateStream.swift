import CZlib

/// The decompressed content of a zlib or gzip stream stored in a file region, produced on
/// demand through a bounded input buffer: a 1.6 GB variable is never held in memory.
///
/// Errors name the file: a corrupt stream (zlib's message, including checksum mismatches), a
/// truncated stream (the region ends before the stream does), trailing bytes after a gzip member.
final class InflateStream: ByteStream {
    enum Format {
        /// RFC 1950 (MAT miCOMPRESSED elements).
        case zlib
        /// RFC 1952, concatenated members allowed (what `gzip` itself accepts).
        case gzip
    }

    let label: String
    var path: String { input.path }
    private let input: FileInput
    private let format: Format
    private let stream: UnsafeMutablePointer<z_stream>
    private let inBuffer: UnsafeMutableRawBufferPointer
    private var filePosition: Int
    private let fileEnd: Int
    private var finished = false

    init(_ input: FileInput, offset: Int, length: Int, format: Format, label: String) throws {
        self.input = input
        self.format = format
        self.label = label
        self.filePosition = offset
        self.fileEnd = offset + length
        inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        // z_stream holds a pointer to itself once initialised: it must not move, hence the heap.
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 = 32 KiB window; +16 = gzip wrapper only (zlib's +32 auto-detect would also accept
        // a zlib stream inside a .gz file name, which is not gzip).
        let windowBits: Int32 = format == .gzip ? 15 + 16 : 15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            inBuffer.deallocate()
            throw DatasetError(file: input.path, "zlib inflateInit failed (\(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        inBuffer.deallocate()
    }

    private var streamName: String { format == .gzip ? "gzip stream" : label }

    /// Refills the input buffer after the `avail_in` bytes still unread (moved to its start);
    /// false when the region has nothing more.
    private func refill() throws -> Bool {
        let kept = Int(stream.pointee.avail_in)
        if kept > 0 {
            UnsafeMutableRawPointer(inBuffer.baseAddress!).copyMemory(from: stream.pointee.next_in, byteCount: kept)
        }
        let n = min(inBuffer.count - kept, fileEnd - filePosition)
        guard n > 0 else { return false }
        try input.read(at: filePosition, into: UnsafeMutableRawBufferPointer(rebasing: inBuffer[kept..<kept + n]))
        filePosition += n
        stream.pointee.next_in = inBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(kept + n)
        return true
    }

    func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, !finished else { return 0 }
        let capacity = min(buffer.count, Int(UInt32.max))
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(capacity)
        while stream.pointee.avail_out == uInt(capacity) {
            if stream.pointee.avail_in == 0, try !refill() {
                throw DatasetError(file: path, "truncated \(streamName): the data ends before the compressed stream does")
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                let produced = capacity - Int(stream.pointee.avail_out)
                try endOfMember()
                if finished { return produced }
            case Z_NEED_DICT:
                throw DatasetError(file: path, "corrupt \(streamName): needs a preset dictionary")
            case Z_MEM_ERROR:
                throw DatasetError(file: path, "out of memory inflating \(streamName)")
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw DatasetError(file: path, "corrupt \(streamName) (zlib: \(detail))")
            }
        }
        return capacity - Int(stream.pointee.avail_out)
    }

    /// After a stream ends: another gzip member may follow; anything else is an error for gzip.
    /// A zlib stream ends its element.
    private func endOfMember() throws {
        guard format == .gzip else {
            finished = true
            return
        }
        if stream.pointee.avail_in == 0, try !refill() {
            finished = true
            return
        }
        // Two bytes show whether another member follows.
        if stream.pointee.avail_in < 2, try !refill() {
            throw DatasetError(file: path, "trailing byte after the gzip stream")
        }
        guard stream.pointee.next_in[0] == 0x1F, stream.pointee.next_in[1] == 0x8B else {
            throw DatasetError(file: path, "trailing bytes after the gzip stream (not another gzip member)")
        }
        inflateReset(stream)
    }
}
