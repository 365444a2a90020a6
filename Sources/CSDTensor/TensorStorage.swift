/// A flat, 64-byte aligned buffer of `Float`s.
///
/// Either owned (allocated here, freed on deinit) or borrowed from an owner that keeps the memory
/// alive, such as a memory-mapped file. Tensors share storages; `Tensor` copies on write.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps borrowed memory alive; `nil` when this storage owns its allocation.
    private let owner: AnyObject?

    public static let alignment = 64

    /// Allocates uninitialised memory for `count` floats.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.owner = nil
    }

    /// Wraps memory owned by `owner` (for example a memory map); nothing is copied.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
