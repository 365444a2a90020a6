/// A MATLAB level-5 MAT file: the 128-byte header and the top-level variables, located and
/// their headers parsed; data is read later, streamed. Only little-endian files ('IM').
struct MATFile: Sendable {
    let path: String
    let variables: [MATVariable]

    init(path: String) throws {
        self.path = path
        let input = try FileInput(path: path)
        guard input.size >= 128 else { throw DatasetError(file: path, "file too short (\(input.size) bytes) for a MAT header") }
        let header = try input.bytes(at: 0, count: 128)
        guard header.starts(with: Array("MATLAB".utf8)) else {
            throw DatasetError(file: path, "wrong magic: not a MATLAB MAT file")
        }
        let version = UInt16(header[124]) | UInt16(header[125]) << 8
        let endian = String(decoding: header[126..<128], as: UTF8.self)
        if endian == "MI" { throw DatasetError(file: path, "big-endian MAT files are not supported") }
        guard endian == "IM" else { throw DatasetError(file: path, "wrong endian indicator '\(endian)': not a MAT v5 file") }
        if version == 0x0200 { throw DatasetError(file: path, "MAT v7.3 (HDF5) is not supported: expected a v5 file") }
        guard version == 0x0100 else { throw DatasetError(file: path, "unknown MAT version 0x\(String(version, radix: 16))") }

        var variables: [MATVariable] = []
        var offset = 128
        while offset < input.size {
            guard input.size - offset >= 8 else {
                throw DatasetError(file: path, "truncated data element tag at offset \(offset)")
            }
            let tag = try input.bytes(at: offset, count: 8)
            let type = UInt32(tag[0]) | UInt32(tag[1]) << 8 | UInt32(tag[2]) << 16 | UInt32(tag[3]) << 24
            let count = Int(UInt32(tag[4]) | UInt32(tag[5]) << 8 | UInt32(tag[6]) << 16 | UInt32(tag[7]) << 24)
            guard type >> 16 == 0 else {
                throw DatasetError(file: path, "unexpected small data element at offset \(offset) (top-level elements are full-size)")
            }
            let remaining = input.size - offset - 8
            guard count <= remaining else {
                throw DatasetError(file: path, "element at offset \(offset) claims \(count) bytes but only \(remaining) remain (truncated file?)")
            }
            switch type {
            case MATVariable.miCOMPRESSED, MATVariable.miMATRIX:
                let compressed = type == MATVariable.miCOMPRESSED
                let stream = try MATVariable.open(input, offset: offset, storedBytes: count, compressed: compressed,
                                                  label: compressed ? "compressed element at offset \(offset)" : "element at offset \(offset)")
                let variable = try MATVariable(stream: stream, fileOffset: offset, storedBytes: count, compressed: compressed)
                guard !variables.contains(where: { $0.name == variable.name }) else {
                    throw DatasetError(file: path, "variable '\(variable.name)' appears twice")
                }
                variables.append(variable)
                // A compressed element's byte count is exact; others pad to 8 bytes.
                offset += 8 + (compressed ? count : MATTagReader.padded(count))
            default:
                offset += 8 + MATTagReader.padded(count)
            }
        }
        self.variables = variables
    }

    func variable(_ name: String) throws -> MATVariable {
        guard let v = variables.first(where: { $0.name == name }) else {
            let names = variables.map(\.name).joined(separator: ", ")
            throw DatasetError(file: path, "no variable '\(name)' (found: \(names.isEmpty ? "none" : names))")
        }
        return v
    }

    /// The real part of a numeric variable as doubles (labels, small arrays).
    func doubles(_ variable: MATVariable) throws -> [Double] {
        let bytes: [UInt8]
        let input = try FileInput(path: path)
        if let small = variable.smallData {
            bytes = small
            try variable.open(input).expectEnd(afterSkipping: variable.dataOffset + variable.trailingBytes)
        } else {
            let stream = try variable.openData(input)
            bytes = try stream.boundedBytes(variable.dataBytes)
            try stream.skip(variable.trailingBytes)
            try stream.expectEnd()
        }
        return MATFile.decode(bytes, type: variable.dataType)
    }

    static func decode(_ bytes: [UInt8], type: UInt32) -> [Double] {
        func word(_ i: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in (0..<n).reversed() { v = v << 8 | UInt64(bytes[i * n + k]) }
            return v
        }
        let n = bytes.count / (MATVariable.elementSize(type) ?? 1)
        return (0..<n).map { i in
            switch type {
            case 1: return Double(Int8(bitPattern: bytes[i]))
            case 2: return Double(bytes[i])
            case 3: return Double(Int16(bitPattern: UInt16(word(i, 2))))
            case 4: return Double(UInt16(word(i, 2)))
            case 5: return Double(Int32(bitPattern: UInt32(word(i, 4))))
            case 6: return Double(UInt32(word(i, 4)))
            case 7: return Double(Float(bitPattern: UInt32(word(i, 4))))
            case 9: return Double(bitPattern: word(i, 8))
            case 12: return Double(Int64(bitPattern: word(i, 8)))
            default: return Double(word(i, 8))
            }
        }
    }
}

extension ByteStream {
    func expectEnd(afterSkipping count: Int) throws {
        try skip(count)
        try expectEnd()
    }
}
