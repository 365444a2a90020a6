import CSDData
import CSDImage
import CSDTensor
import Foundation

/// A split's images for batches in any order (training draws random batches; the readers only
/// move forward). The data sets of the paper are small images, held decoded in memory (MNIST's
/// 60000 train images take 47 MB, CIFAR-10's 150 MB); a split whose decoded images would take
/// more than `memoryBudget` is read sample by sample instead (image folders: one file each).
final class ImageBank: @unchecked Sendable {
    let split: any DatasetSplit
    let labels: [Int]
    let preprocessing: Preprocessing
    /// The decoded images, or nil when they are read on demand.
    private let images: [Image]?
    /// The per-row attributes (stripe and synthetic parameters) of a split held in memory, by
    /// name; empty for a split read on demand.
    private(set) var attributes: [String: [Float]] = [:]

    static var memoryBudget: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) / 4 }
    static let note = "its decoded images would exceed a quarter of the memory"

    /// `limit`: only the first rows of the split (quick trials).
    init(split: any DatasetSplit, preprocessing: Preprocessing, limit: Int? = nil,
         memoryBudget: Int = ImageBank.memoryBudget) throws {
        self.split = split
        self.preprocessing = preprocessing
        let count = min(split.count, limit ?? split.count)
        labels = Array(try split.labels().prefix(count))
        var reader = try split.reader(range: 0..<count)
        guard let first = try reader.next() else {
            throw DatasetError(file: split.name, "split '\(split.name)' is empty")
        }
        let estimate = first.image.pixels.count * count
        guard estimate <= memoryBudget else {
            images = nil
            return
        }
        var images = [first.image]
        images.reserveCapacity(count)
        var attributes = first.attributes.mapValues { [$0] }
        while let sample = try reader.next() {
            images.append(sample.image)
            for (name, value) in sample.attributes { attributes[name, default: []].append(value) }
        }
        guard images.count == count else {
            throw DatasetError(file: split.name, "split '\(split.name)' announced \(count) samples but yielded \(images.count)")
        }
        self.images = images
        self.attributes = attributes.filter { $0.value.count == count }
    }

    /// What the decoded images of a split would take in memory (its first image's size times
    /// the rows), read from one sample: the memory plan counts it before anything is loaded.
    static func decodedBytes(split: any DatasetSplit, limit: Int?) throws -> Double {
        let count = min(split.count, limit ?? split.count)
        guard count > 0 else { return 0 }
        var reader = try split.reader(range: 0..<1)
        guard let first = try reader.next() else { return 0 }
        let bytes = Double(first.image.pixels.count * count)
        return bytes <= Double(memoryBudget) ? bytes : 0 // larger splits are read sample by sample
    }

    var count: Int { labels.count }
    var holdsImages: Bool { images != nil }

    /// Preprocessed pixels [rows.count, 3, H, W].
    func pixels(_ rows: [Int]) throws -> Tensor {
        if let images { return try preprocessing(rows.map { images[$0] }) }
        return try preprocessing(rows.map { row -> Image in
            var reader = try split.reader(range: row..<(row + 1))
            guard let sample = try reader.next() else {
                throw DatasetError(file: split.name, "split '\(split.name)' has no sample \(row)")
            }
            return sample.image
        })
    }
}
