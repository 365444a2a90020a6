/// Exact IEEE half (F16) and bfloat16 (BF16) conversions by bit manipulation: the one
/// implementation behind safetensors' F16/BF16 tensors and the feature cache's f16 features.
///
/// Written out rather than using `Float16` so the results are identical on every platform
/// (Float16 is missing on macOS/x86_64) and NaN handling is explicit. Float -> half rounds to
/// nearest even, as numpy's `astype(float16)` and hardware conversion do.
public enum HalfPrecision {
    /// F16 -> F32. Exact for every input: subnormals are normalised, infinities kept, and NaNs
    /// keep sign and payload with the quiet bit set (as hardware conversion does).
    @inlinable
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {
            let nan: UInt32 = mantissa != 0 ? 0x40_0000 : 0
            return Float(bitPattern: sign | 0x7F80_0000 | nan | (mantissa << 13))
        }
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal: shift the leading 1 up to the implicit position, lowering the exponent.
            var m = mantissa
            var e: UInt32 = 127 - 15 + 1
            while m & 0x400 == 0 {
                m <<= 1
                e -= 1
            }
            return Float(bitPattern: sign | (e << 23) | ((m & 0x3FF) << 13))
        }
        return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (mantissa << 13))
    }

    /// F32 -> F16 with round-to-nearest-even; overflow gives infinity, NaNs stay NaN (quiet).
    @inlinable
    public static func half(from value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xFF)
        let mantissa = x & 0x7F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127 + 15  // biased half exponent
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            // Half subnormal (or zero): value = m * 2^-24 with m = significand >> (14 - e).
            if e < -10 { return sign }  // below half the smallest subnormal: rounds to zero
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var m = significand >> shift
            let rest = significand & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            if rest > halfway || (rest == halfway && m & 1 == 1) { m += 1 }  // may carry into the smallest normal
            return sign | UInt16(truncatingIfNeeded: m)
        }
        var bits = (UInt32(e) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && bits & 1 == 1) { bits += 1 }  // carry may reach infinity, as it should
        return sign | UInt16(truncatingIfNeeded: bits)
    }

    /// BF16 -> F32: bfloat16 is the top half of a float32, so this is exact for every input.
    @inlinable
    public static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// F32 -> BF16 with round-to-nearest-even; NaNs stay NaN (quiet), and finite values past the
    /// largest bfloat16 round to infinity (as PyTorch's conversion does).
    @inlinable
    public static func bfloat16(from value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }
        let lsb = (x >> 16) & 1
        return UInt16(truncatingIfNeeded: (x &+ 0x7FFF &+ lsb) >> 16)
    }
}
