/// The interpolation kernels the reference processors use.
public enum Interpolation: String, Codable, Hashable, Sendable, CaseIterable {
    /// Triangle kernel, support 1.
    case bilinear
    /// Keys cubic kernel with a = -0.5 (Pillow's value; torch's bicubic uses -0.75), support 2.
    case bicubic
}

extension Interpolation {
    /// Half-width of the kernel at scale 1; Pillow widens it by the downscale factor (antialiasing).
    var pillowSupport: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    /// The kernel weight at distance `x`, written in the same operation order as Pillow's
    /// `bilinear_filter` / `bicubic_filter` so every double rounds the same way.
    @inline(__always)
    func pillowWeight(_ x: Double) -> Double {
        let x = x < 0 ? -x : x
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}
