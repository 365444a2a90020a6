/// Where one tensor lives in a safetensors file and how to read it.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section (which starts right after the header).
    public let dataOffsets: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }  // validated not to overflow
    public var byteCount: Int { dataOffsets.count }
}

/// The parsed and validated header of one safetensors file.
struct SafetensorsHeader {
    /// Cap from the reference implementation; also bounds what the JSON parser is given.
    static let maxHeaderLength = 100_000_000

    let headerLength: Int
    let metadata: [String: String]
    /// In data-offset order, i.e. file order.
    let tensors: [SafetensorsTensorInfo]
    let indexByName: [String: Int]

    var dataStart: Int { 8 + headerLength }

    /// Parses and validates the header against the whole file's bytes. Rules follow the
    /// reference: tensor byte spans must tile the data section exactly, in any header order.
    static func parse(file: UnsafeRawBufferPointer, path: String) throws -> SafetensorsHeader {
        func fail(_ kind: SafetensorsError.Kind, _ reason: String) -> SafetensorsError {
            SafetensorsError(kind, path: path, reason)
        }
        guard file.count >= 8 else {
            throw fail(.fileTooShort, "file is \(file.count) bytes, shorter than the 8-byte header length")
        }
        let n = file.loadUnaligned(as: UInt64.self).littleEndian
        guard n <= UInt64(maxHeaderLength) else {
            throw fail(.headerTooLarge, "header length \(n) exceeds the \(maxHeaderLength)-byte limit")
        }
        let headerLength = Int(n)
        guard 8 + headerLength <= file.count else {
            throw fail(.headerLengthExceedsFile,
                       "header length \(headerLength) exceeds the file size (\(file.count) bytes, header needs \(8 + headerLength))")
        }
        let json: JSONValue
        do {
            let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)])
            json = try JSONParser.parse(UnsafeBufferPointer(start: headerBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: headerBytes.count))
        } catch let e as JSONParseError {
            throw fail(.invalidJSON, "header is not valid JSON: \(e.message) at header byte \(e.offset)")
        }
        guard case .object(let members) = json else {
            throw fail(.invalidHeader, "header is a JSON \(json.kindName), not an object")
        }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else {
                throw SafetensorsError(.duplicateName, path: path, "header lists '\(key)' twice", tensorNames: [key])
            }
            if key == "__metadata__" {
                metadata = try parseMetadata(value, fail: fail)
            } else {
                tensors.append(try parseTensor(name: key, value, fail: fail))
            }
        }
        let dataLength = file.count - 8 - headerLength
        try validateLayout(&tensors, dataLength: dataLength, path: path)
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        return SafetensorsHeader(headerLength: headerLength, metadata: metadata, tensors: tensors, indexByName: index)
    }

    private static func parseMetadata(
        _ value: JSONValue, fail: (SafetensorsError.Kind, String) -> SafetensorsError
    ) throws -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let entries) = value else {
            throw fail(.invalidHeader, "__metadata__ is a JSON \(value.kindName), not an object of strings")
        }
        var metadata: [String: String] = [:]
        for (k, v) in entries {
            guard case .string(let s) = v else {
                throw fail(.invalidHeader, "__metadata__ value for '\(k)' is a JSON \(v.kindName), not a string")
            }
            guard metadata.updateValue(s, forKey: k) == nil else {
                throw fail(.invalidHeader, "__metadata__ lists '\(k)' twice")
            }
        }
        return metadata
    }

    private static func parseTensor(
        name: String, _ value: JSONValue, fail: (SafetensorsError.Kind, String) -> SafetensorsError
    ) throws -> SafetensorsTensorInfo {
        guard case .object(let fields) = value else {
            throw fail(.invalidHeader, "entry for tensor '\(name)' is a JSON \(value.kindName), not an object")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw fail(.invalidHeader, "tensor '\(name)' has no \"\(key)\"")
            }
            return v
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw fail(.invalidHeader, "tensor '\(name)' has a dtype that is not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            if SafetensorsDType.subByteNames.contains(dtypeName) {
                throw fail(.unsupportedDType, "tensor '\(name)' has sub-byte dtype \(dtypeName), which is not supported")
            }
            throw fail(.unknownDType, "tensor '\(name)' has unknown dtype '\(dtypeName)'")
        }
        guard case .array(let dims) = try field("shape") else {
            throw fail(.invalidHeader, "tensor '\(name)' has a shape that is not an array")
        }
        var shape: [Int] = []
        for d in dims {
            guard let v = d.nonNegativeInt else {
                throw fail(.invalidHeader, "tensor '\(name)' has shape entry \(d.jsonText), not a non-negative integer")
            }
            shape.append(v)
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
        else {
            throw fail(.invalidHeader, "tensor '\(name)' needs data_offsets [begin, end] of two non-negative integers")
        }
        guard end >= begin else {
            throw fail(.invalidOffsets, "tensor '\(name)' has data_offsets [\(begin), \(end)] that end before they begin")
        }
        // Element and byte counts must not overflow (a hostile header could make them wrap).
        var bytes = dtype.byteSize
        for d in shape {
            let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail(.invalidHeader, "tensor '\(name)' shape \(describe(shape: shape)) overflows") }
            bytes = p
        }
        guard bytes == end - begin else {
            throw fail(.sizeMismatch,
                       "tensor '\(name)' has shape \(describe(shape: shape)) and dtype \(dtype.rawValue) (\(bytes) bytes) but data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Sorts `tensors` by offset and checks they tile `0..<dataLength` without overlap or gap.
    private static func validateLayout(_ tensors: inout [SafetensorsTensorInfo], dataLength: Int, path: String) throws {
        for t in tensors where t.dataOffsets.upperBound > dataLength {
            throw SafetensorsError(
                .offsetsOutOfRange, path: path,
                "tensor '\(t.name)' has data_offsets [\(t.dataOffsets.lowerBound), \(t.dataOffsets.upperBound)] beyond the end of the data section (\(dataLength) bytes): the file is truncated or its header is wrong",
                tensorNames: [t.name])
        }
        tensors.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound)
        }
        var cursor = 0
        var previous: SafetensorsTensorInfo? = nil
        for t in tensors {
            let r = t.dataOffsets
            if r.lowerBound < cursor, let p = previous {
                throw SafetensorsError(
                    .overlappingOffsets, path: path,
                    "tensors '\(p.name)' [\(p.dataOffsets.lowerBound), \(p.dataOffsets.upperBound)] and '\(t.name)' [\(r.lowerBound), \(r.upperBound)] have overlapping data_offsets",
                    tensorNames: [p.name, t.name])
            }
            if r.lowerBound > cursor {
                let after = previous.map { "after tensor '\($0.name)'" } ?? "at the start of the data section"
                throw SafetensorsError(
                    .gapInData, path: path,
                    "data bytes [\(cursor), \(r.lowerBound)) \(after) belong to no tensor (gap before '\(t.name)')",
                    tensorNames: [t.name])
            }
            cursor = r.upperBound
            previous = t
        }
        if cursor != dataLength {
            throw SafetensorsError(
                .trailingData, path: path,
                "data section has \(dataLength) bytes but the tensors cover only \(cursor): \(dataLength - cursor) trailing bytes belong to no tensor")
        }
    }
}
