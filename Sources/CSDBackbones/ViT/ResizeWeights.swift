import CSDTensor
import Foundation

/// One-dimensional resampling as a dense matrix [out, in], so that resizing a position table is
/// a matrix product (and therefore differentiable like any other).
///
/// The weights reproduce PyTorch's `F.interpolate` (upsample kernels in ATen): pixel-centre
/// coordinate mapping with `align_corners = False`, and either the input/output size ratio or,
/// when the caller passed a `scale_factor`, its reciprocal.
public enum ResizeWeights {
    public enum Mode: Sendable, Equatable {
        /// Cubic convolution, A = -0.75, 4 taps with clamped borders (`mode="bicubic"`).
        case bicubic
        /// Bicubic with antialiasing (`antialias=True`): PIL-style kernel with A = -0.5, support
        /// widened by the scale when shrinking, weights normalised.
        case bicubicAntialiased
        /// Linear, 2 taps, negative source coordinates clamped to 0 (`mode="bilinear"`).
        case bilinear
    }

    /// Source-per-destination scale, as ATen's `area_pixel_compute_scale` (align_corners False).
    static func scale(input: Int, output: Int, scaleFactor: Double?) -> Double {
        if let s = scaleFactor, s > 0 { return 1 / s }
        return Double(input) / Double(output)
    }

    public static func matrix(mode: Mode, input: Int, output: Int, scaleFactor: Double? = nil) -> [[Double]] {
        let scale = scale(input: input, output: output, scaleFactor: scaleFactor)
        var rows = [[Double]](repeating: [Double](repeating: 0, count: input), count: output)
        for o in 0..<output {
            switch mode {
            case .bicubic:
                let real = scale * (Double(o) + 0.5) - 0.5 // not clamped for cubic
                let base = Int(floor(real))
                let t = real - Double(base)
                let a = -0.75
                let w = [cubic2(t + 1, a), cubic1(t, a), cubic1(1 - t, a), cubic2(2 - t, a)]
                for k in 0..<4 {
                    let i = min(max(base - 1 + k, 0), input - 1)
                    rows[o][i] += w[k]
                }
            case .bilinear:
                let real = max(scale * (Double(o) + 0.5) - 0.5, 0)
                let i0 = min(Int(floor(real)), input - 1)
                let i1 = min(i0 + 1, input - 1)
                let l1 = real - Double(i0)
                rows[o][i0] += 1 - l1
                rows[o][i1] += l1
            case .bicubicAntialiased:
                // ATen's _upsample_bicubic2d_aa: support 2 * max(scale, 1), centre at scale * (o + 0.5).
                let support = scale >= 1 ? 2 * scale : 2.0
                let invScale = scale >= 1 ? 1 / scale : 1.0
                let center = scale * (Double(o) + 0.5)
                let lo = max(Int(center - support + 0.5), 0)
                let hi = min(Int(center + support + 0.5), input)
                var weights: [Double] = []
                for j in lo..<hi { weights.append(aaCubic((Double(j) - center + 0.5) * invScale)) }
                let total = weights.reduce(0, +)
                for (k, j) in (lo..<hi).enumerated() { rows[o][j] += total != 0 ? weights[k] / total : 0 }
            }
        }
        return rows
    }

    @inline(__always) static func cubic1(_ x: Double, _ a: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
    @inline(__always) static func cubic2(_ x: Double, _ a: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }

    /// The antialiasing filter (Keys cubic, a = -0.5), as PIL and ATen's `_aa` kernels use.
    static func aaCubic(_ x: Double) -> Double {
        let a = -0.5, x = abs(x)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [String: Tensor] = [:]

    /// `grid`, memoised: a model resizes its table to the same few grids batch after batch.
    public static func cachedGrid(mode: Mode, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                                  scaleFactors: (Double, Double)? = nil) -> Tensor {
        let key = "\(mode) \(inHeight)x\(inWidth)->\(outHeight)x\(outWidth) \(scaleFactors.map { "\($0.0),\($0.1)" } ?? "-")"
        cacheLock.lock()
        if let hit = cache[key] { cacheLock.unlock(); return hit }
        cacheLock.unlock()
        let weights = grid(mode: mode, inHeight: inHeight, inWidth: inWidth, outHeight: outHeight, outWidth: outWidth,
                           scaleFactors: scaleFactors)
        cacheLock.lock()
        if cache.count > 64 { cache.removeAll() }
        cache[key] = weights
        cacheLock.unlock()
        return weights
    }

    /// The 2-D resize of a [inH, inW] grid to [outH, outW] as one [outH * outW, inH * inW] matrix
    /// (the Kronecker product of the row and column matrices).
    public static func grid(mode: Mode, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                            scaleFactors: (Double, Double)? = nil) -> Tensor {
        let ry = matrix(mode: mode, input: inHeight, output: outHeight, scaleFactor: scaleFactors?.0)
        let rx = matrix(mode: mode, input: inWidth, output: outWidth, scaleFactor: scaleFactors?.1)
        var out = Tensor(zeros: [outHeight * outWidth, inHeight * inWidth])
        out.withUnsafeMutableBufferPointer { p in
            for y in 0..<outHeight {
                for x in 0..<outWidth {
                    let row = (y * outWidth + x) * inHeight * inWidth
                    for i in 0..<inHeight where ry[y][i] != 0 {
                        for j in 0..<inWidth where rx[x][j] != 0 {
                            p[row + i * inWidth + j] = Float(ry[y][i] * rx[x][j])
                        }
                    }
                }
            }
        }
        return out
    }
}
