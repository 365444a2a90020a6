import CSDImage

/// MNIST-format data sets (IDX files in one folder): `mnist`, `fashion-mnist`, and any other set
/// distributed the same way. Splits `train` and `test` (`t10k-*`).
public struct IDXDataset: Dataset {
    public let id: String
    public let root: String
    public let classNames: [String]
    public let fingerprint: String
    private let splits: [String: IDXSplit]
    public var splitNames: [String] { ["train", "test"].filter { splits[$0] != nil } }

    public static let mnistClasses = (0..<10).map(String.init)
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                             "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Opens `root`, which must hold at least the train or the test pair of files.
    public init(root: String, id: String = "mnist", classNames: [String] = IDXDataset.mnistClasses) throws {
        guard directoryExists(root) else { throw DatasetError(file: root, "not a folder (expected the IDX files of \(id))") }
        self.id = id
        self.root = root
        self.classNames = classNames
        var splits: [String: IDXSplit] = [:]
        var files: [String] = []
        for (split, prefix) in [("train", "train"), ("test", "t10k")] {
            let images = IDXDataset.locate(root, prefix: prefix, kind: "images", rank: 3)
            let labels = IDXDataset.locate(root, prefix: prefix, kind: "labels", rank: 1)
            switch (images, labels) {
            case (nil, nil):
                continue
            case let (images?, labels?):
                splits[split] = try IDXSplit(name: split, imagesPath: images, labelsPath: labels, classNames: classNames)
                files += [images, labels]
            case (nil, _?):
                throw DatasetError(file: root, "\(split) labels found but no \(prefix)-images-idx3-ubyte[.gz]")
            case (_?, nil):
                throw DatasetError(file: root, "\(split) images found but no \(prefix)-labels-idx1-ubyte[.gz]")
            }
        }
        guard !splits.isEmpty else {
            throw DatasetError(file: root, "no IDX files (looked for train-images-idx3-ubyte, train-images.idx3-ubyte, t10k-images-idx3-ubyte, each optionally .gz)")
        }
        self.splits = splits
        fingerprint = try Fingerprint.files(files)
    }

    /// Both spellings (`train-images-idx3-ubyte`, `train-images.idx3-ubyte`), plain before `.gz`.
    static func locate(_ root: String, prefix: String, kind: String, rank: Int) -> String? {
        for separator in ["-", "."] {
            for suffix in ["", ".gz"] {
                let path = joinPath(root, "\(prefix)-\(kind)\(separator)idx\(rank)-ubyte\(suffix)")
                if fileExists(path) { return path }
            }
        }
        return nil
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }

    /// The concrete split (the stripes generator reads gray digits through it).
    func idxSplit(_ name: String) throws -> IDXSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }
}

/// One split: an images file (N x H x W) and a labels file (N).
struct IDXSplit: DatasetSplit {
    let name: String
    let images: IDXFile
    let labelsFile: IDXFile
    let classNames: [String]
    var attributeNames: [String] { [] }
    var count: Int { images.dims[0] }
    var height: Int { images.dims[1] }
    var width: Int { images.dims[2] }

    init(name: String, imagesPath: String, labelsPath: String, classNames: [String]) throws {
        self.name = name
        images = try IDXFile(path: imagesPath, expectedRank: 3)
        labelsFile = try IDXFile(path: labelsPath, expectedRank: 1)
        self.classNames = classNames
        guard images.dims[0] == labelsFile.dims[0] else {
            throw DatasetError(file: labelsPath, "\(labelsFile.dims[0]) labels for \(images.dims[0]) images in \(imagesPath)")
        }
        guard images.dims[1] > 0, images.dims[2] > 0 else {
            throw DatasetError(file: imagesPath, "empty image size \(images.dims[1]) x \(images.dims[2])")
        }
    }

    func labels() throws -> [Int] {
        let stream = try labelsFile.openData()
        let bytes = try stream.boundedBytes(count)
        try stream.expectEnd()
        return try bytes.enumerated().map { i, b in
            guard Int(b) < classNames.count else {
                throw DatasetError(file: labelsFile.path, "label \(b) at index \(i) is not below \(classNames.count)")
            }
            return Int(b)
        }
    }

    func reader(range: Range<Int>) throws -> any SampleReader { try grayReader(range: range) }

    func grayReader(range: Range<Int>) throws -> IDXReader {
        try checkRange(range, count: count, split: name, dataset: images.path)
        let labels = try labels()
        let stream = try images.openData()
        try stream.skip(range.lowerBound * height * width)
        return IDXReader(stream: stream, labels: labels, range: range, height: height, width: width,
                         verifyEnd: range.upperBound == count)
    }
}

/// Reads consecutive images from the data stream (gzip streams only move forward).
struct IDXReader: SampleReader {
    let stream: any ByteStream
    let labels: [Int]
    var position: Int
    let end: Int
    let height: Int, width: Int
    let verifyEnd: Bool

    init(stream: any ByteStream, labels: [Int], range: Range<Int>, height: Int, width: Int, verifyEnd: Bool) {
        self.stream = stream
        self.labels = labels
        position = range.lowerBound
        end = range.upperBound
        self.height = height
        self.width = width
        self.verifyEnd = verifyEnd
    }

    mutating func next() throws -> Sample? {
        guard position < end else { return nil }
        let pixels = try stream.bytes(height * width)
        // At the file's last image, the gzip trailer (CRC, length) must check out too.
        if position + 1 == end, verifyEnd { try stream.expectEnd() }
        let image = try Image(height: height, width: width, channels: 1, pixels: pixels)
        let sample = Sample(index: position, image: image, label: labels[position])
        position += 1
        return sample
    }
}
