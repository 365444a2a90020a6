import Foundation

/// A dense float32 tensor, contiguous and row-major.
///
/// A value type over a shared `TensorStorage`: copies are cheap, `reshaped` never copies, and the
/// first mutation of a shared storage copies it (copy on write).
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var storage: TensorStorage

    /// Number of elements (the product of `shape`; 1 for a scalar of shape `[]`).
    @inlinable public var count: Int { storage.count }
    @inlinable public var rank: Int { shape.count }

    /// Uninitialised memory: every element must be written before it is read.
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Shape.count(shape))
    }

    public init(shape: [Int], storage: TensorStorage) {
        precondition(Shape.count(shape) == storage.count,
                     "shape \(shape) holds \(Shape.count(shape)) elements, storage \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    public init(_ scalars: [Float], shape: [Int]) {
        precondition(scalars.count == Shape.count(shape),
                     "\(scalars.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: $0.count) }
    }

    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// The elements, copied into an array.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return storage.pointer[0]
    }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Mutable access; copies the storage first if it is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(storage.buffer)
    }

    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(uninitializedCount: storage.count)
            copy.pointer.update(from: storage.pointer, count: storage.count)
            storage = copy
        }
    }

    /// Same elements, new shape; `-1` in one place is inferred. Never copies.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: Shape.resolve(newShape, count: count), storage: storage)
    }

    /// A deep copy with its own storage.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.pointer.update(from: storage.pointer, count: count)
        return t
    }

    public subscript(flat index: Int) -> Float {
        get { storage.pointer[index] }
        set { makeUnique(); storage.pointer[index] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
