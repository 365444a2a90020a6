import CSDTensor
import Foundation
import Testing

struct BroadcastCase: Sendable, CustomTestStringConvertible {
    let a: [Int], b: [Int], out: [Int]
    var testDescription: String { "\(a) op \(b) -> \(out)" }
}

enum OpKind: String, Sendable, CaseIterable {
    case add, sub, mul, div

    func apply(_ a: Tensor, _ b: Tensor) -> Tensor {
        switch self {
        case .add: Kernels.binary(AddOp.self, a, b)
        case .sub: Kernels.binary(SubOp.self, a, b)
        case .mul: Kernels.binary(MulOp.self, a, b)
        case .div: Kernels.binary(DivOp.self, a, b)
        }
    }

    func reference(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .add: x + y
        case .sub: x - y
        case .mul: x * y
        case .div: x / y
        }
    }
}

/// op(a, b) with NumPy broadcasting, by index arithmetic on the output.
private func naiveBinary(_ op: OpKind, _ a: Tensor, _ b: Tensor, out: [Int]) -> [Double] {
    let sa = a.scalars, sb = b.scalars
    return (0..<Naive.count(out)).map { flat in
        let idx = Naive.unravel(flat, out)
        // Float inputs, float op: the reference rounds the exact result once, as the kernel does.
        return Double(Float(op.reference(Double(sa[Naive.broadcastSource(idx, a.shape)]),
                                         Double(sb[Naive.broadcastSource(idx, b.shape)]))))
    }
}

/// Sums `x` (of the broadcast shape) down to `shape`, by index arithmetic.
private func naiveReduceSum(_ x: Tensor, to shape: [Int]) -> [Double] {
    var out = [Double](repeating: 0, count: Naive.count(shape))
    let sx = x.scalars
    for flat in 0..<x.count {
        out[Naive.broadcastSource(Naive.unravel(flat, x.shape), shape)] += Double(sx[flat])
    }
    return out
}

/// Operands for a case: `b` stays away from zero so division is well conditioned.
private func operands(_ c: BroadcastCase, seed: UInt64) -> (Tensor, Tensor) {
    let a = Sample.normal(c.a, seed: seed)
    var b = Sample.uniform(c.b, 0.5, 2, seed: seed + 1)
    b.withUnsafeMutableBufferPointer { buf in
        for i in buf.indices where i % 3 == 1 { buf[i] = -buf[i] }
    }
    return (a, b)
}

@Suite struct BroadcastingTests {
    static let cases: [BroadcastCase] = [
        .init(a: [2, 3], b: [2, 3], out: [2, 3]),          // same shape
        .init(a: [4, 5], b: [5], out: [4, 5]),             // row bias
        .init(a: [4, 5], b: [1, 5], out: [4, 5]),          // row bias, explicit 1
        .init(a: [4, 5], b: [4, 1], out: [4, 5]),          // column
        .init(a: [4, 1], b: [4, 5], out: [4, 5]),          // column on the left
        .init(a: [3, 4], b: [1], out: [3, 4]),             // scalar-like [1]
        .init(a: [1], b: [3, 4], out: [3, 4]),
        .init(a: [3, 4], b: [], out: [3, 4]),              // true scalar
        .init(a: [3], b: [2, 3], out: [2, 3]),             // rank-extended
        .init(a: [2, 1, 4], b: [3, 1], out: [2, 3, 4]),    // both sides broadcast
        .init(a: [3, 1], b: [2, 1, 4], out: [2, 3, 4]),
        .init(a: [2, 1, 3, 1], b: [4, 1, 5], out: [2, 4, 3, 5]),
        .init(a: [1, 1], b: [1], out: [1, 1]),
        .init(a: [5, 1], b: [1, 1], out: [5, 1]),          // inner dimension 1 on both sides
        .init(a: [0, 3], b: [3], out: [0, 3]),             // empty
        .init(a: [2, 3, 4], b: [2, 3, 4], out: [2, 3, 4]),
    ]

