import CSDSystem
import Testing

@Suite struct CRC32Tests {
    @Test func crc32MatchesTheStandardCheckValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        let first = bytes[..<4].withUnsafeBytes { CRC32.checksum($0) }
        #expect(bytes[4...].withUnsafeBytes { CRC32.checksum($0, continuing: first) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0, continuing: first) } == first)
    }
}
