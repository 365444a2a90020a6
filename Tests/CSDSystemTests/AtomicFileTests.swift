import CSDSystem
import CSDTestSupport
import Foundation
import Testing

@Suite struct AtomicFileTests {
    @Test func atomicReplaceWritesWholeFilesAndLeavesNoTemporary() throws {
        let folder = TemporaryFolder()
        let url = folder.url.appendingPathComponent("a.json")
        try AtomicFile.replace(url, with: Data("one".utf8))
        try AtomicFile.replace(url, with: Data("two".utf8))
        try AtomicFile.replace(url) { fd, temporary in
            for piece in ["th", "re", "e"] {
                try Array(piece.utf8).withUnsafeBytes { try WriteAll.write($0, to: fd, path: temporary.path) }
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "three")
        try AtomicFile.replace(url) { temporary in
            #expect(!FileManager.default.fileExists(atPath: temporary.path))
            try Data("four".utf8).write(to: temporary)
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "four")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.json"])
    }


    @Test func aFailedReplaceKeepsTheOldFile() throws {
        struct Stop: Error {}
        let folder = TemporaryFolder()
        let url = folder.url.appendingPathComponent("b.bin")
        try AtomicFile.replace(url, with: Data([1, 2, 3]))
        #expect(throws: Stop.self) {
            try AtomicFile.replace(url) { fd, temporary in
                try [UInt8](repeating: 9, count: 10).withUnsafeBytes { try WriteAll.write($0, to: fd, path: temporary.path) }
                throw Stop()
            }
        }
        #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["b.bin"])
        let missing = folder.url.appendingPathComponent("no/such/folder/c.bin")
        let error = #expect(throws: SystemCallError.self) { try AtomicFile.replace(missing, with: Data()) }
        #expect(error?.call == "open" && error?.code == ENOENT)
    }


    @Test func staleTemporariesOfDeadProcessesAreRemoved() throws {
        let folder = TemporaryFolder()
        let url = folder.url.appendingPathComponent("cache.h5")
        // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
        let dead = ".cache.h5.4194305-ab.tmp", live = ".cache.h5.\(getpid())-cd.tmp", other = ".cache.h5.x.tmp"
        for name in [dead, live, other] { try Data().write(to: folder.url.appendingPathComponent(name)) }
        AtomicFile.removeStaleTemporaries(for: url)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [live, other])
    }


    @Test func writeAllAtAnOffsetLeavesThePositionAlone() throws {
        let folder = TemporaryFolder()
        let path = folder.file("w.bin")
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        try [UInt8]([1, 2, 3, 4]).withUnsafeBytes { try WriteAll.write($0, to: fd, path: path) }
        try [UInt8]([9, 9]).withUnsafeBytes { try WriteAll.write($0, to: fd, at: 1, path: path) }
        try [UInt8]([5]).withUnsafeBytes { try WriteAll.write($0, to: fd, path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 9, 9, 4, 5]))
        let error = #expect(throws: SystemCallError.self) {
            try [UInt8]([1]).withUnsafeBytes { try WriteAll.write($0, to: -1, path: "nowhere") }
        }
        #expect(error?.description == "write nowhere: Bad file descriptor")
    }

}
