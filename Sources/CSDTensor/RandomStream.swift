import Foundation

/// A seeded, reproducible random generator (PCG-XSH-RR 64/32) with independent streams.
///
/// `RandomStream(seed: s, stream: k)` for different `k` gives statistically independent
/// sequences from one run seed: one stream for initialisation, one for shuffling, one for
/// dropout, and so on, so that adding a draw in one place does not shift the others.
public struct RandomStream: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private let increment: UInt64
    private var spareNormal: Float?

    public init(seed: UInt64, stream: UInt64 = 0) {
        increment = (RandomStream.mix(stream &+ 0x9E37_79B9_7F4A_7C15) << 1) | 1
        state = 0
        _ = nextUInt32()
        state &+= RandomStream.mix(seed)
        _ = nextUInt32()
    }

    /// The generator's full state, for training checkpoints: restoring it continues the
    /// sequence exactly where it was saved.
    public struct Snapshot: Codable, Equatable, Sendable {
        public let state: UInt64
        public let increment: UInt64
        public let spareNormal: Float?
    }

    public var snapshot: Snapshot { Snapshot(state: state, increment: increment, spareNormal: spareNormal) }

    public init(snapshot: Snapshot) {
        state = snapshot.state
        increment = snapshot.increment
        spareNormal = snapshot.spareNormal
    }

    /// A stream derived from this one's seed material and a label, e.g. `derived(7)` per epoch.
    public func derived(_ label: UInt64) -> RandomStream {
        RandomStream(seed: state ^ RandomStream.mix(label), stream: increment ^ label)
    }

    /// SplitMix64 finaliser: spreads nearby seeds far apart.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        let old = state
        state = old &* 6_364_136_223_846_793_005 &+ increment
        let xorshifted = UInt32(truncatingIfNeeded: ((old >> 18) ^ old) >> 27)
        let rot = UInt32(truncatingIfNeeded: old >> 59)
        return (xorshifted >> rot) | (xorshifted << ((~rot &+ 1) & 31))
    }

    public mutating func next() -> UInt64 {
        (UInt64(nextUInt32()) << 32) | UInt64(nextUInt32())
    }

    /// Uniform in [0, 1), 24 random bits.
    @inline(__always)
    public mutating func uniform() -> Float {
        Float(nextUInt32() >> 8) * (1.0 / 16_777_216.0)
    }

    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// Standard normal (Box-Muller, both values used).
    public mutating func normal() -> Float {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Float.pi * u2
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's method).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// A uniformly random permutation of `0..<n` (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, int(below: i + 1))
        }
    }

    /// Fills `tensor` with independent N(mean, std^2) draws.
    public mutating func fillNormal(_ tensor: inout Tensor, mean: Float = 0, std: Float = 1) {
        tensor.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = mean + std * normal() }
        }
    }

    /// Fills `tensor` with independent U(low, high) draws.
    public mutating func fillUniform(_ tensor: inout Tensor, low: Float = 0, high: Float = 1) {
        tensor.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = uniform(low, high) }
        }
    }
}

extension Tensor {
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                                    using rng: inout RandomStream) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        rng.fillNormal(&t, mean: mean, std: std)
        return t
    }

    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     using rng: inout RandomStream) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        rng.fillUniform(&t, low: low, high: high)
        return t
    }
}
