import CDNNL

/// bfloat16: the upper half of an IEEE single, 8 exponent bits and 7 stored mantissa bits.
public enum BFloat16 {
    /// The bfloat16 nearest to `x` (ties to even), as its 16 bits. NaN stays a (quiet) NaN and
    /// finite values past the largest bfloat16 round to infinity, as PyTorch's conversion does.
    @inline(__always)
    public static func bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
        return x.isNaN ? UInt16(truncatingIfNeeded: u >> 16) | 0x40 : rounded
    }

    /// `x` rounded to bfloat16 and widened back: exact in fp32.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float { float(bits(x)) }

    @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Packs the `rows` x `cols` matrix at `source` (row stride `ld`) into contiguous bfloat16.
    /// With `vectorised` (only where the CPU has AVX512_BF16) one instruction converts 16 values;
    /// it also flushes subnormal inputs to zero, as oneDNN's own conversions do.
    public static func pack(rows: Int, cols: Int, from source: UnsafePointer<Float>, ld: Int,
                            into target: UnsafeMutablePointer<UInt16>, vectorised: Bool) {
        if vectorised {
            csd_pack_bf16_avx512(source, ld, rows, cols, target)
            return
        }
        for r in 0..<rows {
            let s = source + r * ld, t = target + r * cols
            for j in 0..<cols { t[j] = bits(s[j]) }
        }
    }

    /// Packs like `pack`, each value rounded to bfloat16 but kept in fp32 (the emulation's operands).
    public static func packRounded(rows: Int, cols: Int, from source: UnsafePointer<Float>, ld: Int,
                                   into target: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = source + r * ld, t = target + r * cols
            for j in 0..<cols { t[j] = rounded(s[j]) }
        }
    }
}
