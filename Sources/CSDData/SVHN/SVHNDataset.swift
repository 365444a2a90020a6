import CSDImage

/// SVHN cropped digits (format 2): `train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`, each a
/// MAT v5 file with `X` (uint8, H x W x C x N, column-major) and `y` (N x 1, 1...10, 10 = digit 0).
/// Images are inflated as they are read, so the 1.6 GB `extra` never sits in memory.
public struct SVHNDataset: Dataset {
    public static let classes = (0..<10).map(String.init)
    static let files = [("train", "train_32x32.mat"), ("test", "test_32x32.mat"), ("extra", "extra_32x32.mat")]

    public let id = "svhn"
    public let root: String
    public let fingerprint: String
    private let splits: [String: SVHNSplit]
    public var splitNames: [String] { SVHNDataset.files.map(\.0).filter { splits[$0] != nil } }

    public init(root: String) throws {
        guard directoryExists(root) else { throw DatasetError(file: root, "not a folder (expected train_32x32.mat, test_32x32.mat)") }
        self.root = root
        var splits: [String: SVHNSplit] = [:]
        var paths: [String] = []
        for (name, file) in SVHNDataset.files where fileExists(joinPath(root, file)) {
            splits[name] = try SVHNSplit(name: name, path: joinPath(root, file))
            paths.append(joinPath(root, file))
        }
        guard !splits.isEmpty else {
            throw DatasetError(file: root, "no SVHN files (train_32x32.mat, test_32x32.mat, extra_32x32.mat)")
        }
        self.splits = splits
        fingerprint = try Fingerprint.files(paths)
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }
}

struct SVHNSplit: DatasetSplit {
    let name: String
    let file: MATFile
    let images: MATVariable
    let targets: MATVariable
    let height: Int, width: Int, channels: Int
    let count: Int
    var classNames: [String] { SVHNDataset.classes }
    var attributeNames: [String] { [] }
    var path: String { file.path }

    init(name: String, path: String) throws {
        self.name = name
        file = try MATFile(path: path)
        images = try file.variable("X")
        targets = try file.variable("y")
        guard images.classID == MATVariable.mxUINT8, images.dataType == MATVariable.miUINT8, !images.isComplex else {
            throw DatasetError(file: path, "variable 'X' must be real uint8 stored as miUINT8 (class \(images.classID), stored type \(images.dataType))")
        }
        // MATLAB drops a trailing singleton dimension: 32 x 32 x 3 is one image.
        let dims = images.dims.count == 3 ? images.dims + [1] : images.dims
        guard dims.count == 4, dims[0] > 0, dims[1] > 0, dims[2] == 1 || dims[2] == 3 else {
            throw DatasetError(file: path, "variable 'X' has dimensions \(images.dims), expected H x W x 3 x N")
        }
        (height, width, channels, count) = (dims[0], dims[1], dims[2], dims[3])
        guard MATVariable.isNumericClass(targets.classID), !targets.isComplex,
              checkedProduct(targets.dims) == count, targets.dims.filter({ $0 != 1 }).count <= 1 else {
            throw DatasetError(file: path, "variable 'y' must be a real numeric N x 1 vector with N = \(count) (dimensions \(targets.dims), class \(targets.classID))")
        }
    }

    func labels() throws -> [Int] {
        try file.doubles(targets).enumerated().map { i, v in
            guard v == v.rounded(), v >= 1, v <= 10 else {
                throw DatasetError(file: path, "y[\(i)] = \(v) is not a digit label 1...10")
            }
            return Int(v) % 10
        }
    }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: path)
        let labels = try labels()
        let stream = try images.openData(try FileInput(path: path))
        let imageBytes = height * width * channels
        try stream.skip(range.lowerBound * imageBytes)
        return SVHNReader(stream: stream, labels: labels, position: range.lowerBound, end: range.upperBound,
                          height: height, width: width, channels: channels,
                          trailingBytes: range.upperBound == count ? images.trailingBytes : nil)
    }
}

/// Inflates `X` image by image and transposes each from column-major planes to HWC.
struct SVHNReader: SampleReader {
    let stream: any ByteStream
    let labels: [Int]
    var position: Int
    let end: Int
    let height: Int, width: Int, channels: Int
    /// Set when the range ends at the last image: the element's end is then verified
    /// (padding, and the zlib checksum of a compressed variable).
    let trailingBytes: Int?

    mutating func next() throws -> Sample? {
        guard position < end else { return nil }
        let (h, w, c) = (height, width, channels)
        let columnMajor = try stream.bytes(h * w * c)
        if position + 1 == end, let trailingBytes { try stream.expectEnd(afterSkipping: trailingBytes) }
        // Element (r, col, ch) sits at r + h * col + h * w * ch.
        var pixels = [UInt8](repeating: 0, count: h * w * c)
        for ch in 0..<c {
            for col in 0..<w {
                for r in 0..<h {
                    pixels[(r * w + col) * c + ch] = columnMajor[r + h * col + h * w * ch]
                }
            }
        }
        let sample = Sample(index: position, image: try Image(height: h, width: w, channels: c, pixels: pixels),
                            label: labels[position])
        position += 1
        return sample
    }
}
