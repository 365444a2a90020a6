import CDNNL
import CSDSystem

/// The operands of bf16 matrix products. The conversion itself is `HalfPrecision`'s (the one
/// implementation, shared with safetensors' BF16 tensors).
public enum BFloat16 {
    /// `x` rounded to bfloat16 and widened back: exact in fp32.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float { HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: x)) }

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
            for j in 0..<cols { t[j] = HalfPrecision.bfloat16(from: s[j]) }
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
