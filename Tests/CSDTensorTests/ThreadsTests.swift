import CSDTensor
import Foundation
import Testing

/// Records the chunks handed to `body` by `Threads.parallelFor`, and the thread limit each one saw.
private final class ChunkLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var chunks: [Range<Int>] = []
    private(set) var limits: [Int] = []
    func add(_ r: Range<Int>) {
        let limit = Threads.count
        lock.lock(); chunks.append(r); limits.append(limit); lock.unlock()
    }
}

private struct LimitError: Error {}

@Suite struct ThreadsTests {
    @Test func countIsPositive() {
        #expect(Threads.count >= 1)
        #expect(Threads.available >= 1)
        #expect(Threads.defaultCount >= 1)
    }

    @Test(arguments: [0, 1, 2, 3, 7, 100, 1000, 16_385, 65_537], [0, 1, 3, 16, 1 << 14])
    func parallelForCoversEveryIndexOnce(n: Int, grain: Int) {
        let log = ChunkLog()
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
        hits.initialize(repeating: 0, count: max(n, 1))
        defer { hits.deallocate() }
        Threads.parallelFor(n, grain: grain) { r in
            log.add(r)
            for i in r { hits[i] += 1 }
        }
        let bad = (0..<n).filter { hits[$0] != 1 }
        #expect(bad.isEmpty, "indices not hit exactly once: \(bad.prefix(10))")
        // The chunks are non-empty, disjoint, contiguous and in range.
        let sorted = log.chunks.sorted { $0.lowerBound < $1.lowerBound }
        #expect(sorted.allSatisfy { !$0.isEmpty })
        #expect(sorted.first?.lowerBound ?? 0 == 0)
        #expect(sorted.last?.upperBound ?? 0 == n)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(log.chunks.count <= max(1, Threads.count))
        if n == 0 { #expect(log.chunks.isEmpty, "an empty range never calls the body") }
        if n > 0 && n <= max(grain, 1) { #expect(log.chunks.count == 1, "a range within one grain runs inline") }
    }

    @Test func parallelForSplitsLargeRanges() {
        let log = ChunkLog()
        Threads.parallelFor(1 << 20, grain: 1 << 10) { r in log.add(r) }
        #expect(log.chunks.count == min(Threads.count, 1 << 10))
        if log.chunks.count > 1 {
            #expect(log.limits.allSatisfy { $0 == 1 }, "workers run with a limit of 1, so nested loops stay inline")
        }
    }

    @Test func nestedParallelForRunsInlineInWorkers() {
        let inner = ChunkLog()
        let outer = ChunkLog()
        Threads.parallelFor(4, grain: 1) { r in
            outer.add(r)
            for _ in r { Threads.parallelFor(100_000, grain: 1) { inner.add($0) } }
        }
        if outer.chunks.count > 1 {
            #expect(inner.chunks.count == 4, "each nested loop ran as a single inline chunk")
            #expect(inner.chunks.allSatisfy { $0 == 0..<100_000 })
        }
    }

    @Test func withLimitNestsAndRestores() {
        let base = Threads.count
        let result = Threads.withLimit(1) { () -> Int in
            #expect(Threads.count == 1)
            Threads.withLimit(1) { #expect(Threads.count == 1) }
            #expect(Threads.count == 1)
            return 42
        }
        #expect(result == 42)
        #expect(Threads.count == base)
        Threads.withLimit(3) {
            #expect(Threads.count == min(base, 3))
            Threads.withLimit(2) {
                #expect(Threads.count == min(base, 2))
                Threads.withLimit(1) { #expect(Threads.count == 1) }
                #expect(Threads.count == min(base, 2))
            }
            #expect(Threads.count == min(base, 3))
        }
        #expect(Threads.count == base)
        // A limit above the process count does not raise it; limits below 1 mean 1.
        Threads.withLimit(base + 100) { #expect(Threads.count == base) }
        Threads.withLimit(0) { #expect(Threads.count == 1) }
        Threads.withLimit(-5) { #expect(Threads.count == 1) }
        #expect(Threads.count == base)
    }

    @Test func withLimitRestoresAfterThrow() {
        let base = Threads.count
        #expect(throws: LimitError.self) {
            try Threads.withLimit(1) { throw LimitError() }
        }
        #expect(Threads.count == base)
    }

    @Test func withLimitIsThreadLocal() {
        let base = Threads.count
        let seen = ChunkLog()
        let done = DispatchSemaphore(value: 0)
        Threads.withLimit(1) {
            let thread = Thread {
                seen.add(0..<1)
                done.signal()
            }
            thread.start()
            done.wait()
            #expect(Threads.count == 1)
        }
        #expect(seen.limits == [base], "another thread keeps the process-wide count")
    }

    @Test func parallelForUnderLimitOneRunsInline() {
        let log = ChunkLog()
        Threads.withLimit(1) {
            Threads.parallelFor(1 << 20, grain: 1) { log.add($0) }
        }
        #expect(log.chunks == [0..<(1 << 20)])
    }
}

@Test func nestedLimitNeverRaisesTheCallersLimit() {
    Threads.withLimit(1) {
        Threads.withLimit(8) { #expect(Threads.count == 1) }
    }
}
