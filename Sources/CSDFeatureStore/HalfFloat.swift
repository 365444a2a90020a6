/// IEEE binary16 <-> binary32 by bit manipulation (Swift's `Float16` is missing on macOS/x86),
/// the same rounding as numpy's `astype(float16)`: round to nearest even, overflow to infinity.
enum HalfFloat {
    @inline(__always)
    static func half(from value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xFF)
        let mantissa = x & 0x7F_FFFF
        if exponent == 0xFF {  // infinity stays infinity, NaN stays a quiet NaN
            return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x0200 | UInt16(truncatingIfNeeded: mantissa >> 13))
        }
        let e = exponent - 112  // rebias 127 -> 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal half (or zero): shift the full significand right, rounding to nearest even.
            if e < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            let rest = significand & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            var m = significand >> shift
            if rest > halfway || (rest == halfway && m & 1 == 1) { m += 1 }
            return sign | UInt16(truncatingIfNeeded: m)
        }
        var bits = (UInt32(e) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && bits & 1 == 1) { bits += 1 }  // a carry may reach infinity
        return sign | UInt16(truncatingIfNeeded: bits)
    }

    @inline(__always)
    static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent != 0 { return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13)) }
        // Subnormal or zero: exactly mantissa x 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }

    static func convert(_ source: UnsafeBufferPointer<Float>, to target: UnsafeMutableBufferPointer<UInt16>) {
        precondition(source.count == target.count)
        for i in 0..<source.count { target[i] = half(from: source[i]) }
    }

    static func convert(_ source: UnsafeBufferPointer<UInt16>, to target: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == target.count)
        for i in 0..<source.count { target[i] = float(fromHalf: source[i]) }
    }
}
