import CSDData
import CSDImage
import CSDTensor
import Foundation

/// One preprocessed batch, ready for the forward pass.
struct PreparedBatch {
    let pixels: Tensor
    let indices: [Int]
    let labels: [Int]
    let attributes: [String: [Float]]
}

/// Reads and preprocesses the next batches on a background thread while the caller runs the
/// forward pass of the current one (at most `depth` batches wait, so memory stays bounded).
final class BatchPrefetcher: @unchecked Sendable {
    private var queue: [Result<PreparedBatch, Error>?] = []
    private let lock = NSCondition()
    private let depth: Int
    private var finished = false
    private var cancelled = false

    init(reader: any SampleReader, preprocessing: Preprocessing, batchSize: Int, attributeNames: [String], depth: Int = 2) {
        self.depth = depth
        var reader = reader
        let thread = Thread { [self] in
            while true {
                let item: Result<PreparedBatch, Error>?
                do {
                    var images: [Image] = [], indices: [Int] = [], labels: [Int] = []
                    var attributes = Dictionary(uniqueKeysWithValues: attributeNames.map { ($0, [Float]()) })
                    while images.count < batchSize, let sample = try reader.next() {
                        images.append(sample.image)
                        indices.append(sample.index)
                        labels.append(sample.label)
                        for name in attributeNames { attributes[name]!.append(sample.attributes[name] ?? .nan) }
                    }
                    if images.isEmpty {
                        item = nil
                    } else {
                        let pixels = try preprocessing(images)
                        item = .success(PreparedBatch(pixels: pixels, indices: indices, labels: labels, attributes: attributes))
                    }
                } catch {
                    item = .failure(error)
                }
                lock.lock()
                while queue.count >= depth && !cancelled { lock.wait() }
                if cancelled { lock.unlock(); return }
                queue.append(item)
                lock.broadcast()
                lock.unlock()
                if item == nil { return }
                if case .some(.failure) = item { return }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next batch, nil at the end of the range; rethrows a read or preprocessing error.
    func next() throws -> PreparedBatch? {
        if finished { return nil }
        lock.lock()
        while queue.isEmpty { lock.wait() }
        let item = queue.removeFirst()
        lock.broadcast()
        lock.unlock()
        guard let item else { finished = true; return nil }
        return try item.get()
    }

    /// Stops the producer (on an error in the consumer).
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }
}
