/// What the launcher says about this process before MPI starts: whether it is one of several
/// processes of one job, and which. mpirun (Open MPI) and Slurm's srun set these variables in
/// every process they start; a process started any other way is a job of one.
public struct LaunchEnvironment: Sendable, Equatable {
    /// The launcher's name for messages, and the job's process count and this process's rank as
    /// it declares them (MPI's own numbers are checked against them once it starts).
    public let launcher: String?
    public let size: Int
    public let rank: Int

    /// A job of more than one process: MPI must start.
    public var isDistributed: Bool { size > 1 }

    public static let single = LaunchEnvironment(launcher: nil, size: 1, rank: 0)

    public init(launcher: String?, size: Int, rank: Int) {
        self.launcher = launcher; self.size = size; self.rank = rank
    }

    /// Reads `environment`: Open MPI's mpirun (`OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_RANK`)
    /// first, then a Slurm job step (`SLURM_STEP_NUM_TASKS`, `SLURM_PROCID`; set by srun for
    /// its tasks, not in the batch script itself), then PMI (`PMI_SIZE`, `PMI_RANK`).
    public init(_ environment: [String: String]) {
        let sources = [("mpirun", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
                       ("srun", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID"),
                       ("PMI", "PMI_SIZE", "PMI_RANK")]
        for (launcher, sizeKey, rankKey) in sources {
            if let size = environment[sizeKey].flatMap({ Int($0) }), size >= 1,
               let rank = environment[rankKey].flatMap({ Int($0) }), (0..<size).contains(rank) {
                self.init(launcher: launcher, size: size, rank: rank)
                return
            }
        }
        self = .single
    }
}
