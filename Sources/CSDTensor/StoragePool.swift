import Foundation

/// Reuses large tensor buffers instead of returning them to the system.
///
/// glibc serves allocations above 32 MiB with a fresh `mmap` and unmaps them on free, so every
/// large activation (a ViT-S batch's MLP output is 50 MB) would page-fault its whole extent on
/// first touch: measured at +40% on a GEMM that allocates its output. A model's loop allocates
/// the same sizes again and again, so buffers of the same rounded size are kept and handed back.
/// The pool holds at most `capacity` bytes; beyond it, buffers are freed as usual.
///
/// A request the pool has no buffer of its exact size takes the smallest cached one up to twice
/// its size (best fit; the buffer is resident already, so this costs no memory): batches of neighbouring sizes (the last, shorter batch of an epoch,
/// micro-batches that differ by a row) then reuse the cached set instead of allocating a second
/// one beside it, which would double a training step's peak memory.
public final class StoragePool: @unchecked Sendable {
    public static let shared = StoragePool()

    /// Allocations below this go straight to malloc, which recycles small blocks well.
    public static let minimumPooledBytes = 1 << 20
    static let granularity = 1 << 16

    public var capacity: Int
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Buffers handed out for a smaller request than their size: their real size.
    private var lentLarger: [UnsafeMutableRawPointer: Int] = [:]
    public private(set) var cachedBytes = 0
    private let lock = NSLock()

    init() {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        capacity = min(physical / 4, 8 << 30)
    }

    /// The size a pooled request is rounded up to (buffers are shared between nearby sizes).
    static func roundedSize(_ bytes: Int) -> Int {
        (bytes + granularity - 1) / granularity * granularity
    }

    func allocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if bytes >= Self.minimumPooledBytes {
            let size = Self.roundedSize(bytes)
            lock.lock()
            if let p = free[size]?.popLast() {
                cachedBytes -= size
                lock.unlock()
                return p
            }
            if let larger = free.keys.filter({ $0 > size && $0 <= 2 * size && !(free[$0]?.isEmpty ?? true) }).min(),
               let p = free[larger]?.popLast() {
                cachedBytes -= larger
                lentLarger[p] = larger
                lock.unlock()
                return p
            }
            lock.unlock()
            return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
        }
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
    }

    func deallocate(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= Self.minimumPooledBytes {
            lock.lock()
            let size = lentLarger.removeValue(forKey: pointer) ?? Self.roundedSize(bytes)
            if cachedBytes + size <= capacity {
                free[size, default: []].append(pointer)
                cachedBytes += size
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }

    /// Returns every cached buffer to the system (e.g. between phases of a long run).
    public func releaseCached() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for p in blocks { p.deallocate() }
    }
}
