import CSDTensor
import Foundation

/// Loads weights for a model that must match its checkpoint exactly.
///
///     let loader = try StrictLoader(url: checkpointURL)
///     let q = try loader.tensor("encoder.layer.0.attention.query.weight", shape: [384, 384])
///     let layer = loader.scoped("encoder.layer.3.")
///     let k = try layer.tensor("attention.key.weight", shape: [384, 384])
///     try loader.finish()   // throws naming every tensor nobody asked for
///
/// Thread-safe: layers may load in parallel.
public final class StrictLoader: @unchecked Sendable {
    public let checkpoint: any SafetensorsCheckpoint
    private let lock = NSLock()
    private var used = Set<String>()

    public init(_ checkpoint: any SafetensorsCheckpoint) { self.checkpoint = checkpoint }

    /// Opens `url` with `Safetensors.open` (file, index json or checkpoint folder).
    public convenience init(url: URL) throws { self.init(try Safetensors.open(url)) }

    private var path: String { checkpoint.url.path }

    public func contains(_ name: String) -> Bool { checkpoint.contains(name) }

    private func markUsed(_ name: String) {
        lock.lock()
        used.insert(name)
        lock.unlock()
    }

    private func lookUp(_ name: String, expected shape: [Int]?) throws -> SafetensorsTensorInfo {
        guard checkpoint.contains(name) else {
            let wanted = shape.map { " (expected shape \(describe(shape: $0)))" } ?? ""
            throw SafetensorsError(.missingTensor, path: path,
                                   "missing tensor '\(name)'\(wanted)\(siblingHint(for: name))", tensorNames: [name])
        }
        let info = try checkpoint.info(name)
        if let shape, shape != info.shape {
            throw SafetensorsError(
                .shapeMismatch, path: path,
                "tensor '\(name)' has shape \(describe(shape: info.shape)), expected \(describe(shape: shape))",
                tensorNames: [name])
        }
        return info
    }

    /// A float32 tensor that must exist and have exactly `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        _ = try lookUp(name, expected: shape)
        let t = try finite(checkpoint.tensor(name), name)
        markUsed(name)
        return t
    }

    /// A float32 tensor of whatever shape the checkpoint has.
    public func tensor(_ name: String) throws -> Tensor {
        _ = try lookUp(name, expected: nil)
        let t = try finite(checkpoint.tensor(name), name)
        markUsed(name)
        return t
    }

    /// A NaN or infinity in a weight is the checkpoint's fault: said here, naming the tensor,
    /// rather than later as non-finite tokens of whatever the model wrote.
    private func finite(_ t: Tensor, _ name: String) throws -> Tensor {
        let bad = t.withUnsafeBufferPointer { values in values.firstIndex { !$0.isFinite } }
        if let bad {
            throw SafetensorsError(.nonFiniteValues, path: path,
                                   "tensor '\(name)' holds \(t[flat: bad]) at element \(bad) (weights must be finite)",
                                   tensorNames: [name])
        }
        return t
    }

    /// An integer tensor (e.g. I64 position ids); `shape` is checked when given.
    public func int64s(_ name: String, shape: [Int]? = nil) throws -> [Int64] {
        _ = try lookUp(name, expected: shape)
        let v = try checkpoint.int64s(name)
        markUsed(name)
        return v
    }

    /// Declares a tensor deliberately unused (e.g. buffers the model recomputes).
    public func ignore(_ name: String) { markUsed(name) }

    /// Declares every tensor whose name starts with `prefix` deliberately unused.
    public func ignore(prefix: String) {
        let matching = checkpoint.names.filter { $0.hasPrefix(prefix) }
        lock.lock()
        used.formUnion(matching)
        lock.unlock()
    }

    /// Tensors not yet requested or ignored, in checkpoint order.
    public var unusedNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return checkpoint.names.filter { !used.contains($0) }
    }

    /// Throws `.unusedTensors` naming every tensor that was never requested or ignored.
    public func finish() throws {
        let unused = unusedNames
        guard !unused.isEmpty else { return }
        let noun = unused.count == 1 ? "tensor was" : "tensors were"
        throw SafetensorsError(.unusedTensors, path: path,
                               "\(unused.count) \(noun) never used: " + unused.map { "'\($0)'" }.joined(separator: ", "),
                               tensorNames: unused)
    }

    /// A view that prefixes every name with `prefix` (include the trailing dot).
    public func scoped(_ prefix: String) -> StrictLoaderScope { StrictLoaderScope(loader: self, prefix: prefix) }

    /// Up to three names under the nearest parent module that has any, to make typos obvious.
    private func siblingHint(for name: String) -> String {
        var parent = Substring(name)
        while let dot = parent.dropLast().lastIndex(of: ".") {
            parent = name[...dot]
            let siblings = checkpoint.names.filter { $0.hasPrefix(parent) }.prefix(3)
            if !siblings.isEmpty {
                return "; the checkpoint has e.g. " + siblings.map { "'\($0)'" }.joined(separator: ", ")
            }
        }
        return ""
    }
}

/// A `StrictLoader` seen through a name prefix, e.g. one transformer layer.
public struct StrictLoaderScope: Sendable {
    public let loader: StrictLoader
    public let prefix: String

    public func contains(_ name: String) -> Bool { loader.contains(prefix + name) }
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor { try loader.tensor(prefix + name, shape: shape) }
    public func tensor(_ name: String) throws -> Tensor { try loader.tensor(prefix + name) }
    public func int64s(_ name: String, shape: [Int]? = nil) throws -> [Int64] {
        try loader.int64s(prefix + name, shape: shape)
    }
    public func ignore(_ name: String) { loader.ignore(prefix + name) }
    public func scoped(_ prefix: String) -> StrictLoaderScope { StrictLoaderScope(loader: loader, prefix: self.prefix + prefix) }
}
