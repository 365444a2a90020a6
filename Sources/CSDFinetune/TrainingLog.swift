import Foundation

/// `<out>/train_log.jsonl`: one line per optimiser step (losses, seconds, peak memory, and for a
/// data-parallel run the ranks and the seconds spent waiting on their reductions). A resumed
/// run appends again from its checkpoint's step: readers keep the last line of each step.
final class TrainingLog {
    let handle: FileHandle

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    func append(_ r: FinetuneTrainer.StepReport) throws {
        let fields: [(String, Any)] = [
            ("step", r.step), ("epoch", r.epoch), ("loss", Double(r.loss)), ("ce", Double(r.ce)),
            ("reconstruction", Double(r.reconstruction)), ("adversarial_content", Double(r.adversarialContent)),
            ("adversarial_style", Double(r.adversarialStyle)), ("discriminator", Double(r.discriminator)),
            ("seconds", r.seconds), ("peak_memory_mib", r.peakMemoryMiB),
            ("planned_peak_mib", r.plannedPeakMiB), ("ranks", r.ranks),
            ("communication_wait_seconds", r.communicationWaitSeconds), ("communicated_bytes", r.communicatedBytes),
            ("update_seconds", r.updateSeconds),
        ]
        let data = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: fields), options: [.sortedKeys])
        try handle.write(contentsOf: data + Data("\n".utf8))
    }
}