    @Test(arguments: cases)
    func binaryMatchesNaive(_ c: BroadcastCase) {
        #expect(Shape.broadcast(c.a, c.b) == c.out)
        let (a, b) = operands(c, seed: 42)
        for op in OpKind.allCases {
            let y = op.apply(a, b)
            #expect(y.shape == c.out, "\(op)")
            expectAllClose(y.scalars, naiveBinary(op, a, b, out: c.out), abs: 0, "\(op) \(c.testDescription)")
        }
    }

    @Test(arguments: cases)
    func reduceSumBackToEachInput(_ c: BroadcastCase) {
        let g = Sample.normal(c.out, seed: 77)
        for shape in [c.a, c.b] {
            let r = Kernels.reduceSum(g, to: shape)
            #expect(r.shape == shape)
            expectAllClose(r.scalars, naiveReduceSum(g, to: shape), abs: 1e-5, "to \(shape)")
        }
    }

    @Test func reduceSumSpecialShapes() {
        let g = Sample.normal([2, 3, 4], seed: 5)
        let total = g.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(Kernels.reduceSum(g, to: []).item) - total) < 1e-5)
        #expect(abs(Double(Kernels.reduceSum(g, to: [1]).item) - total) < 1e-5)
        #expect(abs(Double(Kernels.reduceSum(g, to: [1, 1, 1]).item) - total) < 1e-5)
        let same = Kernels.reduceSum(g, to: [2, 3, 4])
        #expect(same.scalars == g.scalars)
        for shape in [[2, 1, 1], [1, 3, 1], [1, 1, 4], [2, 3, 1], [3, 4], [4], [2, 1, 4]] {
            expectAllClose(Kernels.reduceSum(g, to: shape).scalars, naiveReduceSum(g, to: shape), abs: 1e-5,
                           "to \(shape)")
        }
    }

    @Test func knownValues() {
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(Kernels.binary(AddOp.self, m, Tensor([10, 20, 30], shape: [3])).scalars == [11, 22, 33, 14, 25, 36])
        #expect(Kernels.binary(MulOp.self, m, Tensor([2, -1], shape: [2, 1])).scalars == [2, 4, 6, -4, -5, -6])
        #expect(Kernels.binary(SubOp.self, Tensor(scalar: 1), m).scalars == [0, -1, -2, -3, -4, -5])
        #expect(Kernels.binary(DivOp.self, m, Tensor([2], shape: [1])).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(Kernels.reduceSum(m, to: [3]).scalars == [5, 7, 9])
        #expect(Kernels.reduceSum(m, to: [2, 1]).scalars == [6, 15])
    }

    // MARK: Large tensors: the parallel path must agree with the single-threaded one.

    static let largeCases: [BroadcastCase] = [
        .init(a: [70_001], b: [70_001], out: [70_001]),
        .init(a: [300, 256], b: [256], out: [300, 256]),
        .init(a: [256, 300], b: [256, 1], out: [256, 300]),
        .init(a: [4, 128, 160], b: [4, 1, 160], out: [4, 128, 160]),
        .init(a: [70_000, 1], b: [1], out: [70_000, 1]),
        .init(a: [1, 600], b: [200, 1], out: [200, 600]),
    ]

    @Test(arguments: largeCases)
    func largeParallelMatchesSerial(_ c: BroadcastCase) {
        #expect(Naive.count(c.out) > 1 << 16)
        if Threads.available >= 2 { #expect(Threads.count >= 2, "parallel path not exercised") }
        let (a, b) = operands(c, seed: 9)
        for op in OpKind.allCases {
            let parallel = op.apply(a, b)
            let serial = Threads.withLimit(1) { op.apply(a, b) }
            #expect(parallel.shape == c.out)
            #expect(bitwiseEqual(parallel.scalars, serial.scalars), "\(op) parallel != serial")
        }
        // Spot check against the naive broadcast on the product.
        let y = OpKind.mul.apply(a, b).scalars
        let sa = a.scalars, sb = b.scalars
        for flat in stride(from: 0, to: y.count, by: 997) {
            let idx = Naive.unravel(flat, c.out)
            #expect(y[flat] == sa[Naive.broadcastSource(idx, c.a)] * sb[Naive.broadcastSource(idx, c.b)])
        }
        // Reduce the (parallel) sum back to the broadcast operand.
        let sum = OpKind.add.apply(a, b)
        expectAllClose(Kernels.reduceSum(sum, to: c.b).scalars, naiveReduceSum(sum, to: c.b),
                       abs: 2e-3, rel: 1e-4)
    }
}

