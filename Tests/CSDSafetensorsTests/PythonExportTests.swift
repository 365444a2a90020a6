import CSDTestSupport
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Tensors that `tools/make_safetensors_fixtures.py --check` expects (see `swift_export_tensors`).
/// Set CSD_SAFETENSORS_EXPORT=/some/file.safetensors to also write them there for that check.
@Suite struct PythonExportTests {
    static let mixed: [Float] = [0.1, -2.5, 65504, 6e-8, 1e5, -0.0]

    static var entries: [SafetensorsEntry] {
        [
            .tensor("weight", Tensor((0..<12).map { Float($0) * 0.25 - 1.5 }, shape: [3, 4])),
            .tensor("scalar", Tensor(scalar: 3.5)),
            .tensor("empty", Tensor(zeros: [0, 5])),
            .tensor("half", Tensor(mixed, shape: [6]), as: .f16),
            .tensor("brain", Tensor(mixed, shape: [6]), as: .bf16),
            .tensor("double", Tensor([0.1, -1e30], shape: [2]), as: .f64),
            .int64("ids", [.min, -1, 0, .max], shape: [2, 2]),
        ]
    }

    @Test func exportForPythonCheck() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("swift-written.safetensors")
            try SafetensorsWriter.write(Self.entries, metadata: ["format": "pt"], to: url)
            let file = try SafetensorsFile(url: url)
            #expect(file.names == ["ids", "double", "empty", "scalar", "weight", "brain", "half"])
            #expect(try file.tensor("half").scalars[4] == .infinity)  // 1e5 overflows F16
            #expect(try file.tensor("weight").scalars.last == 1.25)
        }
        if let path = ProcessInfo.processInfo.environment["CSD_SAFETENSORS_EXPORT"] {
            try SafetensorsWriter.write(Self.entries, metadata: ["format": "pt"], to: URL(fileURLWithPath: path))
        }
    }
}
