/// Pillow's per-output-pixel filter taps along one axis, already in its 8-bit fixed point.
///
/// Facts from Pillow's libImaging/Resample.c (`precompute_coeffs`, `normalize_coeffs_8bpc`):
/// - scale = in / out; when shrinking, the kernel is stretched by the scale (antialiasing), so
///   `support = filter support * max(scale, 1)` and taps are evaluated at `distance / max(scale, 1)`.
/// - output pixel i is centred at `(i + 0.5) * scale`; taps run from `trunc(center - support + 0.5)`
///   (clamped to 0) to `trunc(center + support + 0.5)` (clamped to `in`).
/// - tap weight `filter((j - center + 0.5) * (1 / max(scale, 1)))`, then divided by the sum of the
///   weights of that pixel (so the taps the border cut away are renormalised).
/// - fixed point: `trunc(w * 2^22 +- 0.5)` (rounding half away from zero) with
///   PRECISION_BITS = 32 - 8 - 2 = 22.
struct ResampleCoefficients {
    static let precisionBits = 22

    /// Taps per output pixel (the stride of `weights`).
    let taps: Int
    /// First input index of each output pixel's taps.
    var first: [Int]
    /// Number of taps of each output pixel (at most `taps`).
    var count: [Int]
    /// `weights[i * taps + j]`, fixed point with `precisionBits` fraction bits.
    var weights: [Int32]

    init(inSize: Int, outSize: Int, interpolation: Interpolation) {
        // Pillow passes the box edges as C floats; integer sizes below 2^24 are exact in them.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = interpolation.pillowSupport * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverse = 1 / filterScale
        let unit = Double(1 << ResampleCoefficients.precisionBits)

        var first = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        var w = [Double](repeating: 0, count: taps)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)      // Int(_:) truncates, as C's (int)
            let hi = min(Int(center + support + 0.5), inSize)
            let n = hi - lo
            var sum = 0.0
            for j in 0..<n {
                w[j] = interpolation.pillowWeight((Double(j + lo) - center + 0.5) * inverse)
                sum += w[j]
            }
            for j in 0..<n {
                let v = sum != 0 ? w[j] / sum : w[j]
                weights[i * taps + j] = Int32(v < 0 ? -0.5 + v * unit : 0.5 + v * unit)
            }
            first[i] = lo
            count[i] = n
        }
        self.taps = taps
        self.first = first
        self.count = count
        self.weights = weights
    }

    /// Pillow's `clip8`: drop the fraction bits (arithmetic shift, i.e. floor) and clamp to a byte.
    /// The accumulator starts at 2^21, half a unit, so the floor rounds to nearest.
    @inline(__always)
    static func clip8(_ acc: Int32) -> UInt8 {
        let v = acc >> Int32(precisionBits)
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    static let roundingBias: Int32 = 1 << Int32(precisionBits - 1)
}
