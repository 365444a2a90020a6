import CSDSystem
import Testing

/// Equal bit patterns, or both NaN.
private func sameBits(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

@Suite struct HalfPrecisionTests {
    @Test func halfToFloatKnownValues() {
        #expect(HalfPrecision.float(fromHalf: 0x3C00) == 1)
        #expect(HalfPrecision.float(fromHalf: 0x7BFF) == 65504)
        #expect(HalfPrecision.float(fromHalf: 0x0001) == 0x1p-24)  // smallest subnormal
        #expect(HalfPrecision.float(fromHalf: 0x03FF) == 0x1.ff8p-15)  // largest subnormal
        #expect(HalfPrecision.float(fromHalf: 0x0400) == 0x1p-14)
        #expect(HalfPrecision.float(fromHalf: 0x8000).bitPattern == (-Float(0)).bitPattern)
        #expect(HalfPrecision.float(fromHalf: 0x7C00) == .infinity)
        #expect(HalfPrecision.float(fromHalf: 0xFC00) == -.infinity)
        let nan = HalfPrecision.float(fromHalf: 0xFD55)  // negative signalling NaN with payload
        #expect(nan.isNaN && nan.sign == .minus && !nan.isSignalingNaN)
        #expect(nan.bitPattern == 0xFFEA_A000)
    }

    @Test func everyHalfRoundTripsThroughFloat() {
        for bits in 0...UInt16.max {
            let f = HalfPrecision.float(fromHalf: bits)
            if f.isNaN { continue }
            #expect(HalfPrecision.half(from: f) == bits, "half 0x\(String(bits, radix: 16))")
        }
    }

    @Test func everyBFloat16RoundTripsThroughFloat() {
        for bits in 0...UInt16.max {
            let f = HalfPrecision.float(fromBFloat16: bits)
            #expect(f.bitPattern == UInt32(bits) << 16)
            if f.isNaN { continue }
            #expect(HalfPrecision.bfloat16(from: f) == bits)
        }
    }

    @Test func halfRoundsToNearestEven() {
        #expect(HalfPrecision.half(from: 1 + 0x1p-11) == 0x3C00)  // tie, down to even
        #expect(HalfPrecision.half(from: 1 + 3 * 0x1p-11) == 0x3C02)  // tie, up to even
        #expect(HalfPrecision.half(from: 1 + 0x1p-11 + 0x1p-20) == 0x3C01)
        #expect(HalfPrecision.half(from: 65519.996) == 0x7BFF)
        #expect(HalfPrecision.half(from: 65520) == 0x7C00)  // tie at the top rounds to infinity
        #expect(HalfPrecision.half(from: 0x1p-25) == 0x0000)  // tie with zero
        #expect(HalfPrecision.half(from: 0x1.000002p-25) == 0x0001)
        #expect(HalfPrecision.half(from: 3 * 0x1p-25) == 0x0002)
        #expect(HalfPrecision.half(from: 0x1.ffcp-15) == 0x0400)  // carries from subnormal to normal
        #expect(HalfPrecision.half(from: -1e-30) == 0x8000)
        #expect(HalfPrecision.half(from: .nan) & 0x7E00 == 0x7E00)
        #expect(HalfPrecision.bfloat16(from: 1 + 0x1p-8) == 0x3F80)
        #expect(HalfPrecision.bfloat16(from: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(HalfPrecision.bfloat16(from: .greatestFiniteMagnitude) == 0x7F80)
        #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: .nan)).isNaN)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// Swift's Float16 (compiler-rt / hardware) as an independent oracle.
    @Test func matchesFloat16Everywhere() {
        for bits in 0...UInt16.max {
            let mine = HalfPrecision.float(fromHalf: bits)
            let theirs = Float(Float16(bitPattern: bits))
            #expect(sameBits(mine, theirs), "half 0x\(String(bits, radix: 16))")
        }
        var rng = SystemRandomNumberGenerator()
        var samples: [Float] = [0, -0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        for _ in 0..<200_000 { samples.append(Float(bitPattern: rng.next())) }
        for x in samples where !x.isNaN {
            #expect(HalfPrecision.half(from: x) == Float16(x).bitPattern, "float \(x) bits 0x\(String(x.bitPattern, radix: 16))")
        }
    }
    #endif
}
