/// Fingerprints of source files or generator parameters: a feature cache records one and refuses
/// to mix data from another source. FNV-1a (64-bit) suffices: this guards against mistakes, not
/// against an adversary.
enum Fingerprint {
    /// Bytes hashed at each end of a file.
    static let edgeBytes = 1 << 16

    struct Hasher {
        private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

        mutating func combine<S: Sequence>(bytes: S) where S.Element == UInt8 {
            for b in bytes {
                value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01B3
            }
        }

        mutating func combine(_ text: String) {
            combine(bytes: text.utf8)
            combine(bytes: [0])
        }

        mutating func combine(_ number: Int) { combine(String(number)) }

        var hex: String {
            let s = String(value, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
    }

    /// Name (last path component), size and the first and last `edgeBytes` bytes of each file.
    static func files(_ paths: [String]) throws -> String {
        var hasher = Hasher()
        for path in paths {
            let input = try FileInput(path: path)
            hasher.combine(String(path.split(separator: "/").last ?? ""))
            hasher.combine(input.size)
            let head = min(input.size, edgeBytes)
            hasher.combine(bytes: try input.bytes(at: 0, count: head))
            let tail = min(input.size, edgeBytes)
            hasher.combine(bytes: try input.bytes(at: input.size - tail, count: tail))
        }
        return "fnv1a64:" + hasher.hex
    }

    /// A hash of generator parameters (already put into a canonical text form).
    static func parameters(_ text: String) -> String {
        var hasher = Hasher()
        hasher.combine(text)
        return "fnv1a64:" + hasher.hex
    }

    /// A 32-bit tag of a split name, used to give every split its own random streams.
    static func splitTag(_ name: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(name)
        return hasher.value & 0xFFFF_FFFF
    }
}
