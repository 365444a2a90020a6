import CSDData
import CSDImage
import CSDTensor
import Foundation

/// A split's images held decoded in memory, for batches in any order (training draws random
/// batches; the readers only move forward). The data sets of the paper are small images:
/// MNIST's 60000 train images take 47 MB, CIFAR-10's 150 MB.
final class ImageBank: @unchecked Sendable {
    let split: String
    let images: [Image]
    let labels: [Int]
    let preprocessing: Preprocessing

    init(split: any DatasetSplit, preprocessing: Preprocessing) throws {
        self.split = split.name
        self.preprocessing = preprocessing
        var reader = try split.reader(range: 0..<split.count)
        var images: [Image] = [], labels: [Int] = []
        images.reserveCapacity(split.count)
        labels.reserveCapacity(split.count)
        while let sample = try reader.next() {
            images.append(sample.image)
            labels.append(sample.label)
        }
        guard images.count == split.count else {
            throw DatasetError(file: split.name, "split '\(split.name)' announced \(split.count) samples but yielded \(images.count)")
        }
        self.images = images
        self.labels = labels
    }

    var count: Int { images.count }

    /// Preprocessed pixels [rows.count, 3, H, W].
    func pixels(_ rows: [Int]) throws -> Tensor {
        try preprocessing(rows.map { images[$0] })
    }
}
