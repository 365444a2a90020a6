import CSDSystem
import CSDTensor
import Foundation

/// One safetensors file, memory-mapped and validated on open.
///
/// Aligned F32 tensors are returned without copying: their storage borrows the mapping, which
/// stays alive as long as any such tensor does. The reader hands out one shared storage per
/// tensor name, so `Tensor`'s copy-on-write sees it as shared while the reader lives and copies
/// on the first mutation; once the reader is gone a sole owner may write in place, which only
/// touches this process's private (MAP_PRIVATE) pages, never the file.
public final class SafetensorsFile: SafetensorsCheckpoint, @unchecked Sendable {
    public let url: URL
    public let metadata: [String: String]
    /// All tensors in file (offset) order.
    public let tensorInfos: [SafetensorsTensorInfo]

    private let map: MappedFile
    private let header: SafetensorsHeader
    private let lock = NSLock()
    private var borrowedStorages: [String: TensorStorage] = [:]

    public init(url: URL) throws {
        self.url = url
        do {
            map = try MappedFile(path: url.path, access: .copyOnWrite)
        } catch let error as SystemCallError {
            throw SafetensorsError(.io, path: url.path, "cannot \(error.call): \(error.message)")
        }
        guard map.count >= 8 else {
            throw SafetensorsError(.fileTooShort, path: url.path,
                                   "file is \(map.count) bytes, shorter than the 8-byte header length")
        }
        header = try SafetensorsHeader.parse(file: map.bytes, path: url.path)
        metadata = header.metadata
        tensorInfos = header.tensors
    }

    public convenience init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    public var names: [String] { tensorInfos.map(\.name) }

    public func contains(_ name: String) -> Bool { header.indexByName[name] != nil }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let i = header.indexByName[name] else {
            throw SafetensorsError(.missingTensor, path: url.path, "no tensor named '\(name)'", tensorNames: [name])
        }
        return tensorInfos[i]
    }

    /// Address of a tensor's first byte inside the mapping.
    private func address(of info: SafetensorsTensorInfo) -> UnsafeMutableRawPointer {
        map.base! + header.dataStart + info.dataOffsets.lowerBound  // the file has at least 8 bytes
    }

    /// Whether `tensor(name)` returns the mapped bytes without copying.
    public func isZeroCopy(_ name: String) throws -> Bool {
        let info = try info(name)
        return info.dtype == .f32 && info.elementCount > 0
            && Int(bitPattern: address(of: info)) % MemoryLayout<Float>.alignment == 0
    }

    public func tensor(_ name: String) throws -> Tensor {
        let info = try info(name)
        if try isZeroCopy(name) {
            lock.lock()
            defer { lock.unlock() }
            if let storage = borrowedStorages[name] { return Tensor(shape: info.shape, storage: storage) }
            let pointer = address(of: info).assumingMemoryBound(to: Float.self)
            let storage = TensorStorage(borrowing: pointer, count: info.elementCount, owner: map)
            borrowedStorages[name] = storage
            return Tensor(shape: info.shape, storage: storage)
        }
        guard info.dtype.convertsToFloat32 else {
            throw SafetensorsError(.unsupportedDType, path: url.path,
                                   "tensor '\(name)' has dtype \(info.dtype.rawValue), which cannot be read as float32",
                                   tensorNames: [name])
        }
        let result = Tensor(uninitializedShape: info.shape)
        _ = ElementConversion.toFloat32(info.dtype, address(of: info), count: info.elementCount,
                                        into: result.storage.pointer)
        return result
    }

    public func int64s(_ name: String) throws -> [Int64] {
        let info = try info(name)
        guard info.dtype.isInteger else {
            throw SafetensorsError(.dtypeMismatch, path: url.path,
                                   "tensor '\(name)' has dtype \(info.dtype.rawValue), not an integer dtype",
                                   tensorNames: [name])
        }
        if info.elementCount == 0 { return [] }
        var badIndex: Int? = nil
        let values = [Int64](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            badIndex = ElementConversion.toInt64(info.dtype, address(of: info), count: info.elementCount,
                                                 into: buffer.baseAddress!)
            initialized = badIndex == nil ? info.elementCount : 0
        }
        if let badIndex {
            throw SafetensorsError(.dtypeMismatch, path: url.path,
                                   "tensor '\(name)' element \(badIndex) does not fit in Int64", tensorNames: [name])
        }
        return values
    }

    /// The tensor's stored bytes (little-endian, possibly unaligned), valid only inside `body`.
    public func withUnsafeBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(name)
        return try body(UnsafeRawBufferPointer(start: address(of: info), count: info.byteCount))
    }
}
