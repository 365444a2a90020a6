import Foundation

/// Damaged variants of a valid file, for hostile-input tests: every reader must turn each one
/// into a clear error (or read it, when the damage is harmless) without crashing or hanging.
public enum HostileCorpus {
    public struct Variant {
        public let name: String
        public let bytes: [UInt8]
        /// Truncations: a reader must refuse these, never read them as a valid file.
        public let mustFail: Bool

        public init(name: String, bytes: [UInt8], mustFail: Bool) {
            self.name = name; self.bytes = bytes; self.mustFail = mustFail
        }
    }

    /// Runs `check` (a failure, or nil) on each variant, each under `MemoryBound` for
    /// `fileBytes` of other input plus the variant's own bytes, and summarises the failures (nil
    /// when there are none).
    public static func failures(_ variants: [Variant], fileBytes: Int = 0, _ check: (Variant) -> String?) -> String? {
        let failures = variants.compactMap { variant in
            MemoryBound.check(variant.name, fileBytes: fileBytes + variant.bytes.count) { check(variant) }
        }
        guard !failures.isEmpty else { return nil }
        return "\(failures.count) of \(variants.count) variants:\n" + failures.prefix(8).joined(separator: "\n")
    }

    /// Each 4-byte-aligned word in `range` (aligned from its start) set to 0, -1 and 2^31, and each
    /// 8-byte one to 2^63, little- and big-endian: sizes, counts and offsets of a header made
    /// empty, negative or huge.
    public static func mutatedWords(of original: [UInt8], in range: Range<Int>) -> [Variant] {
        let words: [(String, [UInt8])] = [
            ("0", [0, 0, 0, 0]), ("-1", [0xFF, 0xFF, 0xFF, 0xFF]),
            ("2^31 LE", [0, 0, 0, 0x80]), ("2^31 BE", [0x80, 0, 0, 0]),
        ]
        let end = min(range.upperBound, original.count)
        var out: [Variant] = []
        for offset in stride(from: range.lowerBound, to: max(range.lowerBound, end - 3), by: 4) {
            for (label, word) in words {
                var bytes = original
                bytes.replaceSubrange(offset..<(offset + 4), with: word)
                out.append(Variant(name: "word at \(offset) = \(label)", bytes: bytes, mustFail: false))
            }
            if (offset - range.lowerBound) % 8 == 0, offset + 8 <= end {
                for (label, word) in [("2^63 LE", [0, 0, 0, 0, 0, 0, 0, 0x80] as [UInt8]), ("2^63 BE", [0x80, 0, 0, 0, 0, 0, 0, 0])] {
                    var bytes = original
                    bytes.replaceSubrange(offset..<(offset + 8), with: word)
                    out.append(Variant(name: "word at \(offset) = \(label)", bytes: bytes, mustFail: false))
                }
            }
        }
        return out
    }

    /// Truncation at every offset of the first `header` bytes and at `samples` offsets spread over
    /// the rest; each 4-byte-aligned word of the header set to 0, -1, 2^31 and (8-byte aligned)
    /// 2^63, little- and big-endian; the magic (first 4 bytes) zeroed; `randomFiles` files of seeded
    /// random bytes of the original's length.
    public static func variants(of original: [UInt8], header: Int, samples: Int = 16, randomFiles: Int = 4) -> [Variant] {
        var out: [Variant] = []
        let headerEnd = min(header, original.count)
        var cuts = Set(0..<headerEnd)
        if original.count > headerEnd {
            for i in 0..<samples { cuts.insert(headerEnd + (original.count - headerEnd) * i / samples) }
        }
        for cut in cuts.sorted() where cut < original.count {
            out.append(Variant(name: "truncated at \(cut)", bytes: Array(original.prefix(cut)), mustFail: true))
        }
        out += mutatedWords(of: original, in: 0..<headerEnd)
        if original.count >= 4 {
            var bytes = original
            bytes.replaceSubrange(0..<4, with: [0, 0, 0, 0])
            out.append(Variant(name: "magic zeroed", bytes: bytes, mustFail: false))
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<randomFiles {
            let bytes = (0..<original.count).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            out.append(Variant(name: "random bytes \(i)", bytes: bytes, mustFail: false))
        }
        return out
    }
}
