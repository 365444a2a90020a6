import ArgumentParser
import CSDDistributed
import Foundation

extension ParsableCommand {
    /// `main()` for a tool that may run as one process of an MPI job (mpirun, srun): parses the
    /// arguments, starts the process group (no MPI without a launcher), runs `body` and shuts
    /// MPI down. A failure on any rank ends the whole job: the others would otherwise wait in a
    /// collective forever.
    public static func main(asPartOf launch: LaunchEnvironment, _ body: (Self, ProcessGroup) throws -> Void) -> Never {
        let command: Self
        do {
            var parsed = try parseAsRoot()
            // --help and the like come back as a command of their own, which prints and exits.
            guard let this = parsed as? Self else { try parsed.run(); Foundation.exit(0) }
            command = this
        } catch {
            // Every rank has the same arguments and fails alike: rank 0 says why.
            if launch.rank != 0 { Foundation.exit(exitCode(for: error).rawValue) }
            exit(withError: error)
        }
        var group = ProcessGroup.single
        do {
            group = try ProcessGroup.start(launch)
            try body(command, group)
            group.finish()
            Foundation.exit(0)
        } catch {
            guard group.isDistributed else { exit(withError: error) }
            // An error every rank meets (most are) is rank 0's to report; its abort ends the
            // others during this pause, and an error of one rank alone is reported after it.
            if !group.isMain { Thread.sleep(forTimeInterval: 2) }
            FileHandle.standardError.write(Data("Error (rank \(group.rank) of \(group.size)): \(message(for: error))\n".utf8))
            let code = exitCode(for: error).rawValue
            group.abort(code: code == 0 ? 1 : code)
        }
    }
}

extension LaunchEnvironment {
    /// For a tool that is not an MPI program: started by mpirun or srun as several processes,
    /// each would do the whole job (and they would race for one output), so it stops with
    /// `instead`, what to do (rank 0 says it).
    public func refuseSeveralProcesses(tool: String, instead: String) {
        guard isDistributed else { return }
        if rank == 0 {
            FileHandle.standardError.write(Data("Error: \(tool) was started as \(size) processes by \(launcher ?? "a launcher"), but it runs as one: \(instead)\n".utf8))
        }
        Foundation.exit(2)
    }
}
