import CSDTestSupport
import CSDHDF5
import Foundation
import Testing

@Suite struct HDF5WrapperTests {
    @Test func createExclusiveRefusesAnExistingFileAndTruncateReplacesIt() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("a.h5").path
        do {
            let file = try HDF5File(creating: path)
            try file.setAttribute("generation", .int64(1))
            try file.close()
        }
        let error = #expect(throws: HDF5Error.self) { try HDF5File(creating: path, mode: .exclusive) }
        #expect(error?.path == path)
        #expect(error?.operation == "create file")
        #expect(error?.message.isEmpty == false)
        do {
            let file = try HDF5File(creating: path, mode: .truncate)
            #expect(try file.attributeNames().isEmpty)
        }
    }

    /// What libhdf5 1.10 crashes or hangs on in a global heap (`HDF5RawChecks`), each made in a
    /// small file: the read is an error naming the file and the attribute.
    @Test(arguments: ["an object size near 2^64", "an object index past the collection's", "free space of size 0"])
    func aDamagedGlobalHeapIsAnErrorNotACrash(_ damage: String) throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("a.h5")
        do {
            let file = try HDF5File(creating: url.path)
            try file.setAttribute("model_id", .string("facebook/dinov2-small"))
            try file.createGroup("train").setAttribute("class_names", .strings(["a", "b", "c"]))
        }
        #expect(try HDF5File(opening: url.path).openGroup("train").stringArrayAttribute("class_names") == ["a", "b", "c"])
        var bytes = [UInt8](try Data(contentsOf: url))
        let collection = try #require(bytes.firstRange(of: Array("GCOL".utf8))?.lowerBound)
        switch damage {
        case "an object size near 2^64":  // object 1's size: 8 bytes after its index, count, reserved bytes
            bytes.replaceSubrange((collection + 28)..<(collection + 32), with: [0xFF, 0xFF, 0xFF, 0xFF])
        case "an object index past the collection's":  // model_id's heap ID: length 21, the collection, index 1
            let id: [UInt8] = [21, 0, 0, 0] + withUnsafeBytes(of: UInt64(collection).littleEndian, Array.init) + [1, 0, 0, 0]
            let at = try #require(bytes.firstRange(of: id)?.lowerBound)
            bytes[at + 15] = 0xC4
        default:  // the objects (16-byte header, data padded to 8) up to the free space, index 0
            var offset = collection + 16
            while bytes[offset] != 0 || bytes[offset + 1] != 0 {
                let size = bytes[(offset + 8)..<(offset + 16)].reversed().reduce(0) { $0 << 8 | Int($1) }
                offset += 16 + (size + 7) / 8 * 8
            }
            bytes.replaceSubrange((offset + 8)..<(offset + 16), with: [UInt8](repeating: 0, count: 8))
        }
        try Data(bytes).write(to: url)
        let error = #expect(throws: HDF5Error.self) { _ = try HDF5File(opening: url.path).stringAttribute("model_id") }
        #expect(error?.description.hasPrefix("\(url.path): read attribute \"model_id\" failed: damaged global heap") == true,
                "\(error.map { "\($0)" } ?? "")")
    }

    /// A chunked layout of rank 0 makes libhdf5 1.10 divide by zero when it opens the dataset.
    @Test func aDamagedChunkLayoutIsAnErrorNotACrash() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("a.h5")
        do {
            let file = try HDF5File(creating: url.path)
            _ = try file.createDataset("x", type: .float32, shape: [12, 5], options: .init(chunkRows: 4))
        }
        var bytes = [UInt8](try Data(contentsOf: url))
        // The layout message (version 3, chunked, rank + 1 = 3, an address, chunk 4 x 5 x 4 bytes).
        let head: [UInt8] = [3, 2, 3], chunk: [UInt8] = [4, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0]
        let found = (0..<(bytes.count - 23)).first { (i: Int) -> Bool in
            bytes[i..<(i + 3)].elementsEqual(head) && bytes[(i + 11)..<(i + 23)].elementsEqual(chunk)
        }
        let at = try #require(found)
        bytes[at + 2] = 0
        try Data(bytes).write(to: url)
        let error = #expect(throws: HDF5Error.self) { _ = try HDF5File(opening: url.path).openDataset("x") }
        #expect(error?.description == "\(url.path): open dataset \"/x\" failed: damaged layout: chunk dimensions []")
    }

    @Test func groupsAreCreatedOpenedAndListed() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("g.h5").path
        do {
            let file = try HDF5File(creating: path)
            let train = try file.createGroup("train")
            _ = try train.createGroup("attributes")
            _ = try train.createDataset("labels", type: .int64, shape: [0])
            _ = try file.createGroup("test")
        }
        let file = try HDF5File(opening: path)
        #expect(try file.memberNames() == ["test", "train"])
        let train = try file.openGroup("train")
        #expect(train.name == "/train")
        let members = try train.members()
        #expect(members.map(\.name) == ["attributes", "labels"])
        #expect(members.map(\.kind) == [.group, .dataset])
        #expect(file.contains("train/labels"))
        #expect(!file.contains("train/features"))
        #expect(!file.contains("validation/labels"))
        let error = #expect(throws: HDF5Error.self) { try file.openGroup("validation") }
        #expect(error?.operation == "open group \"/validation\"")
    }

    @Test func rowsAreWrittenAppendedAndReadAsHyperslabs() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("d.h5").path
        let columns = 5
        do {
            let file = try HDF5File(creating: path)
            let features = try file.createDataset("features", type: .float32, shape: [0, columns])
            #expect(try features.shape == [0, columns])
            for batch in 0..<4 {
                let values = (0..<(3 * columns)).map { Float(batch * 3 * columns + $0) }
                let rows = try features.append(values)
                #expect(rows == (batch * 3)..<(batch * 3 + 3))
            }
            // Overwrite row 2 in place.
            try features.writeRows([Float](repeating: -1, count: columns), at: 2)
        }
        let file = try HDF5File(opening: path)
        let features = try file.openDataset("features")
        #expect(features.elementType == .float32)
        #expect(try features.shape == [12, columns])
        let chunk = try #require(try features.chunkShape)
        #expect(chunk[1] == columns && chunk[0] * columns * 4 <= 1 << 20)
        let middle: [Float] = try features.readRows(1..<4)
        #expect(middle == (5..<10).map(Float.init) + [Float](repeating: -1, count: 5) + (15..<20).map(Float.init))
        #expect(try features.readRows(3..<3, as: Float.self).isEmpty)
        let error = #expect(throws: HDF5Error.self) { try features.readRows(10..<13, as: Float.self) }
        #expect(error?.message.contains("12 rows") == true)
    }

    @Test(arguments: HDF5ElementType.allCases)
    func everyElementTypeRoundTrips(_ type: HDF5ElementType) throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("t.h5").path
        let bytes = (0..<(6 * type.byteCount)).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        do {
            let file = try HDF5File(creating: path)
            let dataset = try file.createDataset("x", type: type, shape: [3, 2])
            // float16 bytes must not form NaNs that compare unequal: use the raw path both ways.
            try bytes.withUnsafeBytes { try dataset.writeRows($0, as: type, at: 0) }
        }
        let dataset = try HDF5File(opening: path).openDataset("x")
        #expect(dataset.elementType == type)
        var back = [UInt8](repeating: 0, count: bytes.count)
        try back.withUnsafeMutableBytes { try dataset.readRows(0..<3, into: $0, as: type) }
        #expect(back == bytes)
    }

    @Test func uint8ImagesReadAsBytesOrConvertedToFloat() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("images.h5").path
        let pixels = (0..<(4 * 2 * 2 * 3)).map { UInt8($0 * 5) }
        do {
            let file = try HDF5File(creating: path)
            let images = try file.createDataset("images", type: .uint8, shape: [4, 2, 2, 3],
                                                options: HDF5DatasetOptions(compression: .gzip(level: 4, shuffle: false)))
            try images.writeRows(pixels, at: 0)
        }
        let file = try HDF5File(opening: path, mode: .readOnly)
        let images = try file.openDataset("images")
        #expect(try images.shape == [4, 2, 2, 3])
        #expect(try images.readRows(2..<4, as: UInt8.self) == Array(pixels[24..<48]))
        #expect(try images.readRows(1..<2, as: Float.self) == pixels[12..<24].map(Float.init))
    }

    @Test func shuffledGzipDatasetRoundTrips() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("z.h5").path
        let values = (0..<(1000 * 8)).map { Float(($0 * 37) % 101) / 7 }
        do {
            let file = try HDF5File(creating: path)
            let d = try file.createDataset("f", type: .float32, shape: [1000, 8],
                                           options: HDF5DatasetOptions(chunkRows: 128, compression: .gzip(level: 4, shuffle: true)))
            try d.writeRows(values, at: 0)
        }
        let d = try HDF5File(opening: path).openDataset("f")
        #expect(try d.chunkShape == [128, 8])
        #expect(try d.read(as: Float.self) == values)
    }

    @Test func attributesRoundTripWithTheirTypes() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("attrs.h5").path
        let values: [String: HDF5AttributeValue] = [
            "model_id": .string("facebook/dinov2-small ü"),
            "class_names": .strings(["zero", "one", "twö"]),
            "empty_names": .strings([]),
            "schema_version": .int64(1),
            "shape": .int64s([3, 4]),
            "mean": .double(0.485),
            "std": .doubles([0.229, 0.224, 0.225]),
        ]
        do {
            let file = try HDF5File(creating: path)
            let group = try file.createGroup("train")
            for (name, value) in values {
                try file.setAttribute(name, value)
                try group.setAttribute(name, value)
            }
            try file.setAttribute("schema_version", .int64(2))  // replaces
        }
        let file = try HDF5File(opening: path)
        let group = try file.openGroup("train")
        #expect(try file.attributeNames() == values.keys.sorted())
        for (name, value) in values where name != "schema_version" {
            #expect(try file.attribute(name) == value)
            #expect(try group.attribute(name) == value)
        }
        #expect(try file.int64Attribute("schema_version") == 2)
        #expect(try group.stringAttribute("model_id") == "facebook/dinov2-small ü")
        #expect(try group.stringArrayAttribute("class_names") == ["zero", "one", "twö"])
        #expect(try group.doubleAttribute("mean") == 0.485)
        #expect(try !group.hasAttribute("missing"))
        let error = #expect(throws: HDF5Error.self) { try group.stringAttribute("schema_version") }
        #expect(error?.message.contains("expected a string") == true)
        #expect(throws: HDF5Error.self) { try group.attribute("missing") }
    }

    @Test func errorsNameTheFileAndOperation() throws {
        let dir = TemporaryFolder()
        let missing = dir.fileURL("missing.h5").path
        let e1 = #expect(throws: HDF5Error.self) { try HDF5File(opening: missing) }
        #expect(e1?.description == "\(missing): open file failed: no such file")

        let text = dir.fileURL("text.h5")
        try Data("not hdf5".utf8).write(to: text)
        let e2 = #expect(throws: HDF5Error.self) { try HDF5File(opening: text.path) }
        #expect(e2?.message == "not an HDF5 file")

        let path = dir.fileURL("ok.h5").path
        _ = try HDF5File(creating: path)
        let file = try HDF5File(opening: path)
        let e3 = #expect(throws: HDF5Error.self) { try file.openDataset("train/features") }
        #expect(e3?.path == path)
        #expect(e3?.operation == "open dataset \"/train/features\"")
        // The message comes from HDF5's own error stack.
        #expect(e3?.message.contains("H5Dopen2") == true)
        let readOnly = #expect(throws: HDF5Error.self) { try file.createGroup("x") }
        #expect(readOnly?.message.isEmpty == false)
    }

    @Test func aFileLockedByAnotherProcessIsNamedAsSuch() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("locked.h5").path
        try HDF5File(creating: path).close()
        // flock(1) takes the same kind of lock HDF5's writers take, then says so and waits.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-x", path, "-c", "echo locked; read line"]
        let said = Pipe(), release = Pipe()
        holder.standardOutput = said
        holder.standardInput = release
        try holder.run()
        defer { try? release.fileHandleForWriting.close(); holder.waitUntilExit() }
        #expect(said.fileHandleForReading.availableData.starts(with: Data("locked".utf8)))

        let error = #expect(throws: HDF5Error.self) { try HDF5File(opening: path) }
        #expect(error?.description == "\(path): open file failed: the file is locked by another process (is a run still writing it?)")
    }

    @Test func closeRefusesWhileAnObjectIsOpenThenSucceeds() throws {
        let dir = TemporaryFolder()
        let path = dir.fileURL("c.h5").path
        let file = try HDF5File(creating: path)
        var dataset: HDF5Dataset? = try file.createDataset("x", type: .int64, shape: [2])
        try dataset?.writeRows([Int64(7), 8], at: 0)
        #expect(throws: HDF5Error.self) { try file.close() }
        dataset = nil
        try file.close()
        #expect(!file.isOpen)
        let closed = #expect(throws: HDF5Error.self) { try file.createGroup("y") }
        #expect(closed?.message == "the file has been closed")
        #expect(try HDF5File(opening: path).openDataset("x").read(as: Int64.self) == [7, 8])
    }

    @Test func chunksStayUnderTheChunkCache() throws {
        let dir = TemporaryFolder()
        let file = try HDF5File(creating: dir.fileURL("k.h5").path)
        let wide = try file.createDataset("wide", type: .float32, shape: [0, 384])
        #expect(try wide.chunkShape == [256, 384])
        let small = try file.createDataset("small", type: .int64, shape: [10])
        #expect(try small.chunkShape == [10])
        #expect(throws: HDF5Error.self) {
            try file.createDataset("big", type: .float32, shape: [0, 1024],
                                   options: HDF5DatasetOptions(chunkRows: 1024))
        }
    }
}
