import Foundation

/// Open MPI's C library, opened at run time (`dlopen`), so that the tools start without an MPI
/// runtime and only a process launched by mpirun or srun needs one.
///
/// Open MPI's ABI: a communicator, data type, operation or request is a pointer, and the
/// predefined ones (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`) are the addresses of global
/// objects in libmpi (`ompi_mpi_comm_world`, ...), which `dlsym` returns. `MPI_IN_PLACE` is
/// `(void *)1` and `MPI_STATUS(ES)_IGNORE` is NULL (mpi.h). MPICH's ABI differs (integer
/// handles); this binding is for Open MPI, the MPI of Debian and of most Slurm clusters.
final class MPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias Request = UnsafeMutableRawPointer?

    /// The library file names tried, newest ABI first (Open MPI 3 to 5 share soname 40).
    static let fileNames = ["libmpi.so.40", "libmpi.so"]
    static let inPlace = UnsafeMutableRawPointer(bitPattern: 1)!
    /// `MPI_THREAD_FUNNELED`: only the main thread calls MPI (worker threads run kernels only).
    static let threadFunneled: Int32 = 1
    static let commTypeShared: Int32 = 0
    static let success: Int32 = 0

    typealias InitThreadFunction = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias FinalizeFunction = @convention(c) () -> Int32
    typealias FinalizedFunction = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    typealias CommRankFunction = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommSizeFunction = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommSplitTypeFunction = @convention(c) (Handle, Int32, Int32, Handle, UnsafeMutablePointer<Handle?>) -> Int32
    typealias CommFreeFunction = @convention(c) (UnsafeMutablePointer<Handle?>) -> Int32
    typealias AllreduceFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias IallreduceFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle,
                                    UnsafeMutablePointer<Request>) -> Int32
    typealias AllgathervFunction = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>,
                                    UnsafePointer<Int32>, Handle, Handle) -> Int32
    typealias BcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias TestallFunction = @convention(c) (Int32, UnsafeMutablePointer<Request>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32
    typealias WaitallFunction = @convention(c) (Int32, UnsafeMutablePointer<Request>, UnsafeMutableRawPointer?) -> Int32
    typealias AbortFunction = @convention(c) (Handle, Int32) -> Int32

    let commWorld: Handle, float: Handle, double: Handle, sum: Handle, max: Handle, min: Handle, infoNull: Handle

    let initThread: InitThreadFunction
    let finalize: FinalizeFunction
    let finalized: FinalizedFunction
    let commRank: CommRankFunction
    let commSize: CommSizeFunction
    let commSplitType: CommSplitTypeFunction
    let commFree: CommFreeFunction
    let allreduce: AllreduceFunction
    let iallreduce: IallreduceFunction
    let allgatherv: AllgathervFunction
    let bcast: BcastFunction
    let testall: TestallFunction
    let waitall: WaitallFunction
    let abort: AbortFunction

    /// Opens libmpi; throws naming what is missing.
    init() throws {
        // RTLD_GLOBAL: Open MPI's plugins (dlopen'ed by libmpi) resolve libmpi's symbols globally.
        var opened: UnsafeMutableRawPointer? = nil
        var errors: [String] = []
        for name in Self.fileNames {
            if let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { opened = h; break }
            errors.append(String(cString: dlerror()))
        }
        guard let library = opened else {
            throw DistributedError("launched by an MPI launcher, but Open MPI's library cannot be loaded ("
                                   + errors.joined(separator: "; ") + "): install it (Debian: apt-get install openmpi-bin)")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(library, name) else {
                throw DistributedError("\(Self.fileNames[0]) has no symbol \(name): Open MPI 3 or later is needed (MPICH is not supported)")
            }
            return p
        }
        func function<F>(_ name: String, as type: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: type) }
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        sum = try symbol("ompi_mpi_op_sum")
        max = try symbol("ompi_mpi_op_max")
        min = try symbol("ompi_mpi_op_min")
        infoNull = try symbol("ompi_mpi_info_null")
        initThread = try function("MPI_Init_thread", as: InitThreadFunction.self)
        finalize = try function("MPI_Finalize", as: FinalizeFunction.self)
        finalized = try function("MPI_Finalized", as: FinalizedFunction.self)
        commRank = try function("MPI_Comm_rank", as: CommRankFunction.self)
        commSize = try function("MPI_Comm_size", as: CommSizeFunction.self)
        commSplitType = try function("MPI_Comm_split_type", as: CommSplitTypeFunction.self)
        commFree = try function("MPI_Comm_free", as: CommFreeFunction.self)
        allreduce = try function("MPI_Allreduce", as: AllreduceFunction.self)
        iallreduce = try function("MPI_Iallreduce", as: IallreduceFunction.self)
        allgatherv = try function("MPI_Allgatherv", as: AllgathervFunction.self)
        bcast = try function("MPI_Bcast", as: BcastFunction.self)
        testall = try function("MPI_Testall", as: TestallFunction.self)
        waitall = try function("MPI_Waitall", as: WaitallFunction.self)
        abort = try function("MPI_Abort", as: AbortFunction.self)
    }
}

/// A distributed run cannot start or continue.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
