import CSDTestSupport
import CSDSafetensors
import CSDTensor
import Dispatch
import Foundation
import Testing

@Suite struct StrictLoaderTests {
    /// A small BERT-like checkpoint in a fresh folder.
    func withCheckpoint(_ body: (URL) throws -> Void) throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("encoder.safetensors")
            try SafetensorsWriter.write([
                .tensor("encoder.layer.0.attention.query.weight", Tensor(repeating: 1, shape: [4, 4])),
                .tensor("encoder.layer.0.attention.query.bias", Tensor(repeating: 2, shape: [4])),
                .tensor("encoder.layer.3.attention.key.weight", Tensor(repeating: 3, shape: [4, 4]), as: .f16),
                .tensor("pooler.dense.weight", Tensor(repeating: 4, shape: [2, 2])),
                .int64("embeddings.position_ids", [0, 1, 2, 3], shape: [1, 4]),
            ], to: url)
            try body(url)
        }
    }

    @Test func loadsEverythingAndFinishes() throws {
        try withCheckpoint { url in
            let loader = try StrictLoader(url: url)
            #expect(try loader.tensor("encoder.layer.0.attention.query.weight", shape: [4, 4]).scalars.allSatisfy { $0 == 1 })
            let layer3 = loader.scoped("encoder.layer.3.")
            #expect(try layer3.scoped("attention.").tensor("key.weight", shape: [4, 4]).scalars.first == 3)
            #expect(loader.scoped("encoder.layer.0.").contains("attention.query.bias"))
            #expect(try loader.scoped("encoder.layer.0.attention.").tensor("query.bias").shape == [4])
            #expect(try loader.int64s("embeddings.position_ids", shape: [1, 4]) == [0, 1, 2, 3])
            loader.ignore(prefix: "pooler.")
            #expect(loader.unusedNames.isEmpty)
            try loader.finish()
        }
    }

    @Test func missingTensorNamesItAndTheExpectedShape() throws {
        try withCheckpoint { url in
            let loader = try StrictLoader(url: url)
            expectError(.missingTensor, mentioning: [
                "encoder.safetensors", "'encoder.layer.0.attention.qurey.weight'", "[384, 384]",
                "'encoder.layer.0.attention.query.weight'",  // sibling hint exposes the typo
            ]) {
                _ = try loader.tensor("encoder.layer.0.attention.qurey.weight", shape: [384, 384])
            }
            expectError(.missingTensor, mentioning: ["'encoder.layer.7.output.weight'"]) {
                _ = try loader.scoped("encoder.layer.7.").tensor("output.weight")
            }
        }
    }

    @Test func nonFiniteWeightsNameTheTensorAndElement() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write([
                .tensor("ok", Tensor([1, 2, 3], shape: [3])),
                .tensor("bad", Tensor([1, 2, .nan, 4], shape: [4])),
                .tensor("inf", Tensor([-.infinity], shape: [1]), as: .f16),
            ], to: url)
            let loader = try StrictLoader(url: url)
            #expect(try loader.tensor("ok", shape: [3]).scalars == [1, 2, 3])
            expectError(.nonFiniteValues, mentioning: ["model.safetensors", "'bad'", "nan at element 2", "must be finite"]) {
                _ = try loader.tensor("bad", shape: [4])
            }
            expectError(.nonFiniteValues, mentioning: ["'inf'", "-inf at element 0"]) { _ = try loader.tensor("inf") }
        }
    }

    @Test func misShapedTensorNamesBothShapes() throws {
        try withCheckpoint { url in
            let loader = try StrictLoader(url: url)
            let error = expectError(.shapeMismatch, mentioning: [
                "encoder.safetensors", "'encoder.layer.0.attention.query.weight'", "shape [4, 4]", "expected [384, 384]",
            ]) {
                _ = try loader.tensor("encoder.layer.0.attention.query.weight", shape: [384, 384])
            }
            #expect(error?.tensorNames == ["encoder.layer.0.attention.query.weight"])
            expectError(.shapeMismatch, mentioning: ["'embeddings.position_ids'", "[1, 4]", "expected [4]"]) {
                _ = try loader.int64s("embeddings.position_ids", shape: [4])
            }
            // A failed request does not count as a use.
            #expect(loader.unusedNames.contains("encoder.layer.0.attention.query.weight"))
        }
    }

    @Test func finishNamesEveryUnusedTensor() throws {
        try withCheckpoint { url in
            let loader = try StrictLoader(url: url)
            _ = try loader.tensor("encoder.layer.0.attention.query.weight", shape: [4, 4])
            _ = try loader.int64s("embeddings.position_ids")
            let unused = ["encoder.layer.0.attention.query.bias", "encoder.layer.3.attention.key.weight", "pooler.dense.weight"]
            let error = expectError(.unusedTensors, mentioning: ["encoder.safetensors", "3 tensors were never used"] + unused.map { "'\($0)'" }) {
                try loader.finish()
            }
            #expect(Set(error?.tensorNames ?? []) == Set(unused))
            #expect(error?.description.contains("query.weight") == false)
            loader.ignore("pooler.dense.weight")
            loader.scoped("encoder.layer.3.").ignore("attention.key.weight")
            expectError(.unusedTensors, mentioning: ["1 tensor was never used", "'encoder.layer.0.attention.query.bias'"]) {
                try loader.finish()
            }
        }
    }

    @Test func parallelLoadsAreTracked() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("many.safetensors")
            try SafetensorsWriter.write((0..<64).map { ("layer.\($0).weight", Tensor(repeating: Float($0), shape: [8])) }, to: url)
            let loader = try StrictLoader(url: url)
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 64) { i in
                do {
                    let t = try loader.scoped("layer.\(i).").tensor("weight", shape: [8])
                    if t.scalars != Array(repeating: Float(i), count: 8) { failures.add("values of layer \(i)") }
                } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty)
            try loader.finish()
        }
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
