import Foundation

/// Transcendental functions written as straight-line float arithmetic, so that a loop applying
/// them over a buffer auto-vectorises (no calls, no branches: selects only).
///
/// Swift's generic `SIMD8` operations measured 25 ns per exp here (scalarised masks and
/// rounding); these plain forms run at about 1 ns per element per core, three times faster than
/// glibc's `expf`. Accuracy: exp within 2 ulp of libm, erf within 5e-7 absolute.
public enum VectorMath {
    /// e^x = y * 2^n for x already clamped: Cody-Waite reduction to r = x - n ln 2 and the
    /// Cephes polynomial. Rounds x / ln 2 by adding 1.5 * 2^23, whose low mantissa bits then hold
    /// n itself (read back without a float-to-int conversion, which would trap on NaN).
    @inlinable @inline(__always)
    static func expReduced(_ x: Float) -> (y: Float, n: Int32) {
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        return (p * r * r + r + 1, Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000)
    }

    /// e^x: 0 below -87.34, +inf above 88.72, NaN for NaN.
    @inlinable @inline(__always)
    public static func exp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -87.33654), 88.72283)
        let (y, ni) = expReduced(x)
        // 2^n as 2^(n/2) * 2^(n - n/2): n reaches 128 near the top of the range, where 2^n alone
        // would be +inf although the product is finite.
        let half = ni &>> 1
        let low = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let high = Float(bitPattern: UInt32(bitPattern: (ni &- half &+ 127) &<< 23))
        var result = y * low * high
        result = x0 < -87.33654 ? 0 : result
        result = x0 > 88.72283 ? .infinity : result
        return x0 != x0 ? x0 : result
    }

    /// e^x for x <= 0 (softmax after the max is subtracted, Gaussians): the same polynomial
    /// without the overflow handling, about a third fewer operations. 0 below -87.34, NaN kept.
    @inlinable @inline(__always)
    public static func expNonPositive(_ x0: Float) -> Float {
        let x = Swift.max(x0, -87.33654)
        let (y, ni) = expReduced(x)
        let result = y * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
        return x0 < -87.33654 ? 0 : (x0 != x0 ? x0 : result)
    }

    /// erf(x) as an odd rational function of x on [-4, 4] (the minimax form XLA and Eigen use for
    /// float; beyond 3.92, erf is +-1 in float). No exp: cheaper than the A&S form; within 2e-7
    /// absolute of libm for |x| < 1 and 5e-7 elsewhere.
    @inlinable @inline(__always)
    public static func erf(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -4), 4)
        let x2 = x * x
        var p: Float = -2.726_142_3e-10
        p = p * x2 + 2.770_681_4e-08
        p = p * x2 - 2.101_024_0e-06
        p = p * x2 - 5.692_506_4e-05
        p = p * x2 - 7.349_906_3e-04
        p = p * x2 - 2.954_600_0e-03
        p = p * x2 - 1.609_603_3e-02
        var q: Float = -1.456_607_2e-05
        q = q * x2 - 2.133_740_6e-04
        q = q * x2 - 1.682_827_0e-03
        q = q * x2 - 7.373_329_2e-03
        q = q * x2 - 1.426_474_0e-02
        var result = Swift.min(Swift.max(x * p / q, -1), 1)
        result = x0 > 3.92 ? 1 : (x0 < -3.92 ? -1 : result)
        return x0 != x0 ? x0 : result
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh through exp of a non-positive argument, so it never overflows.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let e = expNonPositive(-2 * Swift.abs(x))
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// Applies `f` to `n` floats (in place when `x == y`), in a loop the compiler vectorises.
    @inlinable @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                           _ f: (Float) -> Float) {
        for i in 0..<n { y[i] = f(x[i]) }
    }

    /// Sum of `n` floats with eight independent partial sums (a float reduction does not
    /// auto-vectorise: the compiler may not reorder the additions).
    @inlinable @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Sum of (x - mean)^2 over `n` floats, eight partial sums.
    @inlinable @inline(__always)
    public static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, from mean: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        let m = SIMD8<Float>(repeating: mean)
        var i = 0
        while i + 8 <= n {
            let c = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
            acc += c * c
            i += 8
        }
        var s = acc.sum()
        while i < n { let c = p[i] - mean; s += c * c; i += 1 }
        return s
    }

    /// Dot product of `n` floats, eight partial sums.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Largest of `n` floats (NaN if any is NaN), four independent running maxima.
    @inlinable @inline(__always)
    public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var nan = false
        var i = 0
        while i + 4 <= n {
            let (a, b, c, d) = (p[i], p[i + 1], p[i + 2], p[i + 3])
            m0 = a > m0 ? a : m0; m1 = b > m1 ? b : m1; m2 = c > m2 ? c : m2; m3 = d > m3 ? d : m3
            nan = nan || a != a || b != b || c != c || d != d
            i += 4
        }
        while i < n { m0 = p[i] > m0 ? p[i] : m0; nan = nan || p[i] != p[i]; i += 1 }
        let m = Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
        return nan ? .nan : m
    }
}
