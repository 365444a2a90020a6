import CHDF5

#if _endian(big)
#error("CSDHDF5 uses the little-endian HDF5 types as memory types; big-endian hosts are unsupported")
#endif

/// The numeric element types CSDHDF5 stores and reads. Files always use the little-endian IEEE /
/// two's-complement types, which are also the memory layout on every supported host.
public enum HDF5ElementType: String, CaseIterable, Sendable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64

    public var byteCount: Int {
        switch self {
        case .int8, .uint8: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// Runs `body` with an HDF5 datatype id for this element type (closed afterwards if it was
    /// created rather than predefined).
    func withTypeID<R>(path: String, _ body: (hid_t) throws -> R) throws -> R {
        switch self {
        case .float16:
            // No predefined half type in HDF5 1.10: build IEEE binary16 the way h5py does.
            let type = try HDF5Call.id(path, "build the float16 datatype") { csd_h5t_ieee_f16le_create() }
            defer { H5Tclose(type) }
            return try body(type)
        case .float32: return try body(csd_h5t_ieee_f32le())
        case .float64: return try body(csd_h5t_ieee_f64le())
        case .int8: return try body(csd_h5t_std_i8le())
        case .int16: return try body(csd_h5t_std_i16le())
        case .int32: return try body(csd_h5t_std_i32le())
        case .int64: return try body(csd_h5t_std_i64le())
        case .uint8: return try body(csd_h5t_std_u8le())
        case .uint16: return try body(csd_h5t_std_u16le())
        case .uint32: return try body(csd_h5t_std_u32le())
        case .uint64: return try body(csd_h5t_std_u64le())
        }
    }

    /// The element type of an HDF5 datatype, or nil for anything else (strings, compounds,
    /// big-endian or odd-sized numbers, ...).
    static func from(typeID type: hid_t) -> HDF5ElementType? {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            guard H5Tget_order(type) == H5T_ORDER_LE else { return nil }
            switch size {
            case 2:
                // Only IEEE binary16 (what h5py and numpy call float16) is accepted.
                var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
                guard H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0,
                      (spos, epos, esize, mpos, msize) == (15, 10, 5, 0, 10), H5Tget_ebias(type) == 15
                else { return nil }
                return .float16
            case 4: return .float32
            case 8: return .float64
            default: return nil
            }
        case H5T_INTEGER:
            guard H5Tget_order(type) == H5T_ORDER_LE || size == 1 else { return nil }
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            case (2, false): return .uint16
            case (4, false): return .uint32
            case (8, false): return .uint64
            default: return nil
            }
        default:
            return nil
        }
    }
}

/// A Swift type that maps to one `HDF5ElementType`. Reading into a type other than the
/// dataset's lets HDF5 convert (e.g. uint8 pixels into `Float`).
public protocol HDF5Element {
    static var hdf5ElementType: HDF5ElementType { get }
}

/// An IEEE half-precision value kept as its bit pattern (Swift's `Float16` is missing on some
/// platforms); reading float16 data into it copies the bits without conversion.
public struct HDF5Half: HDF5Element, Hashable, Sendable {
    public var bitPattern: UInt16
    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }
    public static var hdf5ElementType: HDF5ElementType { .float16 }
}

extension Float: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float64 } }
extension Int8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int8 } }
extension Int16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int16 } }
extension Int32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension Int64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension UInt8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint16 } }
extension UInt32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint32 } }
extension UInt64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint64 } }