@Suite struct ElementwiseKernelTests {
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 100, 70_001])
    func applyMatchesScalarForm(_ n: Int) {
        let x = Sample.uniform([n], -5, 5, seed: UInt64(n))
        let y = Kernels.apply(Pointwise.Exp(), x)
        #expect(y.shape == [n])
        let sx = x.scalars, sy = y.scalars
        let wrong = (0..<n).filter { sy[$0] != VectorMath.exp(sx[$0]) }
        #expect(wrong.isEmpty, "elements \(wrong.prefix(5)) differ")
        if n > 1 << 13 {
            let serial = Threads.withLimit(1) { Kernels.apply(Pointwise.Exp(), x) }
            #expect(bitwiseEqual(serial.scalars, sy))
        }
    }

    @Test(arguments: [0, 1, 5, 8, 13, 24, 70_003])
    func applyDerivativeMatchesNaive(_ n: Int) {
        let x = Sample.normal([n], seed: 1), g = Sample.normal([n], seed: 2)
        let f = Pointwise.Sigmoid()
        let y = Kernels.apply(f, x)
        let d = Kernels.applyDerivative(f, x: x, y: y, upstream: g)
        let sy = y.scalars, sg = g.scalars, sd = d.scalars
        #expect(sd.count == n)
        #expect((0..<n).allSatisfy { sd[$0] == sg[$0] * (sy[$0] * (1 - sy[$0])) })
        if n > 1 << 13 {
            let serial = Threads.withLimit(1) { Kernels.applyDerivative(f, x: x, y: y, upstream: g) }
            #expect(bitwiseEqual(serial.scalars, sd))
        }
    }

    @Test(arguments: [0, 3, 70_001])
    func scaledAndAccumulate(_ n: Int) {
        let x = Sample.normal([n], seed: 3)
        let s = Kernels.scaled(x, -2.5)
        #expect(s.scalars == x.scalars.map { $0 * -2.5 })
        let y0 = Sample.normal([n], seed: 4)
        var y = y0
        Kernels.accumulate(&y, x, alpha: 0.5)
        #expect(y0.scalars == Sample.normal([n], seed: 4).scalars, "accumulate must not write a shared original")
        let sx = x.scalars, sy0 = y0.scalars
        #expect(y.scalars == (0..<n).map { sy0[$0] + 0.5 * sx[$0] })
        var z = y0
        Kernels.accumulate(&z, x)
        #expect(z.scalars == (0..<n).map { sy0[$0] + sx[$0] })
    }

    @Test func accumulateIntoItself() {
        var y = Tensor([1, 2, 3], shape: [3])
        let alias = y
        Kernels.accumulate(&y, alias, alpha: 2)
        #expect(y.scalars == [3, 6, 9])
        #expect(alias.scalars == [1, 2, 3])
    }

    @Test(arguments: [0, 1, 7, 8, 4095, 4096, 4097, 100_000])
    func sumMatchesDouble(_ n: Int) {
        let x = Sample.normal([n], seed: UInt64(n) + 10)
        let expected = x.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Kernels.sum(x) - expected) <= 1e-5 * Double(max(n, 1)).squareRoot() + 1e-9)
    }
}
