import CSDImage

/// NumPy arrays: uint8 images N x H x W or N x H x W x C (C = 1 or 3; 2 and 4 have their alpha
/// dropped) and integer labels N (or N x 1), memory-mapped.
///
/// `npy:<images.npy>,<labels.npy>` is one split, `train`; `npy:<folder>` reads
/// `train_images.npy`/`train_labels.npy` and `test_images.npy`/`test_labels.npy`. Class names are
/// `0`...`K-1` (K = largest label + 1 over all splits) unless given.
public struct NPYDataset: Dataset {
    public let id: String
    public let classNames: [String]
    public let fingerprint: String
    public let splitNames: [String]
    private let splits: [String: NPYSplit]
    private let location: String

    /// `pairs`: per split, the images and labels files.
    public init(splits pairs: [(name: String, images: String, labels: String)], id: String, classNames: [String]? = nil) throws {
        precondition(!pairs.isEmpty)
        self.id = id
        location = pairs[0].images
        var loaded: [(String, NPYArray, [Int])] = []
        var maxLabel = -1
        for (name, imagesPath, labelsPath) in pairs {
            let images = try NPYArray(path: imagesPath)
            try images.requireUInt8()
            let shape = images.shape
            guard shape.count == 3 || (shape.count == 4 && (1...4).contains(shape[3])), shape[1] > 0, shape[2] > 0 else {
                throw DatasetError(file: imagesPath, "images must be N x H x W or N x H x W x C with C in 1...4, shape is \(shape)")
            }
            let labelArray = try NPYArray(path: labelsPath)
            guard labelArray.shape.count == 1 || (labelArray.shape.count == 2 && labelArray.shape[1] == 1) else {
                throw DatasetError(file: labelsPath, "labels must have shape (N,) or (N, 1), shape is \(labelArray.shape)")
            }
            guard labelArray.shape[0] == shape[0] else {
                throw DatasetError(file: labelsPath, "\(labelArray.shape[0]) labels for \(shape[0]) images in \(imagesPath)")
            }
            let labels = try labelArray.integers()
            if let i = labels.firstIndex(where: { $0 < 0 }) {
                throw DatasetError(file: labelsPath, "negative label \(labels[i]) at index \(i)")
            }
            maxLabel = max(maxLabel, labels.max() ?? -1)
            loaded.append((name, images, labels))
        }
        if classNames == nil { try Self.requireEveryClassPresent(loaded.map(\.2), files: pairs.map(\.labels)) }
        if let classNames {
            guard maxLabel < classNames.count else {
                throw DatasetError(file: id, "label \(maxLabel) needs more than the \(classNames.count) class names given")
            }
            self.classNames = classNames
        } else {
            self.classNames = (0...max(maxLabel, 0)).map(String.init)
        }
        var splits: [String: NPYSplit] = [:]
        for (name, images, labels) in loaded {
            splits[name] = NPYSplit(name: name, images: images, labelList: labels, classNames: self.classNames)
        }
        self.splits = splits
        splitNames = pairs.map(\.name)
        fingerprint = try Fingerprint.files(pairs.flatMap { [$0.images, $0.labels] })
    }

    /// Without class names the class count is the largest label + 1; that is only plausible when
    /// every class below it occurs (a stray 99 among 0...9 would make 90 empty classes, and a
    /// corrupt 2^62 an impossible count), so a gap is an error naming the file of the largest label.
    static func requireEveryClassPresent(_ labelLists: [[Int]], files: [String]) throws {
        var present = Set<Int>()
        for labels in labelLists { present.formUnion(labels) }
        guard let largest = present.max(), present.count != largest + 1 else { return }
        let file = zip(labelLists, files).first { $0.0.contains(largest) }!.1
        let missing = (0..<largest).first { !present.contains($0) }!
        throw DatasetError(file: file, "the largest label is \(largest) but only \(present.count) distinct labels occur "
                           + "(class \(missing) has no sample), so the class count cannot be \(largest + 1); "
                           + "fix the labels or name the classes with classes=<name,name,...>")
    }

    /// Opens `<images.npy>,<labels.npy>` or a folder of `<split>_images.npy`/`<split>_labels.npy`.
    public init(path: String, classNames: [String]? = nil) throws {
        let parts = path.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 {
            try self.init(splits: [("train", parts[0], parts[1])], id: "npy:" + lastComponent(parts[0]), classNames: classNames)
            return
        }
        guard parts.count == 1, directoryExists(path) else {
            throw DatasetError(file: path, "expected <images.npy>,<labels.npy> or a folder with train_images.npy and train_labels.npy")
        }
        var pairs: [(String, String, String)] = []
        for split in ["train", "test"] {
            let images = joinPath(path, "\(split)_images.npy"), labels = joinPath(path, "\(split)_labels.npy")
            switch (fileExists(images), fileExists(labels)) {
            case (true, true): pairs.append((split, images, labels))
            case (false, false): continue
            case (true, false): throw DatasetError(file: labels, "missing (\(split)_images.npy is present)")
            case (false, true): throw DatasetError(file: images, "missing (\(split)_labels.npy is present)")
            }
        }
        guard !pairs.isEmpty else { throw DatasetError(file: path, "no train_images.npy/train_labels.npy or test_images.npy/test_labels.npy") }
        try self.init(splits: pairs, id: "npy:" + lastComponent(path), classNames: classNames)
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: location, available: splitNames) }
        return split
    }
}

struct NPYSplit: DatasetSplit {
    let name: String
    let images: NPYArray
    let labelList: [Int]
    let classNames: [String]
    var count: Int { labelList.count }
    var attributeNames: [String] { [] }

    func labels() throws -> [Int] { labelList }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: images.path)
        let shape = images.shape
        let (h, w, stored) = (shape[1], shape[2], shape.count == 4 ? shape[3] : 1)
        let channels = stored <= 2 ? 1 : 3
        let imageBytes = h * w * stored
        return IndexedSampleReader(range: range) { [images, labelList] index in
            let pixels = images.file.withBytes(offset: images.header.dataOffset + index * imageBytes, count: imageBytes) { raw in
                stored == channels ? Array(raw) : (0..<h * w * channels).map { raw[($0 / channels) * stored + $0 % channels] }
            }
            return Sample(index: index, image: try Image(height: h, width: w, channels: channels, pixels: pixels),
                          label: labelList[index])
        }
    }
}
