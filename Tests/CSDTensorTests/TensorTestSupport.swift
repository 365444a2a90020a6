import CSDTensor
import Foundation
import Testing

/// Seeded test data for the tensor-layer tests.
enum Sample {
    static func normal(_ shape: [Int], seed: UInt64, stream: UInt64 = 0) -> Tensor {
        var rng = RandomStream(seed: seed, stream: stream)
        return Tensor.randomNormal(shape, using: &rng)
    }

    static func uniform(_ shape: [Int], _ low: Float, _ high: Float, seed: UInt64, stream: UInt64 = 0) -> Tensor {
        var rng = RandomStream(seed: seed, stream: stream)
        return Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    static func normals(_ count: Int, seed: UInt64, stream: UInt64 = 0) -> [Float] {
        var rng = RandomStream(seed: seed, stream: stream)
        return (0..<count).map { _ in rng.normal() }
    }

    /// `count` evenly spaced points from `low` to `high` inclusive.
    static func linspace(_ low: Float, _ high: Float, _ count: Int) -> [Float] {
        precondition(count >= 2)
        let l = Double(low), h = Double(high)
        return (0..<count).map { Float(l + (h - l) * Double($0) / Double(count - 1)) }
    }
}

/// Naive reference implementations (index arithmetic, double precision).
enum Naive {
    static func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
        var idx = [Int](repeating: 0, count: shape.count)
        var rem = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            idx[d] = rem % shape[d]
            rem /= shape[d]
        }
        return idx
    }

    static func ravel(_ idx: [Int], _ shape: [Int]) -> Int {
        var flat = 0
        for d in 0..<shape.count { flat = flat * shape[d] + idx[d] }
        return flat
    }

    static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Flat index into a tensor of `shape` for an index of the broadcast shape (right-aligned, 1s repeat).
    static func broadcastSource(_ outIndex: [Int], _ shape: [Int]) -> Int {
        let offset = outIndex.count - shape.count
        var flat = 0
        for d in 0..<shape.count {
            let i = shape[d] == 1 ? 0 : outIndex[d + offset]
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// Element (i, j) of op(M) where M is stored row-major with leading dimension `ld`.
    @inline(__always)
    static func at(_ m: [Float], _ ld: Int, _ trans: Bool, _ i: Int, _ j: Int) -> Double {
        Double(trans ? m[j * ld + i] : m[i * ld + j])
    }

    /// alpha * op(A) op(B) as a dense [m, n] array.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
                     a: [Float], lda: Int, b: [Float], ldb: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += at(a, lda, transA, i, p) * at(b, ldb, transB, p, j) }
                c[i * n + j] = alpha * s
            }
        }
        return c
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var s = 0.0
        for i in a.indices { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    static func softmax(_ row: [Double]) -> [Double] {
        let m = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// Expects `actual` to match `expected` element-wise within `abs + rel * |expected|`,
/// reporting the worst element only.
func expectAllClose(_ actual: [Float], _ expected: [Double], abs: Double, rel: Double = 0,
                    _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = -1
    var worstExcess = 0.0
    for i in actual.indices {
        let a = Double(actual[i]), e = expected[i]
        let tol = abs + rel * Swift.abs(e)
        let err = Swift.abs(a - e)
        if !(err <= tol) || a.isNaN != e.isNaN {
            let excess = err.isNaN ? .infinity : err - tol
            if worst < 0 || excess > worstExcess { worst = i; worstExcess = excess }
        }
    }
    #expect(worst < 0,
            "\(what): element \(worst) is \(worst < 0 ? 0 : actual[max(worst, 0)]), expected \(worst < 0 ? 0 : expected[max(worst, 0)])",
            sourceLocation: sourceLocation)
}

func expectAllClose(_ actual: [Float], _ expected: [Float], abs: Double, rel: Double = 0,
                    _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    expectAllClose(actual, expected.map(Double.init), abs: abs, rel: rel, what, sourceLocation: sourceLocation)
}

/// Bitwise equality (treats NaNs with equal payloads as equal, distinguishes -0 from +0).
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
