/// Element types of the safetensors format (all byte-sized ones the reference knows).
///
/// `CaseIterable` order is the reference's `Dtype` declaration order, i.e. increasing alignment;
/// the writer sorts by it (descending) exactly as the Python/Rust library does.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Sub-byte dtypes of the reference; recognised only to give a precise error.
    static let subByteNames: Set<String> = ["F4", "F6_E2M3", "F6_E3M2"]

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .c64, .f64, .i64, .u64: return 8
        }
    }

    /// Position in the reference's ordering (larger = more aligned, written first).
    var order: Int {
        switch self {
        case .bool: return 0
        case .u8: return 1
        case .i8: return 2
        case .f8e5m2: return 3
        case .f8e4m3: return 4
        case .f8e8m0: return 5
        case .i16: return 6
        case .u16: return 7
        case .f16: return 8
        case .bf16: return 9
        case .i32: return 10
        case .u32: return 11
        case .f32: return 12
        case .c64: return 13
        case .f64: return 14
        case .i64: return 15
        case .u64: return 16
        }
    }

    /// Whether `tensor(_:)` can turn this dtype into a float32 `Tensor`.
    public var convertsToFloat32: Bool {
        switch self {
        case .f8e5m2, .f8e4m3, .f8e8m0, .c64: return false
        default: return true
        }
    }

    /// Whether `int64s(_:)` can read this dtype.
    public var isInteger: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: return true
        default: return false
        }
    }

    /// Dtypes the writer can produce from a float32 `Tensor`.
    public var isWritableFromFloat32: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }
}
