import CSDSafetensors
import CSDSystem
import CSDTensor
import Foundation
import Testing

/// Files written by Python `safetensors` (tools/make_safetensors_fixtures.py); expected float32
/// values come from torch's `.float()`, so conversions are compared bit for bit.
@Suite struct FixtureTests {
    struct ExpectedFile: Decodable {
        struct Entry: Decodable {
            let dtype: String
            let shape: [Int]
            let int64: [Int64]?
        }
        let metadata: [String: String]
        let tensors: [String: Entry]
    }

    static let torchDTypes: [String: SafetensorsDType] = [
        "float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64,
        "int64": .i64, "int32": .i32, "uint8": .u8, "bool": .bool,
    ]

    func expectations() throws -> [String: ExpectedFile] {
        try JSONDecoder().decode([String: ExpectedFile].self, from: Data(contentsOf: fixtureURL("expected.json")))
    }

    func checkAgainstTorch(_ fixture: String, prefix: String) throws {
        let expected = try #require(try expectations()[fixture])
        let reference = try SafetensorsFile(url: fixtureURL("expected.safetensors"))
        let file = try SafetensorsFile(url: fixtureURL(fixture))
        #expect(file.metadata == expected.metadata)
        #expect(Set(file.names) == Set(expected.tensors.keys))
        for (name, entry) in expected.tensors {
            let info = try file.info(name)
            #expect(info.dtype == Self.torchDTypes[entry.dtype], "\(name)")
            #expect(info.shape == entry.shape, "\(name)")
            let mine = try file.tensor(name)
            let torch = try reference.tensor("\(prefix)/\(name)")
            #expect(mine.shape == entry.shape)
            #expect(sameBits(mine.scalars, torch.scalars), "\(name): \(mine.scalars) vs torch \(torch.scalars)")
            if let ints = entry.int64 { #expect(try file.int64s(name) == ints, "\(name)") }
        }
    }

    @Test func everyDtypeMatchesTorch() throws {
        try checkAgainstTorch("dtypes.safetensors", prefix: "dtypes")
        let file = try SafetensorsFile(url: fixtureURL("dtypes.safetensors"))
        // Spot checks that the special values really are in the fixture.
        let half = try file.tensor("f16.special").scalars
        #expect(half[2] == 0x1p-24 && half[1].sign == .minus && half[1] == 0 && half[10] == .infinity && half[12].isNaN)
        let brain = try file.tensor("bf16.special").scalars
        #expect(brain[2] == 0x1p-133 && brain[7] == 0x1.fep127 && brain[11].isNaN)
        #expect(try file.tensor("f32.scalar").shape == [])
        #expect(try file.tensor("f32.empty").shape == [0, 3])
        #expect(try file.int64s("i64.values").first == Int64.min)
        #expect(try file.int64s("u8.values") == [0, 255])
        #expect(try file.int64s("bool.mask") == [1, 0, 1])
        #expect(try file.isZeroCopy("f32.matrix"))
    }

    @Test func misalignedFloat32IsCopied() throws {
        try checkAgainstTorch("misaligned.safetensors", prefix: "misaligned")
        let file = try SafetensorsFile(url: fixtureURL("misaligned.safetensors"))
        #expect(file.names == ["a.half", "b.float"])  // file order, not header order
        #expect(try !file.isZeroCopy("b.float"))
        #expect(try file.tensor("b.float").scalars[1] == -2)
    }

    /// The writer's F32 -> F16/BF16 rounding reproduces torch's `.half()` / `.bfloat16()` bytes.
    @Test func writerConversionsMatchTorch() throws {
        let file = try SafetensorsFile(url: fixtureURL("conversions.safetensors"))
        let source = try file.tensor("source")
        let f16 = try file.withUnsafeBytes(of: "to_f16") { Array($0) }
        let bf16 = try file.withUnsafeBytes(of: "to_bf16") { Array($0) }
        let written = try SafetensorsWriter.serialize([
            .tensor("to_f16", source, as: .f16), .tensor("to_bf16", source, as: .bf16),
        ])
        // Data section: BF16 first (higher in the reference order), then F16.
        let data = Array(written.suffix(f16.count + bf16.count))
        #expect(Array(data.prefix(bf16.count)) == bf16)
        #expect(Array(data.suffix(f16.count)) == f16)
        for (i, x) in source.scalars.enumerated() {
            let h = UInt16(f16[2 * i]) | UInt16(f16[2 * i + 1]) << 8
            #expect(HalfPrecision.half(from: x) == h, "element \(i) = \(x)")
        }
    }

    @Test func shardedCheckpointMatchesTorch() throws {
        let checkpoint = try Safetensors.open(fixtureURL("sharded"))
        let sharded = try #require(checkpoint as? ShardedCheckpoint)
        #expect(sharded.shards.count == 2)
        #expect(sharded.names == ["embed.weight", "head.weight", "layer.0.bias", "layer.0.weight", "layer.1.bias", "layer.1.weight"])
        #expect(sharded.metadata["total_size"] == "168")
        let reference = try SafetensorsFile(url: fixtureURL("expected.safetensors"))
        for name in sharded.names {
            #expect(try sharded.tensor(name).scalars == reference.tensor("sharded/\(name)").scalars)
        }
        #expect(try sharded.info("head.weight").shape == [2, 3])
        #expect(try sharded.shard(for: "head.weight").url.lastPathComponent == "model-00002-of-00002.safetensors")

        let loader = StrictLoader(sharded)
        _ = try loader.tensor("embed.weight", shape: [4, 3])
        _ = try loader.tensor("head.weight", shape: [2, 3])
        for i in 0..<2 {
            let layer = loader.scoped("layer.\(i).")
            _ = try layer.tensor("weight", shape: [3, 3])
            _ = try layer.tensor("bias", shape: [3])
        }
        try loader.finish()
    }
}
