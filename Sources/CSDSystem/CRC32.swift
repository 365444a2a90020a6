import CZlib

/// CRC-32 (the polynomial of zlib, gzip and PNG), computed by zlib: table-driven and, on current
/// zlib, vectorised; the one entry point for checksums the package writes itself (journal records).
public enum CRC32 {
    /// The CRC of `bytes`; pass a previous result as `crc` to continue over more bytes.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var crc = uLong(crc)
        var rest = bytes
        // zlib's length is 32-bit: larger buffers go in pieces. (No call for an empty buffer: a
        // null pointer asks zlib for the initial value, which would drop `crc`.)
        while !rest.isEmpty {
            let n = min(rest.count, Int(UInt32.max))
            crc = crc32(crc, rest.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
