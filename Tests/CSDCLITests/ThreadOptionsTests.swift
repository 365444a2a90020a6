import CSDCLI
import CSDTensor
import Foundation
import Testing

/// `--threads` per process: given, it wins; otherwise a process uses the cores it may use, at most
/// its share of the machine among the job's processes on it.
struct ThreadOptionsTests {
    @Test func anExplicitCountWins() throws {
        let options = try ThreadOptions.parse(["--threads", "3"])
        #expect(options.count() == 3 && options.count(processesOnThisMachine: 8) == 3)
        #expect(throws: Error.self) { try ThreadOptions.parse(["--threads", "0"]) }
    }

    @Test func theDefaultSharesTheMachine() throws {
        let options = try ThreadOptions.parse([])
        let cores = ProcessInfo.processInfo.processorCount
        #expect(options.count() == Threads.available)
        #expect(options.count(processesOnThisMachine: 2) == max(1, min(Threads.available, cores / 2)))
        // More processes than cores: one thread each, never none.
        #expect(options.count(processesOnThisMachine: cores + 1) == 1)
    }
}
