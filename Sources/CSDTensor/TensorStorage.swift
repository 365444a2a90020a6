/// A flat, 64-byte aligned buffer of `Float`s.
///
/// Either owned (allocated here, freed on deinit) or borrowed from an owner that keeps the memory
/// alive, such as a memory-mapped file. Tensors share storages; `Tensor` copies on write.
/// Owned buffers of 1 MiB and more come from, and go back to, `StoragePool`.
///
/// `pointer` is only valid while the storage is alive: keep the `Tensor` (or the storage) in a
/// variable that outlives the pointer's use (`withExtendedLifetime` where the compiler could
/// otherwise end its life early), never `f().storage.pointer` on a temporary.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps borrowed memory alive; `nil` when this storage owns its allocation.
    private let owner: AnyObject?

    public static let alignment = 64

    /// Allocates uninitialised memory for `count` floats.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        let raw = StoragePool.shared.allocate(
            bytes: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
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
        if owner == nil {
            StoragePool.shared.deallocate(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride)
        }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
