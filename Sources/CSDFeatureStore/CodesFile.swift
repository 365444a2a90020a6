import CSDHDF5
import CSDSystem
import CSDTensor
import Foundation

/// `--save-codes` of probe and finetune: one HDF5 file per run, `codes/<run>.h5` next to
/// results.jsonl, readable by h5py. Root attributes `run_id`, `method` and `class_names`; a group per evaluated test split
/// (`home`, then each evaluation domain) holding
/// `content_probabilities` [N, K] float32, `style` [N, S] float32 (csd), `labels` [N] int64,
/// `row` [N] int64 (the row in the domain's test split) and `attributes/<name>` [N] float32.
public enum CodesFile {
    public static let folder = "codes"

    /// The codes of one evaluated test split.
    public struct Domain {
        public let name: String
        public let labels: [Int]
        public let attributes: [String: [Float]]
        /// Class probabilities [N, K].
        public let probabilities: Tensor
        /// csd's style code [N, S], when the heads have one.
        public let style: Tensor?

        public init(name: String, labels: [Int], attributes: [String: [Float]], probabilities: Tensor, style: Tensor?) {
            self.name = name; self.labels = labels; self.attributes = attributes
            self.probabilities = probabilities; self.style = style
        }
    }

    /// `codes/csd_n=10_seed=0_epochs=30.h5` for run `csd|n=10|seed=0|epochs=30` (`|` and `/`
    /// become `_`); a name longer than 150 bytes (finetune's run IDs hold the model path) keeps
    /// its first 100 and adds the FNV-1a hash of the whole run ID.
    public static func url(runID: String, results: URL) -> URL {
        var name = String(runID.map { $0 == "|" || $0 == "/" ? "_" : $0 })
        if name.utf8.count > 150 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in runID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            name = String(decoding: name.utf8.prefix(100), as: UTF8.self) + "-" + String(hash, radix: 16)
        }
        return results.appendingPathComponent(folder).appendingPathComponent(name + ".h5")
    }

    /// Writes the file whole (temporary file, then rename).
    public static func write(_ codes: [Domain], runID: String, method: String, classNames: [String],
                             results: URL) throws {
        let url = url(runID: runID, results: results)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.replace(url) { temporary in
            let file = try HDF5File(creating: temporary.path, mode: .exclusive)
            try file.setAttribute("run_id", .string(runID))
            try file.setAttribute("method", .string(method))
            try file.setAttribute("class_names", .strings(classNames))
            for domain in codes {
                let group = try file.createGroup(domain.name)
                let n = domain.labels.count
                let p = try group.createDataset("content_probabilities", type: .float32, shape: domain.probabilities.shape)
                try p.writeRows(domain.probabilities.scalars, at: 0)
                if let style = domain.style {
                    let s = try group.createDataset("style", type: .float32, shape: style.shape)
                    try s.writeRows(style.scalars, at: 0)
                }
                try group.createDataset("labels", type: .int64, shape: [n]).writeRows(domain.labels.map(Int64.init), at: 0)
                try group.createDataset("row", type: .int64, shape: [n]).writeRows((0..<n).map(Int64.init), at: 0)
                if !domain.attributes.isEmpty {
                    let attributes = try group.createGroup("attributes")
                    for name in domain.attributes.keys.sorted() {
                        try attributes.createDataset(name, type: .float32, shape: [n]).writeRows(domain.attributes[name]!, at: 0)
                    }
                }
            }
            try file.close()
        }
    }
}
