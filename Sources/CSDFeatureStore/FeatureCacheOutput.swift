import CSDSystem
import Foundation

/// Several splits written to one output together (extract's `--split train,test`): one lock
/// for the whole run, a `FeatureCacheWriter` per split, and one final build once every split
/// is journaled. The file at the output therefore only changes when all requested splits are
/// complete: after a failure in a later split it is as before (absent, or the earlier file),
/// and the finished splits wait in their journals, which the same request resumes (a complete
/// journal has nothing left to write).
public final class FeatureCacheOutput {
    public let url: URL
    public let options: FeatureCacheWriter.Options
    private var lock: OutputLock?
    private var writers: [FeatureCacheWriter] = []

    /// Takes the output's lock (`busy` if another process holds it), creating its folder if
    /// needed: a folder that refuses files is `unwritableFolder` here, before any work starts.
    public init(url: URL, options: FeatureCacheWriter.Options = .init()) throws {
        self.url = url
        self.options = options
        lock = try OutputLock(output: url)
    }

    /// The writer of `split` (or of the shard `rowRange` of it), checked and resumed as a
    /// `FeatureCacheWriter` is. Its rows reach the file through `finish()` here, not its own.
    /// Every split of one output has the same provenance.
    public func writer(provenance: CacheProvenance, split: FeatureSplitSpec, rowRange: Range<Int>? = nil) throws -> FeatureCacheWriter {
        guard let lock else { throw FeatureCacheError.invalidRequest(path: url.path, reason: "the output is finished or closed") }
        guard !writers.contains(where: { $0.split.name == split.name }) else {
            throw FeatureCacheError.invalidRequest(path: url.path, reason: "split \"\(split.name)\" is already being written")
        }
        if let other = writers.first, other.provenance != provenance {
            throw FeatureCacheError.provenanceMismatch(path: url.path, differences: provenance.differences(from: other.provenance))
        }
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: split, rowRange: rowRange,
                                            options: options, sharedLock: lock)
        writers.append(writer)
        return writer
    }

    /// The splits whose rows are journaled, waiting for `finish()`.
    public var journaledSplits: [String] {
        writers.filter { !$0.isSplitComplete && $0.committedRows == $0.rowRange.count }.map(\.split.name)
    }

    /// Builds the output once, from the existing file's other splits and every writer's
    /// journal (each must be complete), renames it over the output, then removes the journals
    /// and releases the lock. Nothing is rebuilt when every split was already in the file.
    public func finish() throws {
        let pending = writers.filter { !$0.isSplitComplete }
        if let first = pending.first {
            let splits = try first.keptSplits(excluding: Set(pending.map(\.split.name))) + pending.map { try $0.journaledSplit() }
            try CacheFileBuilder.write(url, provenance: first.provenance, splits: splits, compression: options.compression)
            for writer in pending { try writer.markWritten() }
        }
        close()
    }

    /// Releases the lock without building; every journal stays for the same request to resume.
    public func close() {
        for writer in writers { writer.close() }
        writers = []
        lock?.release()
        lock = nil
    }

    deinit { close() }
}
