import Foundation

/// The processes of one data-parallel job and the collectives training needs: sums of
/// gradients and loss terms (all-reduce, blocking or started in the background), row gathers of
/// evaluation outputs (all-gather), a broadcast of the weights, and abort.
///
/// One process (no launcher) is a group of one with no MPI behind it: every collective returns
/// its input. Only the main thread calls MPI (`MPI_THREAD_FUNNELED`).
public final class ProcessGroup: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Processes of this job on this machine (they share its cores and memory).
    public let localSize: Int
    /// Where the collectives go: nowhere (one process, or one rank simulated by a test), or MPI.
    enum Backend { case none, mpi(MPILibrary) }
    let backend: Backend

    public var isDistributed: Bool { size > 1 }
    /// The rank that writes checkpoints, logs and results.
    public var isMain: Bool { rank == 0 }

    /// A job of one process.
    public static let single = ProcessGroup(rank: 0, size: 1, localSize: 1, backend: .none)

    init(rank: Int, size: Int, localSize: Int, backend: Backend) {
        self.rank = rank; self.size = size; self.localSize = localSize; self.backend = backend
    }

    /// Rank `rank` of a job of `size` whose collectives return this rank's own contribution:
    /// what one rank adds to a sum, for tests that add the ranks' shares up themselves.
    public static func simulated(rank: Int, of size: Int) -> ProcessGroup {
        precondition((0..<size).contains(rank))
        return ProcessGroup(rank: rank, size: size, localSize: 1, backend: .none)
    }

    /// The group the launcher started: a group of one without a launcher (MPI is not loaded),
    /// else MPI's world after `MPI_Init_thread`, checked against what the launcher declared.
    public static func start(_ launch: LaunchEnvironment = LaunchEnvironment(ProcessInfo.processInfo.environment)) throws -> ProcessGroup {
        guard launch.isDistributed else { return .single }
        let mpi = try MPILibrary()
        var provided: Int32 = 0
        try check(mpi.initThread(nil, nil, MPILibrary.threadFunneled, &provided), "MPI_Init_thread")
        guard provided >= MPILibrary.threadFunneled else {
            throw DistributedError("the MPI library provides thread level \(provided); MPI_THREAD_FUNNELED (1) is needed")
        }
        var rank: Int32 = 0, size: Int32 = 0
        try check(mpi.commRank(mpi.commWorld, &rank), "MPI_Comm_rank")
        try check(mpi.commSize(mpi.commWorld, &size), "MPI_Comm_size")
        guard Int(size) == launch.size else {
            throw DistributedError("\(launch.launcher ?? "the launcher") started \(launch.size) processes, but MPI sees \(size): "
                                   + "each process started MPI on its own (with srun, pass --mpi=pmix or --mpi=pmi2)")
        }
        // The processes of this machine: a communicator of those sharing memory with this one.
        var local: MPILibrary.Handle? = nil, localSize: Int32 = 1
        try check(mpi.commSplitType(mpi.commWorld, MPILibrary.commTypeShared, rank, mpi.infoNull, &local), "MPI_Comm_split_type")
        try check(mpi.commSize(local!, &localSize), "MPI_Comm_size")
        _ = mpi.commFree(&local)
        return ProcessGroup(rank: Int(rank), size: Int(size), localSize: Int(localSize), backend: .mpi(mpi))
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code == MPILibrary.success else { throw DistributedError("\(call) failed with MPI error \(code)") }
    }

    // MARK: Collectives

    /// Sums `buffer` element-wise over the ranks, in place, on every rank.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard case .mpi(let mpi) = backend, buffer.count > 0 else { return }
        for chunk in Self.chunks(buffer.count) {
            Self.fatalUnlessSuccess(mpi.allreduce(MPILibrary.inPlace, buffer.baseAddress! + chunk.lowerBound, Int32(chunk.count),
                                                  mpi.float, mpi.sum, mpi.commWorld), "MPI_Allreduce")
        }
    }

    /// `values` summed over the ranks (in double precision).
    public func allReduceSum(_ values: [Double]) -> [Double] {
        reduce(values, op: { $0.sum })
    }

    /// The smallest and largest of `value` over the ranks.
    public func minMax(_ value: Double) -> (min: Double, max: Double) {
        (reduce([value], op: { $0.min })[0], reduce([value], op: { $0.max })[0])
    }

    func reduce(_ values: [Double], op: (MPILibrary) -> MPILibrary.Handle) -> [Double] {
        guard case .mpi(let mpi) = backend, !values.isEmpty else { return values }
        var result = values
        result.withUnsafeMutableBufferPointer { p in
            Self.fatalUnlessSuccess(mpi.allreduce(MPILibrary.inPlace, p.baseAddress, Int32(p.count), mpi.double, op(mpi),
                                                  mpi.commWorld), "MPI_Allreduce")
        }
        return result
    }

    /// Every rank's `local` floats, concatenated in rank order (ranks may give different counts).
    public func allGather(_ local: [Float]) -> [Float] {
        guard case .mpi(let mpi) = backend else { return local }
        let counts = reduce((0..<size).map { $0 == rank ? Double(local.count) : 0 }, op: { $0.sum }).map { Int32($0) }
        let total = counts.reduce(0) { $0 + Int($1) }
        precondition(total <= Int(Int32.max), "an all-gather of \(total) floats is beyond MPI's int counts")
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<max(1, size) { offsets[r] = offsets[r - 1] + counts[r - 1] }
        var result = [Float](repeating: 0, count: total)
        local.withUnsafeBufferPointer { send in
            result.withUnsafeMutableBufferPointer { receive in
                Self.fatalUnlessSuccess(mpi.allgatherv(send.baseAddress, Int32(local.count), mpi.float, receive.baseAddress,
                                                       counts, offsets, mpi.float, mpi.commWorld), "MPI_Allgatherv")
            }
        }
        return result
    }

    /// Rank `root`'s `buffer` on every rank.
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, from root: Int = 0) {
        guard case .mpi(let mpi) = backend, buffer.count > 0 else { return }
        for chunk in Self.chunks(buffer.count) {
            Self.fatalUnlessSuccess(mpi.bcast(buffer.baseAddress! + chunk.lowerBound, Int32(chunk.count), mpi.float, Int32(root),
                                              mpi.commWorld), "MPI_Bcast")
        }
    }

    /// Ends every process of the job (mpirun's abort) with `code`; in a job of one, exits.
    public func abort(code: Int32) -> Never {
        if case .mpi(let mpi) = backend { _ = mpi.abort(mpi.commWorld, code) }
        exit(code)
    }

    /// Shuts MPI down at the end of a successful run (every rank must call it).
    public func finish() {
        guard case .mpi(let mpi) = backend else { return }
        var done: Int32 = 0
        _ = mpi.finalized(&done)
        if done == 0 { _ = mpi.finalize() }
    }

    // MARK: Background reductions

    /// A sum started with `startAllReduceSum`, finished by `wait`.
    public final class PendingSum {
        var requests: [MPILibrary.Request]
        init(requests: [MPILibrary.Request]) { self.requests = requests }
    }

    /// Starts summing `buffer` over the ranks in place (`MPI_Iallreduce`); the buffer must stay
    /// alive and untouched until `wait` returns. Every rank must start its sums in the same order.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingSum {
        guard case .mpi(let mpi) = backend, buffer.count > 0 else { return PendingSum(requests: []) }
        let requests = Self.chunks(buffer.count).map { chunk -> MPILibrary.Request in
            var request: MPILibrary.Request = nil
            Self.fatalUnlessSuccess(mpi.iallreduce(MPILibrary.inPlace, buffer.baseAddress! + chunk.lowerBound, Int32(chunk.count),
                                                   mpi.float, mpi.sum, mpi.commWorld, &request), "MPI_Iallreduce")
            return request
        }
        return PendingSum(requests: requests)
    }

    /// Lets MPI move the pending sums on (Open MPI progresses non-blocking collectives inside
    /// MPI calls); true when all are done.
    @discardableResult
    public func progress(_ pending: PendingSum) -> Bool {
        guard case .mpi(let mpi) = backend, !pending.requests.isEmpty else { return true }
        var flag: Int32 = 0
        pending.requests.withUnsafeMutableBufferPointer { p in
            Self.fatalUnlessSuccess(mpi.testall(Int32(p.count), p.baseAddress!, &flag, nil), "MPI_Testall")
        }
        if flag != 0 { pending.requests = [] }
        return flag != 0
    }

    /// Blocks until the pending sums are done.
    public func wait(_ pending: PendingSum) {
        guard case .mpi(let mpi) = backend, !pending.requests.isEmpty else { return }
        pending.requests.withUnsafeMutableBufferPointer { p in
            Self.fatalUnlessSuccess(mpi.waitall(Int32(p.count), p.baseAddress!, nil), "MPI_Waitall")
        }
        pending.requests = []
    }

    /// MPI's counts are 32-bit: longer buffers go in pieces.
    static func chunks(_ count: Int, limit: Int = 1 << 30) -> [Range<Int>] {
        stride(from: 0, to: count, by: limit).map { $0..<min(count, $0 + limit) }
    }

    /// Open MPI's default error handler aborts the job before a call returns an error; this
    /// covers a handler changed by the environment.
    static func fatalUnlessSuccess(_ code: Int32, _ call: String) {
        if code != MPILibrary.success { fatalError("\(call) failed with MPI error \(code)") }
    }
}
