import Foundation

/// Bit rot on demand: damages the stored bytes of one known value inside a file.
public enum BitRot {
    /// Finds the little-endian bytes of `value` in the file (they must occur exactly once, as
    /// one feature of an uncompressed cache does) and flips the lowest bit of the first byte.
    /// Returns false, changing nothing, when the bytes occur zero or several times.
    @discardableResult
    public static func flip(_ value: Float, in url: URL) throws -> Bool {
        var bytes = [UInt8](try Data(contentsOf: url))
        let pattern = withUnsafeBytes(of: value.bitPattern.littleEndian) { [UInt8]($0) }
        guard bytes.count >= 4 else { return false }
        let offsets = (0...(bytes.count - 4)).filter { bytes[$0] == pattern[0] && Array(bytes[$0..<($0 + 4)]) == pattern }
        guard offsets.count == 1 else { return false }
        bytes[offsets[0]] ^= 0x01
        try Data(bytes).write(to: url)
        return true
    }
}
