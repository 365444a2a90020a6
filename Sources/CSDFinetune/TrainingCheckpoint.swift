import CSDAutograd
import CSDBackbones
import CSDNN
import CSDMethod
import CSDSafetensors
import CSDSystem
import CSDTensor
import Foundation

/// A checkpoint folder `<run>/checkpoints/step-<n>/`:
///   config.json + model.safetensors  the backbone as a model folder (hub layout: `extract
///                                    --model` and `finetune --model` read it directly)
///   heads.safetensors                the content-style heads and the standardisation statistics
///   optimizer.safetensors            Adam/AdamW moments `<group>.<key>.exp_avg|exp_avg_sq|step`
///   state.json                       step, epoch, data order, random streams, errors so far
/// `checkpoints/latest` names the newest complete folder; it is replaced atomically after the
/// folder is complete, so a kill at any moment leaves the previous checkpoint usable.
enum TrainingCheckpoint {
    static let headsFile = "heads.safetensors"
    static let optimizerFile = "optimizer.safetensors"
    static let stateFile = "state.json"

    /// Named parameters of everything an optimiser updates, with the group prefix used in
    /// `optimizer.safetensors`.
    struct NamedOptimizer {
        let name: String
        let optimizer: Adam
        let parameters: [(key: String, variable: Variable)]
    }

    static func write(root: URL, backbone: any Backbone, configJSON: Data, heads: Module, standardization: Standardization,
                      optimizers: [NamedOptimizer], state: TrainingState, keep: Int = 2) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let name = String(format: "step-%08d", state.step)
        let folder = root.appendingPathComponent(name)
        let temporary = root.appendingPathComponent(name + ".partial")
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        try writeModelFolder(temporary, backbone: backbone, configJSON: configJSON)
        try writeHeads(heads, standardization: standardization, to: temporary.appendingPathComponent(headsFile))
        var entries: [SafetensorsEntry] = []
        for o in optimizers {
            for (key, p) in o.parameters {
                guard let m = o.optimizer.moments(of: p) else { continue }
                entries.append(.tensor("\(o.name).\(key).exp_avg", m.m))
                entries.append(.tensor("\(o.name).\(key).exp_avg_sq", m.v))
                entries.append(.int64("\(o.name).\(key).step", [Int64(m.step)]))
            }
        }
        try SafetensorsWriter.write(entries, to: temporary.appendingPathComponent(optimizerFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.replace(temporary.appendingPathComponent(stateFile), with: try encoder.encode(state))
        try? fm.removeItem(at: folder)
        try fm.moveItem(at: temporary, to: folder)
        try AtomicFile.replace(root.appendingPathComponent("latest"), with: Data((name + "\n").utf8))
        // Older checkpoints beyond `keep` go once the new one is in place.
        let steps = try fm.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("step-") && !$0.hasSuffix(".partial") }.sorted()
        for old in steps.dropLast(keep) where old != name { try? fm.removeItem(at: root.appendingPathComponent(old)) }
    }

    /// config.json + model.safetensors of the backbone's current weights (RADIO also gets its
    /// summary indices, which its loader reads from the file).
    static func writeModelFolder(_ folder: URL, backbone: any Backbone, configJSON: Data) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.replace(folder.appendingPathComponent("config.json"), with: configJSON)
        var entries = backbone.stateDict().map { SafetensorsEntry.tensor($0.key, $0.tensor) }
        if let radio = backbone as? RADIOModel {
            entries.append(.int64("radio_model.summary_idxs", radio.config.summaryIndices.map(Int64.init)))
        }
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
    }

    /// The heads' weights with the statistics that standardise their input tokens.
    static func writeHeads(_ heads: Module, standardization: Standardization, to url: URL) throws {
        try SafetensorsWriter.write(heads.stateDict().map { ($0.key, $0.tensor) }
                                    + [("standardize.mean", standardization.mean), ("standardize.std", standardization.std)], to: url)
    }

    /// The newest complete checkpoint folder, if any.
    static func latest(root: URL) throws -> URL? {
        let pointer = root.appendingPathComponent("latest")
        guard FileManager.default.fileExists(atPath: pointer.path) else { return nil }
        let name = try String(contentsOf: pointer, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let folder = root.appendingPathComponent(name)
        guard !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: folder.appendingPathComponent(stateFile).path) else {
            throw CheckpointError(file: pointer.path, "names '\(name)', which is not a complete checkpoint folder")
        }
        return folder
    }

    static func readState(_ folder: URL) throws -> TrainingState {
        let url = folder.appendingPathComponent(stateFile)
        do { return try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: url)) } catch {
            throw CheckpointError(file: url.path, "unreadable training state: \(error)")
        }
    }

    /// Loads heads, statistics and optimiser moments of `folder` into the live objects.
    static func restore(_ folder: URL, heads: Module, optimizers: [NamedOptimizer]) throws -> Standardization {
        let headsURL = folder.appendingPathComponent(headsFile)
        let file = try SafetensorsFile(url: headsURL)
        var state: [String: Tensor] = [:]
        for name in file.names { state[name] = try file.tensor(name) }
        guard let mean = state.removeValue(forKey: "standardize.mean"), let std = state.removeValue(forKey: "standardize.std") else {
            throw CheckpointError(file: headsURL.path, "no standardize.mean / standardize.std")
        }
        do { try heads.load(state) } catch { throw CheckpointError(file: headsURL.path, "\(error)") }
        let optimizerURL = folder.appendingPathComponent(optimizerFile)
        let moments = try SafetensorsFile(url: optimizerURL)
        for o in optimizers {
            for (key, p) in o.parameters where moments.contains("\(o.name).\(key).exp_avg") {
                let m = try moments.tensor("\(o.name).\(key).exp_avg"), v = try moments.tensor("\(o.name).\(key).exp_avg_sq")
                let step = try moments.int64s("\(o.name).\(key).step")
                guard m.shape == p.shape, v.shape == p.shape, step.count == 1 else {
                    throw CheckpointError(file: optimizerURL.path, "moments of \(o.name).\(key) do not match the parameter \(p.shape)")
                }
                o.optimizer.setMoments(for: p, m: m, v: v, step: Int(step[0]))
            }
        }
        return Standardization(mean: mean, std: std)
    }
}

public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}
