import CSDTestSupport
import CSDSafetensors
import CSDSystem
import CSDTensor
import Foundation
import Testing

@Suite struct RoundTripTests {
    @Test func floatTensorsShapesAndMetadataRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("roundtrip.safetensors")
            let matrix = Tensor([1, -2, 3.5, .infinity, -0.0, 0x1p-133], shape: [2, 3])
            let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t ünïcode", "empty": ""]
            try SafetensorsWriter.write([
                ("encoder.weight", matrix),
                ("scalar", Tensor(scalar: 42.5)),
                ("zero.rows", Tensor(zeros: [0, 4])),
                ("zero.middle", Tensor(zeros: [3, 0, 2])),
                ("ñame/with spaces", Tensor([7, 8], shape: [2])),
            ], metadata: metadata, to: url)

            let file = try SafetensorsFile(url: url)
            #expect(file.metadata == metadata)
            #expect(Set(file.names) == ["encoder.weight", "scalar", "zero.rows", "zero.middle", "ñame/with spaces"])
            let m = try file.tensor("encoder.weight")
            #expect(m.shape == [2, 3])
            #expect(sameBits(m.scalars, matrix.scalars))
            let s = try file.tensor("scalar")
            #expect(s.shape == [] && s.item == 42.5)
            #expect(try file.tensor("zero.rows").shape == [0, 4])
            #expect(try file.tensor("zero.middle").shape == [3, 0, 2])
            #expect(try file.tensor("zero.middle").count == 0)
            #expect(try file.tensor("ñame/with spaces").scalars == [7, 8])
            #expect(try file.info("scalar").dtype == .f32)
            #expect(try file.info("zero.rows").byteCount == 0)
        }
    }

    @Test func otherDtypesRoundTrip() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("dtypes.safetensors")
            let exact: [Float] = [1, -0.5, 65504, 0x1p-24, -0.0, .infinity]  // all exact in F16
            let ids: [Int64] = [.min, -1, 0, 1, 1 << 53 + 1, .max]
            try SafetensorsWriter.write([
                .tensor("half", Tensor(exact, shape: [2, 3]), as: .f16),
                .tensor("brain", Tensor([1, -0.5, 3.0e38, 0x1p-126, -0.0, .infinity], shape: [6]), as: .bf16),
                .tensor("double", Tensor([0.1, -0x1p-149, 3e38], shape: [3]), as: .f64),
                .int64("ids", ids, shape: [3, 2]),
                .int64("no.ids", [], shape: [0]),
                .int64("one.id", [9], shape: []),
            ], to: url)
            let file = try SafetensorsFile(url: url)
            #expect(try file.info("half").dtype == .f16)
            #expect(sameBits(try file.tensor("half").scalars, exact))
            let brain = try file.tensor("brain").scalars
            #expect(brain[0] == 1 && brain[1] == -0.5 && brain[3] == 0x1p-126 && brain[5] == .infinity)
            #expect(brain[2] == HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: 3.0e38)))
            #expect(try file.tensor("double").scalars == [0.1, -0x1p-149, 3e38])
            #expect(try file.int64s("ids") == ids)
            #expect(try file.info("ids").shape == [3, 2])
            #expect(try file.int64s("no.ids") == [])
            #expect(try file.int64s("one.id") == [9])
            #expect(try file.info("one.id").shape == [])
            // I64 as float32 on request (rounded like torch's .float()).
            #expect(try file.tensor("ids").scalars == ids.map(Float.init))
            expectError(.dtypeMismatch, mentioning: ["dtypes.safetensors", "'half'", "F16"]) {
                _ = try file.int64s("half")
            }
        }
    }

    /// Layout rules of the reference writer: dtype alignment descending, then name; header padded
    /// with spaces to a multiple of 8 so every tensor of 8-byte dtypes or narrower is aligned.
    @Test func layoutFollowsReference() throws {
        let bytes = try SafetensorsWriter.serialize([
            .tensor("b", Tensor([1], shape: [1]), as: .f16),
            .tensor("a", Tensor([1], shape: [1]), as: .f16),
            .tensor("z", Tensor([1, 2, 3], shape: [3])),
            .int64("c", [1]),
            .tensor("y", Tensor([1], shape: [1]), as: .bf16),
            .tensor("x", Tensor([1], shape: [1]), as: .f64),
        ], metadata: ["k": "v"])
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        #expect(n % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"k":"v"},"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"x":"#))
        let order = ["\"c\"", "\"x\"", "\"z\"", "\"y\"", "\"a\"", "\"b\""].map { header.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(header.hasSuffix("}") || header.hasSuffix(" "))
        #expect(bytes.count == 8 + n + 8 + 8 + 12 + 2 + 2 + 2)
    }

    /// Byte-exact outputs from the reference implementation's own serialization tests.
    @Test func matchesReferenceBytes() throws {
        let empty = try SafetensorsWriter.serialize([])
        #expect(empty == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let withMeta = try SafetensorsWriter.serialize([], metadata: ["framework": "pt"])
        #expect(withMeta == [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
        let attn = try SafetensorsWriter.serialize([.tensor("attn.0", Tensor([0, 1, 2, 3, 4, 5], shape: [1, 2, 3]))])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        var floats = [UInt8]()
        for v: Float in [0, 1, 2, 3, 4, 5] { withUnsafeBytes(of: v.bitPattern.littleEndian) { floats += $0 } }
        #expect(attn == [64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + floats)
    }

    @Test func alignedFloat32IsZeroCopyAndCopyOnWrite() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("cow.safetensors")
            try SafetensorsWriter.write([("w", Tensor([1, 2, 3, 4], shape: [2, 2]))], to: url)
            let before = try Data(contentsOf: url)
            var first: Tensor
            do {
                let file = try SafetensorsFile(url: url)
                #expect(try file.isZeroCopy("w"))
                first = try file.tensor("w")
                let second = try file.tensor("w")
                #expect(first.storage === second.storage)  // one storage per name: CoW sees it shared
                first[flat: 0] = 99  // copies
                #expect(first.storage !== second.storage)
                #expect(try file.tensor("w").scalars == [1, 2, 3, 4])
            }
            // The borrowed storage keeps the mapping alive after the reader is gone.
            let survivor: Tensor = try { try SafetensorsFile(url: url).tensor("w") }()
            #expect(survivor.scalars == [1, 2, 3, 4])
            var owned = survivor
            owned[flat: 1] = -1  // private mapping: never reaches the file
            #expect(owned.scalars == [1, -1, 3, 4])
            #expect(first.scalars == [99, 2, 3, 4])
            #expect(try Data(contentsOf: url) == before)
        }
    }

    @Test func writeIsAtomicAndReplacesExistingFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write([("a", Tensor([1], shape: [1]))], to: url)
            try SafetensorsWriter.write([("b", Tensor([2, 3], shape: [2]))], to: url)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
            #expect(try SafetensorsFile(url: url).names == ["b"])
            // A failed write (duplicate names) leaves the old file and no temporary file behind.
            expectError(.duplicateName, mentioning: ["model.safetensors", "'b'"]) {
                try SafetensorsWriter.write([("b", Tensor([1], shape: [1])), ("b", Tensor([1], shape: [1]))], to: url)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
            #expect(try SafetensorsFile(url: url).names == ["b"])
            #expect(try SafetensorsWriter.serialize([.tensor("b", Tensor([2, 3], shape: [2]))]) == Array(try Data(contentsOf: url)))
        }
    }

    @Test func writerRejectsBadRequests() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("bad.safetensors")
            expectError(.invalidArgument, mentioning: ["bad.safetensors", "'t'", "I32"]) {
                try SafetensorsWriter.write([.tensor("t", Tensor([1], shape: [1]), as: .i32)], to: url)
            }
            expectError(.invalidArgument, mentioning: ["'ids'", "[2, 2]"]) {
                try SafetensorsWriter.write([.int64("ids", [1, 2, 3], shape: [2, 2])], to: url)
            }
            expectError(.invalidArgument, mentioning: ["__metadata__"]) {
                try SafetensorsWriter.write([("__metadata__", Tensor([1], shape: [1]))], to: url)
            }
            let missingFolder = dir.appendingPathComponent("no/such/folder/x.safetensors")
            expectError(.io, mentioning: ["x.safetensors", "cannot create"]) {
                try SafetensorsWriter.write([("a", Tensor([1], shape: [1]))], to: missingFolder)
            }
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
    }

    /// F32 data is mapped, not copied: the tensor's storage points into the file's mapping.
    /// (Speed is measured by benchmarks, never asserted in a unit test.)
    @Test func largeFileOpensWithoutCopying() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("large.safetensors")
            let count = 1_000_000
            var big = Tensor(zeros: [count / 1000, 1000])
            big[flat: count - 1] = 5
            try SafetensorsWriter.write([("big", big), ("small", Tensor([1, 2], shape: [2]))], to: url)
            let file = try SafetensorsFile(url: url)
            let t = try file.tensor("big")
            #expect(try file.isZeroCopy("big"))
            #expect(t[flat: count - 1] == 5)
            try file.withUnsafeBytes(of: "big") { raw in
                #expect(UnsafeRawPointer(t.storage.pointer) == raw.baseAddress)
            }
        }
    }
}
