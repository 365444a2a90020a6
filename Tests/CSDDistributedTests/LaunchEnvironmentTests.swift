import CSDDistributed
import Testing

struct LaunchEnvironmentTests {
    @Test func mpirunDeclaresTheJob() {
        let e = LaunchEnvironment(["OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "2"])
        #expect(e == LaunchEnvironment(launcher: "mpirun", size: 3, rank: 2))
        #expect(e.isDistributed)
    }

    @Test func srunTasksAreAJobButTheBatchScriptIsNot() {
        let step = LaunchEnvironment(["SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "1", "SLURM_NTASKS": "4"])
        #expect(step == LaunchEnvironment(launcher: "srun", size: 4, rank: 1))
        // The batch script of a 4-task allocation runs once: it is not one of the tasks.
        #expect(LaunchEnvironment(["SLURM_NTASKS": "4", "SLURM_PROCID": "0"]) == .single)
    }

    @Test func noLauncherOrNonsenseIsAJobOfOne() {
        #expect(LaunchEnvironment([:]) == .single)
        #expect(!LaunchEnvironment([:]).isDistributed)
        #expect(LaunchEnvironment(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "2"]) == .single)
        #expect(LaunchEnvironment(["OMPI_COMM_WORLD_SIZE": "x", "OMPI_COMM_WORLD_RANK": "0"]) == .single)
        #expect(LaunchEnvironment(["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"]).isDistributed == false)
    }

    @Test func withoutALauncherTheGroupIsOneProcessAndLoadsNoMPI() throws {
        let group = try ProcessGroup.start(.single)
        #expect(group.size == 1 && group.rank == 0 && !group.isDistributed)
        var values: [Float] = [1, 2, 3]
        values.withUnsafeMutableBufferPointer { group.allReduceSum($0) }
        #expect(values == [1, 2, 3])
        #expect(group.allReduceSum([4.5]) == [4.5])
        #expect(group.allGather([7, 8]) == [7, 8])
        #expect(group.minMax(3) == (3, 3))
    }
}
