import CSDImage

/// MNIST (any IDX folder) with opaque parallel stripes painted over every image:
/// `mnist-white-stripes` (255, 255, 255) and `mnist-yellow-stripes` (255, 165, 79).
/// Per-image parameters are drawn from (seed, split, index) and returned as attributes.
public struct StripedMNISTDataset: Dataset {
    public enum Color: String, Sendable {
        case white, yellow

        public var rgb: (UInt8, UInt8, UInt8) {
            switch self {
            case .white: return (255, 255, 255)
            case .yellow: return (255, 165, 79)
            }
        }
    }

    public let base: IDXDataset
    public let color: Color
    public let options: StripeOptions
    public var id: String { "\(base.id)-\(color.rawValue)-stripes" }
    public var splitNames: [String] { base.splitNames }
    public let fingerprint: String

    public init(base: IDXDataset, color: Color, options: StripeOptions = StripeOptions()) throws {
        try options.validate()
        self.base = base
        self.color = color
        self.options = options
        fingerprint = Fingerprint.parameters("\(base.fingerprint);\(color.rawValue);\(options.canonical)")
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        StripedSplit(base: try base.idxSplit(name), color: color, options: options)
    }
}

struct StripedSplit: DatasetSplit {
    let base: IDXSplit
    let color: StripedMNISTDataset.Color
    let options: StripeOptions
    var name: String { base.name }
    var count: Int { base.count }
    var classNames: [String] { base.classNames }
    var attributeNames: [String] { StripeParameters.attributeNames }

    func labels() throws -> [Int] { try base.labels() }

    func reader(range: Range<Int>) throws -> any SampleReader {
        StripedReader(gray: try base.grayReader(range: range), split: name, color: color, options: options)
    }
}

struct StripedReader: SampleReader {
    var gray: IDXReader
    let split: String
    let color: StripedMNISTDataset.Color
    let options: StripeOptions

    mutating func next() throws -> Sample? {
        guard let sample = try gray.next() else { return nil }
        let stripes = StripeParameters.draw(options: options, split: split, index: sample.index)
        return Sample(index: sample.index, image: try stripes.paint(sample.image, color: color.rgb),
                      label: sample.label, attributes: stripes.attributes)
    }
}
