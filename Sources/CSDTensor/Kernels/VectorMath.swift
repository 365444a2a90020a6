/// Vectorised transcendental functions on 8 lanes (two SSE or one AVX register).
///
/// Scalar libm calls would dominate softmax and GELU; these polynomial forms (Cephes-style)
/// stay within 2 ulp of libm for exp and 7e-7 absolute for erf.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// e^x for every lane; 0 below -87.3, +inf above 88.7, NaN for NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: V) -> V {
        let clamped = x.clamped(lowerBound: V(repeating: -87.33654), upperBound: V(repeating: 88.72283))
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let y = p * r * r + r + 1
        // 2^n assembled in the exponent bits, as 2^(n/2) * 2^(n - n/2): after the clamp n reaches
        // 128 (for x in [88.38, 88.72]), where 2^n alone is +inf although y * 2^n is finite.
        let ni = SIMD8<Int32>(n)
        let half = ni &>> 1
        let scaleLow = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scaleHigh = unsafeBitCast((ni &- half &+ 127) &<< 23, to: V.self)
        var result = y * scaleLow * scaleHigh
        result.replace(with: 0, where: x .< -87.33654)
        result.replace(with: .infinity, where: x .> 88.72283)
        // The clamp maps NaN to a finite bound; keep NaN a NaN (as libm does) so it is not hidden.
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// erf(x), Abramowitz & Stegun 7.1.26: max absolute error 1.5e-7 in exact arithmetic; evaluated
    /// in float it is about 6e-7 near 0 (cancellation in 1 - p t e^(-x^2)), under 2e-7 for |x| >= 1.
    @inlinable @inline(__always)
    public static func erf(_ x: V) -> V {
        let ax = magnitude(x)
        let t = 1 / (1 + 0.327_591_1 * ax)
        var p = V(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let y = 1 - p * t * exp(-ax * ax)
        var out = y
        out.replace(with: -y, where: x .< 0)
        return out
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    /// tanh through exp of a non-positive argument, so it never overflows.
    @inlinable @inline(__always)
    public static func tanh(_ x: V) -> V {
        let e = exp(-2 * magnitude(x))
        let t = (1 - e) / (1 + e)
        var out = t
        out.replace(with: -t, where: x .< 0)
        return out
    }

    /// Applies a lane-wise function over `n` floats: full vectors, then a padded tail.
    @inlinable @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                           _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < n {
            var v = V(repeating: 0)
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    /// Scalar forms for the odd element, matching the vector forms exactly.
    @inlinable public static func expScalar(_ x: Float) -> Float { exp(V(repeating: x))[0] }
    @inlinable public static func erfScalar(_ x: Float) -> Float { erf(V(repeating: x))[0] }

    /// |x| per lane (clears the sign bit).
    @inlinable @inline(__always)
    public static func magnitude(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
    }
}
