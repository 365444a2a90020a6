import CSDAutograd
import CSDTensor
import Foundation

/// Sums the gradients of a set of parameters over a process group, as PyTorch's
/// DistributedDataParallel does: the parameters are cut into buckets of about `bucketBytes`, in
/// the order the backward pass completes them (the last block first), and each bucket's
/// all-reduce starts as soon as its gradients are final, while the backward pass runs on the
/// blocks before it. `finish` waits for the rest; the time it waits is communication that the
/// backward pass did not hide.
///
/// The losses are weighted by each rank's share of the global batch's rows, so the reduction
/// is a plain sum. A parameter no rank computed a gradient for keeps none (Adam skips it on
/// every rank alike): each bucket carries one count per parameter of the ranks that had one.
public final class GradientReducer: GradientReadiness {
    final class Bucket {
        let parameters: [Variable]
        /// Where each parameter's gradient starts in `buffer`; the presence counts follow them.
        let offsets: [Int]
        let buffer: UnsafeMutableBufferPointer<Float>
        var ready = 0
        var pending: ProcessGroup.PendingSum?

        init(_ parameters: [Variable]) {
            self.parameters = parameters
            var offsets: [Int] = [], total = 0
            for p in parameters { offsets.append(total); total += p.value.count }
            self.offsets = offsets
            buffer = .allocate(capacity: total + parameters.count)
        }

        deinit { buffer.deallocate() }

        /// Where the presence counts start: after the last gradient.
        var presenceOffset: Int { offsets.last.map { $0 + parameters.last!.value.count } ?? 0 }

        /// The gradients (zeros where there is none) and their presence into the buffer.
        func pack() {
            let base = presenceOffset
            for (i, p) in parameters.enumerated() {
                let slot = UnsafeMutableBufferPointer(rebasing: buffer[offsets[i]..<(offsets[i] + p.value.count)])
                if let g = p.grad {
                    g.withUnsafeBufferPointer { _ = slot.initialize(from: $0) }
                    buffer[base + i] = 1
                } else {
                    slot.initialize(repeating: 0)
                    buffer[base + i] = 0
                }
            }
        }

        /// The summed gradients back into the parameters.
        func unpack() {
            let base = presenceOffset
            for (i, p) in parameters.enumerated() {
                guard buffer[base + i] > 0 else { p.grad = nil; continue }
                var g = p.grad ?? Tensor(uninitializedShape: p.shape)
                g.makeUnique()
                let source = UnsafeBufferPointer(rebasing: buffer[offsets[i]..<(offsets[i] + p.value.count)])
                g.withUnsafeMutableBufferPointer { _ = $0.initialize(from: source) }
                p.grad = g
            }
        }
    }

    public let group: ProcessGroup
    let buckets: [Bucket]
    let bucketOf: [ObjectIdentifier: Int]
    var isReady: Set<ObjectIdentifier> = []
    var nextToStart = 0
    /// This step's seconds spent in `finish` waiting for reductions, and bytes reduced.
    public private(set) var waitSeconds = 0.0
    public var bytesPerStep: Int { buckets.reduce(0) { $0 + 4 * $1.buffer.count } }

    /// The 25 MiB default is PyTorch DDP's `bucket_cap_mb`.
    public init(group: ProcessGroup, parameters: [Variable], bucketBytes: Int = 25 << 20) {
        self.group = group
        // Backward completes the parameters registered last first.
        var buckets: [[Variable]] = [[]], bytes = 0
        for p in parameters.reversed() where p.requiresGrad {
            if bytes > 0 && bytes + 4 * p.value.count > bucketBytes { buckets.append([]); bytes = 0 }
            buckets[buckets.count - 1].append(p)
            bytes += 4 * p.value.count
        }
        self.buckets = buckets.filter { !$0.isEmpty }.map(Bucket.init)
        var bucketOf: [ObjectIdentifier: Int] = [:]
        for (i, b) in self.buckets.enumerated() { for p in b.parameters { bucketOf[ObjectIdentifier(p)] = i } }
        self.bucketOf = bucketOf
    }

    /// Before the step's last backward pass (earlier micro-batches only accumulate).
    public func begin() {
        isReady = []
        nextToStart = 0
        waitSeconds = 0
        for b in buckets { b.ready = 0; b.pending = nil }
    }

    public func backwardBegins(leaves: [Variable]) {
        // What this pass does not reach is final already.
        let reached = Set(leaves.map(ObjectIdentifier.init))
        for b in buckets { for p in b.parameters where !reached.contains(ObjectIdentifier(p)) { markReady(p) } }
        startReadyBuckets()
    }

    public func gradientReady(_ leaf: Variable) {
        guard bucketOf[ObjectIdentifier(leaf)] != nil else { return }
        markReady(leaf)
        startReadyBuckets()
        // Open MPI moves a started reduction on only inside MPI calls.
        for b in buckets[..<nextToStart] { if let pending = b.pending { group.progress(pending) } }
    }

    func markReady(_ p: Variable) {
        guard let i = bucketOf[ObjectIdentifier(p)], isReady.insert(ObjectIdentifier(p)).inserted else { return }
        buckets[i].ready += 1
    }

    /// Starts the full buckets in their fixed order: every rank starts the same reductions in
    /// the same sequence, whatever order its backward pass finished them in.
    func startReadyBuckets() {
        while nextToStart < buckets.count, buckets[nextToStart].ready == buckets[nextToStart].parameters.count {
            let b = buckets[nextToStart]
            b.pack()
            b.pending = group.startAllReduceSum(b.buffer)
            nextToStart += 1
        }
    }

    /// Starts what is left, waits for every reduction and puts the sums in the parameters'
    /// gradients. Returns the seconds spent waiting.
    @discardableResult
    public func finish() -> Double {
        for b in buckets { for p in b.parameters { markReady(p) } }
        startReadyBuckets()
        let started = Date()
        for b in buckets {
            if let pending = b.pending { group.wait(pending) }
            b.unpack()
        }
        waitSeconds = Date().timeIntervalSince(started)
        return waitSeconds
    }
}
