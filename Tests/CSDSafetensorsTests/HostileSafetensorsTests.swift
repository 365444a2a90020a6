import CSDSafetensors
import CSDTensor
import CSDTestSupport
import Foundation
import Testing

/// The safetensors reader against damaged variants of a small checkpoint (header length, JSON
/// header, offsets, data): each one either reads in full or is a `SafetensorsError` naming the
/// file; truncations must fail.
@Suite struct HostileSafetensorsTests {
    @Test func everyDamagedVariantIsAClearError() throws {
        try withTemporaryDirectory { dir in
            let valid = dir.appendingPathComponent("valid.safetensors")
            try SafetensorsWriter.write([
                .tensor("a.weight", Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])),
                .tensor("a.bias", Tensor([0.5, -0.5], shape: [2]), as: .f16),
                .int64("ids", [0, 1, 2], shape: [3]),
            ], to: valid)
            let original = [UInt8](try Data(contentsOf: valid))
            let header = 8 + Int(original[0]) + Int(original[1]) << 8
            let variants = [HostileCorpus.Variant(name: "undamaged", bytes: original, mustFail: false)]
                + HostileCorpus.variants(of: original, header: header)
            var failures: [String] = []
            let damaged = dir.appendingPathComponent("damaged.safetensors")
            for variant in variants {
                try Data(variant.bytes).write(to: damaged)
                do {
                    let checkpoint = try Safetensors.open(damaged)
                    for name in checkpoint.names where name != "ids" { _ = try checkpoint.tensor(name) }
                    if variant.mustFail { failures.append("\(variant.name): read without an error") }
                } catch let error as SafetensorsError {
                    if variant.name == "undamaged" || error.path != damaged.path {
                        failures.append("\(variant.name): \(error)")
                    }
                } catch {
                    failures.append("\(variant.name): not a SafetensorsError: \(error)")
                }
            }
            let report = "\(failures.count) of \(variants.count) variants:\n" + failures.prefix(8).joined(separator: "\n")
            #expect(failures.isEmpty, "\(report)")
        }
    }
}
