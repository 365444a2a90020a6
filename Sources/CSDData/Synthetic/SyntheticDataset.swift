import CSDImage
import CSDTensor

/// A data set generated on the fly, no files: the class decides a glyph (content), and colours,
/// placement and background stripes (style) are drawn independently per image and returned as
/// attributes. Deterministic from the seed; any image is produced alone.
///
/// Spec: `synthetic[:?classes=10&train=2000&test=500&size=32&seed=0]`. Labels are balanced:
/// each block of `classes` consecutive indices holds every class once, in a seeded order.
public struct SyntheticDataset: Dataset {
    public struct Options: Sendable, Equatable {
        public var classes = 10
        public var train = 2000
        public var test = 500
        public var size = 32
        public var seed: UInt64 = 0
        public init() {}

        static let keys = ["classes", "train", "test", "size", "seed"]

        init(parsing options: inout SpecOptions) throws {
            classes = try options.int("classes", default: 10, in: 2...SyntheticGlyphs.names.count)
            train = try options.int("train", default: 2000, in: 1...100_000_000)
            test = try options.int("test", default: 500, in: 0...100_000_000)
            size = try options.int("size", default: 32, in: 8...1024)
            seed = try options.seed()
        }
    }

    public let options: Options
    public var id: String { "synthetic" }
    public var splitNames: [String] { options.test > 0 ? ["train", "test"] : ["train"] }
    public var classNames: [String] { Array(SyntheticGlyphs.names.prefix(options.classes)) }
    public var fingerprint: String {
        Fingerprint.parameters("synthetic-v1;classes=\(options.classes);train=\(options.train);test=\(options.test);size=\(options.size);seed=\(options.seed)")
    }

    public init(options: Options = Options()) throws {
        guard (2...SyntheticGlyphs.names.count).contains(options.classes), options.train >= 1, options.test >= 0,
              (8...1024).contains(options.size) else {
            throw DatasetError(file: "synthetic", "options out of range: classes 2...10, train >= 1, test >= 0, size 8...1024")
        }
        self.options = options
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard splitNames.contains(name) else { throw unknownSplit(name, dataset: "synthetic", available: splitNames) }
        return SyntheticSplit(name: name, count: name == "train" ? options.train : options.test, options: options,
                              classNames: classNames)
    }
}

struct SyntheticSplit: DatasetSplit {
    let name: String
    let count: Int
    let options: SyntheticDataset.Options
    let classNames: [String]
    var attributeNames: [String] { SyntheticStyle.attributeNames }
    private var tag: UInt64 { Fingerprint.splitTag(name) }

    /// The label of `index`: position `index % K` of block `index / K`'s seeded permutation.
    func label(_ index: Int) -> Int {
        let k = options.classes
        var rng = RandomStream(seed: options.seed &+ 0x9E37_79B9_7F4A_7C15, stream: tag << 32 | UInt64(index / k))
        return rng.permutation(k)[index % k]
    }

    func labels() throws -> [Int] { (0..<count).map(label) }

    func sample(_ index: Int) throws -> Sample {
        var rng = RandomStream(seed: options.seed, stream: tag << 32 | UInt64(index))
        let style = SyntheticStyle.draw(&rng)
        let label = label(index)
        let image = try Image(height: options.size, width: options.size, channels: 3,
                              pixels: style.render(glyph: label, size: options.size))
        return Sample(index: index, image: image, label: label, attributes: style.attributes)
    }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: "synthetic")
        return IndexedSampleReader(range: range, produce: sample)
    }
}
