import CHDF5
import Foundation

/// The attribute values CSDHDF5 writes and reads. Strings are stored as variable-length UTF-8
/// (h5py reads them as `str`); scalars as scalar dataspaces, arrays as one-dimensional ones.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case int64(Int64)
    case int64s([Int64])
    case double(Double)
    case doubles([Double])

    public var description: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .strings(let a): "[" + a.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .int64(let v): "\(v)"
        case .int64s(let a): "\(a)"
        case .double(let v): "\(v)"
        case .doubles(let a): "\(a)"
        }
    }

    var kindName: String {
        switch self {
        case .string: "string"
        case .strings: "string array"
        case .int64: "integer"
        case .int64s: "integer array"
        case .double: "float"
        case .doubles: "float array"
        }
    }
}

extension HDF5Object {
    /// Writes (or replaces) attribute `name`.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        let operation = "write attribute \"\(name)\" on \"\(self.name)\""
        try requireOpen(operation)
        if try hasAttribute(name) {
            try HDF5Call.status(filePath, operation) { H5Adelete(id, name) }
        }
        switch value {
        case .string(let s): try writeStrings([s], scalar: true, name: name, operation: operation)
        case .strings(let a): try writeStrings(a, scalar: false, name: name, operation: operation)
        case .int64(let v): try writeNumbers([v], scalar: true, type: csd_h5t_std_i64le(), name: name, operation: operation)
        case .int64s(let a): try writeNumbers(a, scalar: false, type: csd_h5t_std_i64le(), name: name, operation: operation)
        case .double(let v): try writeNumbers([v], scalar: true, type: csd_h5t_ieee_f64le(), name: name, operation: operation)
        case .doubles(let a): try writeNumbers(a, scalar: false, type: csd_h5t_ieee_f64le(), name: name, operation: operation)
        }
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        let operation = "look up attribute \"\(name)\" on \"\(self.name)\""
        try requireOpen(operation)
        return try HDF5Call.status(filePath, operation) { H5Aexists(id, name) } > 0
    }

    /// Attribute names in name order.
    public func attributeNames() throws -> [String] {
        let operation = "list attributes of \"\(name)\""
        try requireOpen(operation)
        final class Names { var list: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        _ = try withExtendedLifetime(names) {
            try HDF5Call.status(filePath, operation) {
                H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                    let names = Unmanaged<Names>.fromOpaque(context!).takeUnretainedValue()
                    names.list.append(String(cString: name!))
                    return 0
                }, Unmanaged.passUnretained(names).toOpaque())
            }
        }
        return names.list
    }

    public func deleteAttribute(_ name: String) throws {
        let operation = "delete attribute \"\(name)\" on \"\(self.name)\""
        try requireOpen(operation)
        try HDF5Call.status(filePath, operation) { H5Adelete(id, name) }
    }

    /// Reads attribute `name`: strings (variable or fixed length), integers (as Int64) and
    /// floats (as Double), scalar or one-dimensional.
    public func attribute(_ name: String) throws -> HDF5AttributeValue {
        let operation = "read attribute \"\(name)\" on \"\(self.name)\""
        try requireOpen(operation)
        let attr = try HDF5Call.id(filePath, operation) { H5Aopen(id, name, csd_h5p_default()) }
        defer { H5Aclose(attr) }
        let type = try HDF5Call.id(filePath, operation) { H5Aget_type(attr) }
        defer { H5Tclose(type) }
        let space = try HDF5Call.id(filePath, operation) { H5Aget_space(attr) }
        defer { H5Sclose(space) }
        let scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        if !scalar, try HDF5Call.status(filePath, operation, { H5Sget_simple_extent_ndims(space) }) > 1 {
            throw HDF5Error(path: filePath, operation: operation, message: "multi-dimensional attributes are not supported")
        }
        let count = try Int(HDF5Call.status(filePath, operation) { H5Sget_simple_extent_npoints(space) })
        switch H5Tget_class(type) {
        case H5T_STRING:
            let values = try readStrings(attr, name: name, type: type, count: count, operation: operation)
            return scalar ? .string(values.first ?? "") : .strings(values)
        case H5T_INTEGER:
            var values = [Int64](repeating: 0, count: count)
            try HDF5Call.status(filePath, operation) { H5Aread(attr, csd_h5t_std_i64le(), &values) }
            return scalar ? .int64(values.first ?? 0) : .int64s(values)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            try HDF5Call.status(filePath, operation) { H5Aread(attr, csd_h5t_ieee_f64le(), &values) }
            return scalar ? .double(values.first ?? 0) : .doubles(values)
        default:
            throw HDF5Error(path: filePath, operation: operation,
                            message: "unsupported attribute type (class \(H5Tget_class(type).rawValue))")
        }
    }

    public func stringAttribute(_ name: String) throws -> String {
        switch try attribute(name) {
        case .string(let s): return s
        case .strings(let a) where a.count == 1: return a[0]
        case let other: throw mismatch(name, other, "a string")
        }
    }

    public func stringArrayAttribute(_ name: String) throws -> [String] {
        switch try attribute(name) {
        case .strings(let a): return a
        case .string(let s): return [s]
        case let other: throw mismatch(name, other, "a string array")
        }
    }

    public func int64Attribute(_ name: String) throws -> Int64 {
        switch try attribute(name) {
        case .int64(let v): return v
        case .int64s(let a) where a.count == 1: return a[0]
        case let other: throw mismatch(name, other, "an integer")
        }
    }

    public func doubleAttribute(_ name: String) throws -> Double {
        switch try attribute(name) {
        case .double(let v): return v
        case .doubles(let a) where a.count == 1: return a[0]
        case .int64(let v): return Double(v)
        case let other: throw mismatch(name, other, "a float")
        }
    }

    private func mismatch(_ name: String, _ value: HDF5AttributeValue, _ expected: String) -> HDF5Error {
        HDF5Error(path: filePath, operation: "read attribute \"\(name)\" on \"\(self.name)\"",
                  message: "it is \(value.kindName.hasPrefix("integer") ? "an" : "a") \(value.kindName), expected \(expected)")
    }

    // MARK: Internals

    private func createAttribute(_ name: String, type: hid_t, count: Int, scalar: Bool, operation: String) throws -> hid_t {
        var dims = [hsize_t(count)]
        let space = try HDF5Call.id(filePath, operation) {
            scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        }
        defer { H5Sclose(space) }
        return try HDF5Call.id(filePath, operation) {
            H5Acreate2(id, name, type, space, csd_h5p_default(), csd_h5p_default())
        }
    }

    private func writeNumbers<T>(_ values: [T], scalar: Bool, type: hid_t, name: String, operation: String) throws {
        let attr = try createAttribute(name, type: type, count: values.count, scalar: scalar, operation: operation)
        defer { H5Aclose(attr) }
        _ = try values.withUnsafeBytes { bytes in
            try HDF5Call.status(filePath, operation) { H5Awrite(attr, type, bytes.baseAddress) }
        }
    }

    private func writeStrings(_ values: [String], scalar: Bool, name: String, operation: String) throws {
        let type = try Self.variableUTF8(path: filePath, operation: operation)
        defer { H5Tclose(type) }
        let attr = try createAttribute(name, type: type, count: values.count, scalar: scalar, operation: operation)
        defer { H5Aclose(attr) }
        // A variable-length string in memory is a char*; strdup keeps each alive for the call.
        let pointers: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        _ = try pointers.withUnsafeBytes { bytes in
            try HDF5Call.status(filePath, operation) { H5Awrite(attr, type, bytes.baseAddress) }
        }
    }

    private func readStrings(_ attr: hid_t, name: String, type: hid_t, count: Int, operation: String) throws -> [String] {
        if count == 0 { return [] }
        if try HDF5Call.status(filePath, operation, { H5Tis_variable_str(type) }) > 0 {
            try HDF5RawChecks.globalHeap(object: id, attribute: name, count: count, path: filePath)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try HDF5Call.status(filePath, operation) { H5Aread(attr, type, &pointers) }
            defer { pointers.forEach { if let p = $0 { H5free_memory(p) } } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        // Fixed length: `size` bytes each, NUL- or space-padded.
        let size = H5Tget_size(type)
        var bytes = [UInt8](repeating: 0, count: size * count)
        try HDF5Call.status(filePath, operation) { H5Aread(attr, type, &bytes) }
        let spacePadded = H5Tget_strpad(type) == H5T_STR_SPACEPAD
        return (0..<count).map { i in
            var slice = bytes[(i * size)..<((i + 1) * size)]
            if let end = slice.firstIndex(of: 0) { slice = slice[..<end] }
            if spacePadded { while slice.last == 0x20 { slice = slice.dropLast() } }
            return String(decoding: slice, as: UTF8.self)
        }
    }

    static func variableUTF8(path: String, operation: String) throws -> hid_t {
        let type = try HDF5Call.id(path, operation) { H5Tcopy(csd_h5t_c_s1()) }
        do {
            try HDF5Call.status(path, operation) { H5Tset_size(type, csd_h5t_variable()) }
            try HDF5Call.status(path, operation) { H5Tset_cset(type, H5T_CSET_UTF8) }
        } catch {
            H5Tclose(type)
            throw error
        }
        return type
    }
}
