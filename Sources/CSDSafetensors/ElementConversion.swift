import CSDSystem

/// Widening of stored elements into float32 / Int64. Sources may be unaligned (a tensor after an
/// odd-length F16 one), so every element is read with `loadUnaligned`.
enum ElementConversion {
    /// Converts `count` elements of `dtype` at `src` into `dst`; false for dtypes without a
    /// float32 conversion.
    static func toFloat32(_ dtype: SafetensorsDType, _ src: UnsafeRawPointer, count: Int,
                          into dst: UnsafeMutablePointer<Float>) -> Bool {
        func each<T>(_: T.Type, _ convert: (T) -> Float) {
            for i in 0..<count { dst[i] = convert(src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
        }
        switch dtype {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        case .f16: each(UInt16.self) { HalfPrecision.float(fromHalf: UInt16(littleEndian: $0)) }
        case .bf16: each(UInt16.self) { HalfPrecision.float(fromBFloat16: UInt16(littleEndian: $0)) }
        case .f64: each(UInt64.self) { Float(Double(bitPattern: UInt64(littleEndian: $0))) }
        case .i64: each(Int64.self) { Float(Int64(littleEndian: $0)) }
        case .u64: each(UInt64.self) { Float(UInt64(littleEndian: $0)) }
        case .i32: each(Int32.self) { Float(Int32(littleEndian: $0)) }
        case .u32: each(UInt32.self) { Float(UInt32(littleEndian: $0)) }
        case .i16: each(Int16.self) { Float(Int16(littleEndian: $0)) }
        case .u16: each(UInt16.self) { Float(UInt16(littleEndian: $0)) }
        case .i8: each(Int8.self) { Float($0) }
        case .u8: each(UInt8.self) { Float($0) }
        case .bool: each(UInt8.self) { $0 != 0 ? 1 : 0 }
        case .f8e5m2, .f8e4m3, .f8e8m0, .c64: return false
        }
        return true
    }

    /// Converts integer elements to Int64; returns the index of the first U64 value that does
    /// not fit, or nil on success. Precondition: `dtype.isInteger`.
    static func toInt64(_ dtype: SafetensorsDType, _ src: UnsafeRawPointer, count: Int,
                        into dst: UnsafeMutablePointer<Int64>) -> Int? {
        func each<T>(_: T.Type, _ convert: (T) -> Int64) {
            for i in 0..<count { dst[i] = convert(src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
        }
        switch dtype {
        case .i64: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 8)
        case .u64:
            for i in 0..<count {
                let v = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                guard let w = Int64(exactly: v) else { return i }
                dst[i] = w
            }
        case .i32: each(Int32.self) { Int64(Int32(littleEndian: $0)) }
        case .u32: each(UInt32.self) { Int64(UInt32(littleEndian: $0)) }
        case .i16: each(Int16.self) { Int64(Int16(littleEndian: $0)) }
        case .u16: each(UInt16.self) { Int64(UInt16(littleEndian: $0)) }
        case .i8: each(Int8.self) { Int64($0) }
        case .u8: each(UInt8.self) { Int64($0) }
        case .bool: each(UInt8.self) { $0 != 0 ? 1 : 0 }
        default: preconditionFailure("\(dtype) is not an integer dtype")
        }
        return nil
    }
}
