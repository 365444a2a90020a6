import Foundation
@testable import CSDResults

/// Plausible sweep rows for the reporting tests: error falls with the label count, csd below
/// supervised when labels are scarce, a little seed noise (deterministic, no RNG).
enum SampleRows {
    static let grid: [Int?] = [10, 25, 50, 100, 250, 500, 1000, nil]
    static let poolSize = 60000

    static func row(method: String, labels: Int?, seed: Int, backbone: String = "probe",
                    options: [String: String] = [:], best: Double? = nil, final: Double? = nil) -> RunResult {
        let n = Double(labels ?? poolSize)
        let base = method == "csd" ? 0.30 * pow(n / 10, -0.55) + 0.015 : 0.55 * pow(n / 10, -0.45) + 0.02
        let shift = backbone == "finetune" ? 0.85 : 1.0
        let noise = Double((seed + Int(n)) % 3 - 1) * 0.08  // relative, -8%, 0 or +8% by seed
        let bestError = best ?? max(0.001, base * shift * (1 + noise))
        let finalError = final ?? bestError + 0.006
        let requested = labels.map(String.init) ?? "all"
        let optionText = options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ",")
        return RunResult(
            runID: "\(backbone)-\(method)-n\(requested)-s\(seed)" + (optionText.isEmpty ? "" : "-" + optionText),
            method: method, labels: labels ?? poolSize, labelsRequested: requested, seed: seed,
            options: options, epochs: 30, finalTestError: finalError, bestTestError: bestError, bestEpoch: 17,
            validationChosenTestError: nil, testErrors: [bestError + 0.05, bestError, finalError],
            wallSeconds: 12.5, toolVersion: "test", cache: [
                "path": "/tmp/cache.h5", "model_id": "facebook/dinov2-small", "dataset_id": "mnist", "token": "cls",
            ],
            subsetFile: "subsets/seed-\(seed).json", trainRows: poolSize, testRows: 10000, backbone: backbone,
            timestamp: "2025-01-01T00:00:00Z")
    }

    /// The full default grid for `methods`, seeds 0, 1, 2.
    static func sweep(methods: [String] = ["csd", "supervised"], backbone: String = "probe") -> [RunResult] {
        methods.flatMap { m in grid.flatMap { n in (0..<3).map { row(method: m, labels: n, seed: $0, backbone: backbone) } } }
    }
}
