/// Layer normalisation over the last dimension, as a forward/backward pair.
///
/// The forward keeps each row's mean and reciprocal standard deviation so that the backward
/// needs no second pass over the statistics.
public enum LayerNormKernel {
    /// y = (x - mean) * rstd * weight + bias, row by row over rows of width `weight.count`.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, eps: Float)
        -> (y: Tensor, mean: Tensor, rstd: Tensor)
    {
        let d = x.shape.last ?? 1
        precondition(weight.count == d, "layer norm weight \(weight.shape) does not match rows of \(x.shape)")
        precondition(bias == nil || bias!.count == d, "layer norm bias \(bias!.shape) does not match \(x.shape)")
        let rows = x.count / max(d, 1)
        let y = Tensor(uninitializedShape: x.shape)
        let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
        let px = x.storage.pointer, py = y.storage.pointer, pw = weight.storage.pointer
        let pb = bias?.storage.pointer
        let pm = mean.storage.pointer, pr = rstd.storage.pointer
        Threads.parallelFor(rows, grain: Grain.rows(width: d)) { r in
            for row in r {
                let src = px + row * d, dst = py + row * d
                // Two-pass statistics (stable for large means), each pass a vectorised reduction.
                let m = VectorMath.sum(src, d) / Float(d)
                let v = VectorMath.sumOfSquaredDeviations(src, d, from: m)
                let rs = 1 / (v / Float(d) + eps).squareRoot()
                pm[row] = m
                pr[row] = rs
                if let pb {
                    for i in 0..<d { dst[i] = (src[i] - m) * rs * pw[i] + pb[i] }
                } else {
                    for i in 0..<d { dst[i] = (src[i] - m) * rs * pw[i] }
                }
            }
        }
        return (y, mean, rstd)
    }

    /// Gradients with respect to x, weight and bias (each only when asked for).
    public static func backward(_ dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
                                needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (dx: Tensor?, dweight: Tensor?, dbias: Tensor?)
    {
        let d = x.shape.last ?? 1
        let rows = x.count / max(d, 1)
        let dx = needInput ? Tensor(uninitializedShape: x.shape) : nil
        let pdy = dy.storage.pointer, px = x.storage.pointer, pw = weight.storage.pointer
        let pm = mean.storage.pointer, pr = rstd.storage.pointer
        let pdx = dx?.storage.pointer
        let workers = max(1, min(Threads.count, rows / max(1, Grain.rows(width: d))))
        // Per-worker partial sums for the parameter gradients, reduced after the loop.
        let partials = Tensor(zeros: [workers, 2, d])
        let pp = partials.storage.pointer
        let chunk = (rows + workers - 1) / workers
        Threads.parallelFor(workers, grain: 1) { wr in
            for w in wr {
                let dw = pp + w * 2 * d, db = dw + d
                let lo = w * chunk, hi = min(rows, lo + chunk)
                if lo >= hi { continue }
                for row in lo..<hi {
                    let g = pdy + row * d, src = px + row * d
                    let m = pm[row], rs = pr[row]
                    var sumG: Float = 0, sumGX: Float = 0
                    for i in 0..<d {
                        let xhat = (src[i] - m) * rs
                        let gw = g[i] * pw[i]
                        sumG += gw
                        sumGX += gw * xhat
                        if needWeight { dw[i] += g[i] * xhat }
                        if needBias { db[i] += g[i] }
                    }
                    if let pdx {
                        let meanG = sumG / Float(d), meanGX = sumGX / Float(d)
                        let out = pdx + row * d
                        for i in 0..<d {
                            let xhat = (src[i] - m) * rs
                            out[i] = rs * (g[i] * pw[i] - meanG - xhat * meanGX)
                        }
                    }
                }
            }
        }
        var dweight: Tensor? = nil, dbias: Tensor? = nil
        defer { withExtendedLifetime(partials) {} }
        if needWeight || needBias {
            let w = Tensor(zeros: weight.shape), b = Tensor(zeros: weight.shape)
            for k in 0..<workers {
                for i in 0..<d {
                    w.storage.pointer[i] += pp[k * 2 * d + i]
                    b.storage.pointer[i] += pp[k * 2 * d + d + i]
                }
            }
            if needWeight { dweight = w }
            if needBias { dbias = b }
        }
        return (dx, dweight, dbias)
    }
}
