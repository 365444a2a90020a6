import CSDSystem
import CSDTestSupport
import Foundation
import Testing

@Suite struct MappedFileTests {
    @Test func mappedFilesReadInPlaceAndNeverWriteTheFile() throws {
        let folder = TemporaryFolder()
        let path = folder.file("m.bin")
        try Data([10, 20, 30, 40]).write(to: URL(fileURLWithPath: path))
        let readOnly = try MappedFile(path: path)
        #expect(Array(readOnly.bytes) == [10, 20, 30, 40])
        #expect(readOnly.withBytes(offset: 1, count: 2) { Array($0) } == [20, 30])
        let writable = try MappedFile(path: path, access: .copyOnWrite)
        writable.base!.storeBytes(of: 99, as: UInt8.self)
        #expect(Array(writable.bytes) == [99, 20, 30, 40])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([10, 20, 30, 40]))

        try Data().write(to: URL(fileURLWithPath: folder.file("empty")))
        let empty = try MappedFile(path: folder.file("empty"))
        #expect(empty.count == 0 && empty.base == nil && empty.bytes.isEmpty)

        let folderError = #expect(throws: SystemCallError.self) { try MappedFile(path: folder.path) }
        #expect(folderError?.message == "not a regular file")
        let missing = #expect(throws: SystemCallError.self) { try MappedFile(path: folder.file("absent")) }
        #expect(missing?.call == "open" && missing?.code == ENOENT)
    }

}
