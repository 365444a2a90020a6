import Foundation

/// An element-wise function and its derivative, specialised into the kernels' loops at
/// compile time (a generic parameter, not a closure value, so the loops vectorise).
public protocol PointwiseFunction {
    func value(_ x: Float) -> Float
    /// d value / dx, given x and y = value(x) (whichever is cheaper to use).
    func derivative(_ x: Float, _ y: Float) -> Float
}

public enum Pointwise {
    public struct Identity: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { 1 }
    }

    public struct Exp: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { VectorMath.exp(x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { y }
    }

    public struct Log: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { Foundation.log(x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { 1 / x }
    }

    public struct Tanh: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { VectorMath.tanh(x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { 1 - y * y }
    }

    public struct Sigmoid: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { VectorMath.sigmoid(x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
    }

    /// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), finite for every x.
    public struct Softplus: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float {
            Swift.max(x, 0) + Foundation.log1p(VectorMath.expNonPositive(-Swift.abs(x)))
        }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { VectorMath.sigmoid(x) }
    }

    public struct ReLU: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x > 0 ? x : 0 }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : 0 }
    }

    public struct LeakyReLU: PointwiseFunction {
        public let slope: Float
        public init(slope: Float) { self.slope = slope }
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x < 0 ? x * slope : x }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { x < 0 ? slope : 1 }
    }

    /// Exact GELU, x * Phi(x), Phi through erf (PyTorch's default `gelu`).
    public struct GELU: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float {
            0.5 * x * (1 + VectorMath.erf(x * 0.707_106_781_186_547_6))
        }
        /// Phi(x) + x phi(x). Phi(x) is read back from the forward's output y = x Phi(x) as y / x
        /// (near 0, where that loses precision, its first-order series), which saves evaluating
        /// erf a second time: the backward pass of a GELU layer costs one exp per element.
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float {
            let cdf = Swift.abs(x) > 1e-3 ? y / x : 0.5 + x * 0.398_942_280_401_432_7
            return cdf + x * 0.398_942_280_401_432_7 * VectorMath.expNonPositive(-0.5 * x * x)
        }
    }

    /// x * sigmoid(1.702 x) (CLIP).
    public struct QuickGELU: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x * VectorMath.sigmoid(1.702 * x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float {
            let s = VectorMath.sigmoid(1.702 * x)
            return s + 1.702 * x * s * (1 - s)
        }
    }

    /// x * sigmoid(x) (SwiGLU).
    public struct SiLU: PointwiseFunction {
        public init() {}
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x * VectorMath.sigmoid(x) }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float {
            let s = VectorMath.sigmoid(x)
            return s + x * s * (1 - s)
        }
    }

    public struct AddScalar: PointwiseFunction {
        public let scalar: Float
        public init(_ scalar: Float) { self.scalar = scalar }
        @inlinable @inline(__always) public func value(_ x: Float) -> Float { x + scalar }
        @inlinable @inline(__always) public func derivative(_ x: Float, _ y: Float) -> Float { 1 }
    }
}
