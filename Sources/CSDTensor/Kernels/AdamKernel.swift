/// The element-wise update of Adam/AdamW over one parameter, eight floats at a time.
///
/// Written with concrete `SIMD8<Float>` loads because the plain loop stayed scalar: its square
/// root compiled to `vsqrtss` plus a libm call for the errno path, one element per iteration
/// (Adam was 8% of a probe step). Same arithmetic, element by element, as the scalar tail.
public enum AdamKernel {
    public struct Coefficients: Sendable {
        public var beta1: Float, beta2: Float, eps: Float
        /// lr / (1 - beta1^t).
        public var stepSize: Float
        /// 1 / sqrt(1 - beta2^t).
        public var inverseCorrection2Root: Float
        /// L2 weight decay added to the gradient (Adam), 0 for AdamW.
        public var l2: Float
        /// 1 - lr * weight decay for AdamW's decoupled decay, 1 otherwise.
        public var shrink: Float

        public init(beta1: Float, beta2: Float, eps: Float, stepSize: Float, inverseCorrection2Root: Float, l2: Float, shrink: Float) {
            self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.stepSize = stepSize
            self.inverseCorrection2Root = inverseCorrection2Root; self.l2 = l2; self.shrink = shrink
        }
    }

    /// Updates `w`, `m`, `v` in place from the gradient `g` over `range`.
    public static func update(w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                              g: UnsafePointer<Float>, range: Range<Int>, _ c: Coefficients) {
        let (b1, b2, oneMinusB1, oneMinusB2) = (c.beta1, c.beta2, 1 - c.beta1, 1 - c.beta2)
        var i = range.lowerBound
        let end = range.upperBound
        let vb1 = SIMD8<Float>(repeating: b1), vb2 = SIMD8<Float>(repeating: b2)
        let va1 = SIMD8<Float>(repeating: oneMinusB1), va2 = SIMD8<Float>(repeating: oneMinusB2)
        let vl2 = SIMD8<Float>(repeating: c.l2), vshrink = SIMD8<Float>(repeating: c.shrink)
        let vstep = SIMD8<Float>(repeating: c.stepSize), vinv = SIMD8<Float>(repeating: c.inverseCorrection2Root)
        let veps = SIMD8<Float>(repeating: c.eps)
        while i + 8 <= end {
            let wi = UnsafeMutableRawPointer(w + i), mi = UnsafeMutableRawPointer(m + i), vi = UnsafeMutableRawPointer(v + i)
            var weight = wi.loadUnaligned(as: SIMD8<Float>.self) * vshrink
            let grad = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self) + vl2 * weight
            let mNew = vb1 * mi.loadUnaligned(as: SIMD8<Float>.self) + va1 * grad
            let vNew = vb2 * vi.loadUnaligned(as: SIMD8<Float>.self) + va2 * grad * grad
            weight -= vstep * mNew / (vNew.squareRoot() * vinv + veps)
            mi.storeBytes(of: mNew, as: SIMD8<Float>.self)
            vi.storeBytes(of: vNew, as: SIMD8<Float>.self)
            wi.storeBytes(of: weight, as: SIMD8<Float>.self)
            i += 8
        }
        while i < end {
            let weight = w[i] * c.shrink
            let grad = g[i] + c.l2 * weight
            let mNew = b1 * m[i] + oneMinusB1 * grad
            let vNew = b2 * v[i] + oneMinusB2 * grad * grad
            m[i] = mNew
            v[i] = vNew
            w[i] = weight - c.stepSize * mNew / (vNew.squareRoot() * c.inverseCorrection2Root + c.eps)
            i += 1
        }
    }
}
