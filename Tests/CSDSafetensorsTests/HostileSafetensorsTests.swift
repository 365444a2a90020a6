import CSDSafetensors
import CSDTensor
import CSDTestSupport
import Foundation
import Testing

/// The safetensors reader against damaged variants of a small checkpoint (header length, JSON
/// header, offsets, data): each one either reads in full or is a `SafetensorsError` naming the
/// file; truncations must fail. Each case stays within `MemoryBound`.
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
            let damaged = dir.appendingPathComponent("damaged.safetensors")
            let report = HostileCorpus.failures(variants) { variant in
                do {
                    try Data(variant.bytes).write(to: damaged)
                    let checkpoint = try Safetensors.open(damaged)
                    for name in checkpoint.names where name != "ids" { _ = try checkpoint.tensor(name) }
                    return variant.mustFail ? "\(variant.name): read without an error" : nil
                } catch let error as SafetensorsError {
                    return variant.name == "undamaged" || error.path != damaged.path ? "\(variant.name): \(error)" : nil
                } catch {
                    return "\(variant.name): not a SafetensorsError: \(error)"
                }
            }
            #expect(report == nil, "\(report ?? "")")
        }
    }
}
