import CSDHDF5
import CSDImage

/// GalaxyMNIST: `train_dataset.hdf5` and `test_dataset.hdf5` (or their `.hdf5.gz`, inflated to a
/// temporary file first), each with `images` (uint8, N x H x W x 3: 64 x 64, or 224 x 224 for
/// the high-resolution release) and `labels` (integers 0...3).
public struct GalaxyMNISTDataset: Dataset {
    public static let classes = ["smooth_round", "smooth_cigar", "edge_on_disk", "unbarred_spiral"]
    static let files = [("train", "train_dataset.hdf5"), ("test", "test_dataset.hdf5")]

    public let id = "galaxymnist"
    public let root: String
    public let fingerprint: String
    public let splitNames: [String]
    private let splits: [String: GalaxySplit]

    /// `temporaryDirectory`: where gzipped files are inflated (default: the system's; the
    /// high-resolution train file needs 1.2 GB there).
    public init(root: String, temporaryDirectory: String? = nil) throws {
        guard directoryExists(root) else { throw DatasetError(file: root, "not a folder (expected train_dataset.hdf5[.gz])") }
        self.root = root
        var splits: [String: GalaxySplit] = [:]
        var names: [String] = [], sources: [String] = []
        for (name, file) in GalaxyMNISTDataset.files {
            let plain = joinPath(root, file), gzipped = plain + ".gz"
            let split: GalaxySplit
            if fileExists(plain) {
                split = try GalaxySplit(name: name, source: plain, copy: nil)
            } else if fileExists(gzipped) {
                split = try GalaxySplit(name: name, source: gzipped, copy: try DecompressedFile(gzip: gzipped, suffix: ".hdf5",
                                                                                   directory: temporaryDirectory))
            } else {
                continue
            }
            splits[name] = split
            names.append(name)
            sources.append(split.source)
        }
        guard !splits.isEmpty else {
            throw DatasetError(file: root, "no GalaxyMNIST files (train_dataset.hdf5, test_dataset.hdf5, optionally .gz)")
        }
        self.splits = splits
        splitNames = names
        fingerprint = try Fingerprint.files(sources)
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }
}

struct GalaxySplit: DatasetSplit {
    let name: String
    /// The file the user named, and the inflated copy read in its place when it was gzipped.
    let source: String
    let copy: DecompressedFile?
    let count: Int
    let height: Int, width: Int
    var classNames: [String] { GalaxyMNISTDataset.classes }
    var attributeNames: [String] { [] }
    private var hdf5Path: String { copy?.path ?? source }

    init(name: String, source: String, copy: DecompressedFile?) throws {
        self.name = name
        self.source = source
        self.copy = copy
        let path = copy?.path ?? source
        let file = try GalaxySplit.hdf5(source) { try HDF5File(opening: path) }
        let images = try GalaxySplit.hdf5(source) { try file.openDataset("images") }
        let labels = try GalaxySplit.hdf5(source) { try file.openDataset("labels") }
        let shape = try GalaxySplit.hdf5(source) { try images.shape }
        guard images.elementType == .uint8, shape.count == 4, shape[1] > 0, shape[2] > 0, shape[3] == 3 else {
            throw DatasetError(file: source, "'images' must be uint8 N x H x W x 3, is \(images.elementType) \(shape)")
        }
        let labelShape = try GalaxySplit.hdf5(source) { try labels.shape }
        guard [.uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64].contains(labels.elementType),
              labelShape.count == 1 || (labelShape.count == 2 && labelShape[1] == 1) else {
            throw DatasetError(file: source, "'labels' must be integers of shape (N,), is \(labels.elementType) \(labelShape)")
        }
        guard labelShape[0] == shape[0] else {
            throw DatasetError(file: source, "\(labelShape[0]) labels for \(shape[0]) images")
        }
        // Before anything is sized by the declared shapes (labels are read whole, images by rows).
        try GalaxySplit.hdf5(source) {
            try images.requireStorageFitsShape()
            try labels.requireStorageFitsShape()
        }
        (count, height, width) = (shape[0], shape[1], shape[2])
    }

    /// HDF5 failures as data-set errors naming the user's file (not a temporary copy).
    static func hdf5<R>(_ source: String, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as HDF5Error {
            throw DatasetError(file: source, "HDF5: \(error.operation) failed: \(error.message)")
        }
    }

    func labels() throws -> [Int] {
        let values = try GalaxySplit.hdf5(source) {
            try HDF5File(opening: hdf5Path).openDataset("labels").read(as: Int64.self)
        }
        return try values.enumerated().map { i, v in
            guard v >= 0, v < Int64(classNames.count) else {
                throw DatasetError(file: source, "label \(v) at index \(i) is not in 0...\(classNames.count - 1)")
            }
            return Int(v)
        }
    }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: source)
        let labels = try labels()
        let images = try GalaxySplit.hdf5(source) { try HDF5File(opening: hdf5Path).openDataset("images") }
        return GalaxyReader(split: self, images: images, labels: labels, position: range.lowerBound, end: range.upperBound)
    }
}

/// Reads rows in batches (whole chunks are inflated once, not once per image).
struct GalaxyReader: SampleReader {
    static let batch = 32
    let split: GalaxySplit
    let images: HDF5Dataset
    let labels: [Int]
    var position: Int
    let end: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0

    init(split: GalaxySplit, images: HDF5Dataset, labels: [Int], position: Int, end: Int) {
        (self.split, self.images, self.labels, self.position, self.end) = (split, images, labels, position, end)
        bufferStart = position
    }

    mutating func next() throws -> Sample? {
        guard position < end else { return nil }
        let imageBytes = split.height * split.width * 3
        if position >= bufferStart + buffer.count / imageBytes {
            let rows = position..<min(end, position + GalaxyReader.batch)
            buffer = try GalaxySplit.hdf5(split.source) { try images.readRows(rows, as: UInt8.self) }
            bufferStart = position
        }
        let offset = (position - bufferStart) * imageBytes
        let image = try Image(height: split.height, width: split.width, channels: 3,
                              pixels: Array(buffer[offset..<offset + imageBytes]))
        let sample = Sample(index: position, image: image, label: labels[position])
        position += 1
        return sample
    }
}
