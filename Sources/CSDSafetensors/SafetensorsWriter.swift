import CSDSystem
import CSDTensor
import Foundation

/// One named tensor to write.
public struct SafetensorsEntry: @unchecked Sendable {
    enum Payload {
        case float(Tensor, SafetensorsDType)
        case int64([Int64], [Int])
    }

    public let name: String
    let payload: Payload

    /// A float32 tensor stored as `dtype` (F32, F16, BF16 or F64; F16/BF16 round to nearest even).
    public static func tensor(_ name: String, _ tensor: Tensor, as dtype: SafetensorsDType = .f32) -> SafetensorsEntry {
        SafetensorsEntry(name: name, payload: .float(tensor, dtype))
    }

    /// Integers stored as I64; `shape` defaults to one dimension.
    public static func int64(_ name: String, _ values: [Int64], shape: [Int]? = nil) -> SafetensorsEntry {
        SafetensorsEntry(name: name, payload: .int64(values, shape ?? [values.count]))
    }

    var dtype: SafetensorsDType {
        switch payload {
        case .float(_, let d): return d
        case .int64: return .i64
        }
    }

    var shape: [Int] {
        switch payload {
        case .float(let t, _): return t.shape
        case .int64(_, let s): return s
        }
    }

    var elementCount: Int {
        switch payload {
        case .float(let t, _): return t.count
        case .int64(let v, _): return v.count
        }
    }
}

/// Writes safetensors files the way the Python library does: tensors sorted by descending dtype
/// alignment then name, header JSON padded with spaces to a multiple of 8 bytes.
public enum SafetensorsWriter {
    /// Writes atomically (`AtomicFile`): a killed process never leaves a partial file under the
    /// final name, and a failed write leaves the old file as it was.
    public static func write(_ entries: [SafetensorsEntry], metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        let (header, ordered) = try prepare(entries, metadata: metadata, path: path)
        do {
            try AtomicFile.replace(url) { fd, temporary in
                try emit(header: header, entries: ordered) { try WriteAll.write($0, to: fd, path: temporary.path) }
            }
        } catch let error as SystemCallError {
            throw SafetensorsError(.io, path: path, "cannot create the file: \(error)")
        }
    }

    /// Writes float32 tensors, all stored as `dtype`.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:],
                             dtype: SafetensorsDType = .f32, to url: URL) throws {
        try write(tensors.map { SafetensorsEntry.tensor($0.0, $0.1, as: dtype) }, metadata: metadata, to: url)
    }

    /// The complete file as bytes (what `write` puts on disk).
    public static func serialize(_ entries: [SafetensorsEntry], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, ordered) = try prepare(entries, metadata: metadata, path: "<memory>")
        var out: [UInt8] = []
        try emit(header: header, entries: ordered) { out.append(contentsOf: $0) }
        return out
    }

    /// Validates entries, orders them and builds the padded header.
    static func prepare(_ entries: [SafetensorsEntry], metadata: [String: String], path: String)
        throws -> (header: [UInt8], ordered: [SafetensorsEntry])
    {
        var seen = Set<String>()
        for e in entries {
            guard e.name != "__metadata__" else {
                throw SafetensorsError(.invalidArgument, path: path, "'__metadata__' cannot be a tensor name")
            }
            guard seen.insert(e.name).inserted else {
                throw SafetensorsError(.duplicateName, path: path, "tensor '\(e.name)' is given twice", tensorNames: [e.name])
            }
            switch e.payload {
            case .float(_, let dtype):
                guard dtype.isWritableFromFloat32 else {
                    throw SafetensorsError(.invalidArgument, path: path,
                                           "tensor '\(e.name)' cannot be written as \(dtype.rawValue) (use F32, F16, BF16 or F64)")
                }
            case .int64(let values, let shape):
                guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
                    throw SafetensorsError(.invalidArgument, path: path,
                                           "tensor '\(e.name)' has \(values.count) values, which do not fill shape \(describe(shape: shape))")
                }
            }
        }
        // Same order as the reference: descending dtype alignment, then name by UTF-8 bytes.
        let ordered = entries.sorted { a, b in
            if a.dtype.order != b.dtype.order { return a.dtype.order > b.dtype.order }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { jsonQuoted($0) + ":" + jsonQuoted(metadata[$0]!) }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for e in ordered {
            let end = offset + e.elementCount * e.dtype.byteSize
            fields.append(jsonQuoted(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":["
                + e.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += fields.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= SafetensorsHeader.maxHeaderLength else {
            throw SafetensorsError(.headerTooLarge, path: path, "header would be \(header.count) bytes, over the limit")
        }
        var prefix = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix = Array($0) }
        return (prefix + header, ordered)
    }

    /// Streams the header then each tensor's bytes into `sink`; conversions go through a bounded
    /// scratch buffer so writing a large F16 file does not double memory use.
    static func emit(header: [UInt8], entries: [SafetensorsEntry],
                     to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try header.withUnsafeBytes { try sink($0) }
        let chunk = 1 << 20
        for e in entries {
            switch e.payload {
            case .int64(let values, _):
                try values.withUnsafeBytes { try sink($0) }  // host is little-endian (checked below)
            case .float(let tensor, .f32):
                try tensor.withUnsafeBufferPointer { try sink(UnsafeRawBufferPointer($0)) }
            case .float(let tensor, .f64):
                try tensor.withUnsafeBufferPointer { src in
                    try convertInChunks(src, chunk: chunk, sink: sink) { Double($0).bitPattern }
                }
            case .float(let tensor, .f16):
                try tensor.withUnsafeBufferPointer { src in
                    try convertInChunks(src, chunk: chunk, sink: sink) { HalfPrecision.half(from: $0) }
                }
            case .float(let tensor, .bf16):
                try tensor.withUnsafeBufferPointer { src in
                    try convertInChunks(src, chunk: chunk, sink: sink) { HalfPrecision.bfloat16(from: $0) }
                }
            case .float(_, let other):
                preconditionFailure("dtype \(other) was rejected in prepare")
            }
        }
    }

    private static func convertInChunks<T: FixedWidthInteger>(
        _ src: UnsafeBufferPointer<Float>, chunk: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void, _ convert: (Float) -> T
    ) throws {
        var scratch = [T](repeating: 0, count: min(chunk, src.count))
        var start = 0
        while start < src.count {
            let n = min(chunk, src.count - start)
            for i in 0..<n { scratch[i] = convert(src[start + i]).littleEndian }
            try scratch.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<(n * MemoryLayout<T>.size)])) }
            start += n
        }
    }
}

#if _endian(big)
#error("CSDSafetensors assumes a little-endian host (the format is little-endian)")
#endif
