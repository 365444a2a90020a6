import CSDSystem

/// A memory-mapped `.npy` array with its header checked: C order, a known dtype, and a file
/// size equal to the header plus the data the shape describes.
struct NPYArray: Sendable {
    let header: NPYHeader
    let file: MappedFile
    var path: String { file.path }
    var shape: [Int] { header.shape }

    init(path: String) throws {
        let input = try FileInput(path: path)
        header = try NPYHeader(input: input)
        guard !header.fortranOrder else {
            throw DatasetError(file: path, "fortran_order arrays are not supported (save with np.ascontiguousarray)")
        }
        guard let itemSize = header.itemSize, itemSize > 0 else {
            throw DatasetError(file: path, "unsupported dtype '\(header.descr)'")
        }
        guard let elements = checkedProduct(header.shape), let bytes = checkedProduct([elements, itemSize]),
              header.dataOffset + bytes == input.size else {
            throw DatasetError(file: path, "size mismatch: header says shape \(header.shape) of '\(header.descr)' (\(checkedProduct(header.shape + [itemSize]).map(String.init) ?? "too many") data bytes after \(header.dataOffset) header bytes), file has \(input.size) bytes")
        }
        do { file = try MappedFile(path: path) } catch let error as SystemCallError { throw DatasetError(error) }
        guard file.count == input.size else { throw DatasetError(file: path, "file changed while opening") }
    }

    /// Requires a uint8 dtype.
    func requireUInt8() throws {
        guard header.kind == "u", header.itemSize == 1 else {
            throw DatasetError(file: path, "images must be uint8, dtype is '\(header.descr)'")
        }
    }

    /// The values of an integer array (any width, little-endian or single-byte).
    func integers() throws -> [Int] {
        guard let kind = header.kind, kind == "i" || kind == "u", let size = header.itemSize, [1, 2, 4, 8].contains(size) else {
            throw DatasetError(file: path, "labels must be an integer dtype, dtype is '\(header.descr)'")
        }
        guard size == 1 || header.byteOrder == "<" || header.byteOrder == "=" || header.byteOrder == "|" else {
            throw DatasetError(file: path, "labels must be little-endian, dtype is '\(header.descr)'")
        }
        let n = header.shape.reduce(1, *)
        return try file.withBytes(offset: header.dataOffset, count: n * size) { raw in
            try (0..<n).map { i in
                var bits: UInt64 = 0
                for k in (0..<size).reversed() { bits = bits << 8 | UInt64(raw[i * size + k]) }
                if kind == "i" {
                    let shift = UInt64(64 - 8 * size)
                    return Int(Int64(bitPattern: bits << shift) >> Int64(shift))
                }
                guard bits <= UInt64(Int.max) else { throw DatasetError(file: path, "label \(bits) at index \(i) is too large") }
                return Int(bits)
            }
        }
    }
}
