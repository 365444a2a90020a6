import CSDImage
import CSDSystem
import Foundation

/// One labelled image of a split, with its position in the source (the cache's `index`).
public struct Sample: Sendable {
    public let index: Int
    public let image: Image
    public let label: Int
    /// Per-sample values a generator drew (e.g. stripe width, spacing, angle, phase), stored in
    /// the cache next to the tokens. Empty for data read from files.
    public let attributes: [String: Float]

    public init(index: Int, image: Image, label: Int, attributes: [String: Float] = [:]) {
        self.index = index
        self.image = image
        self.label = label
        self.attributes = attributes
    }
}

/// Reads the samples of a range of a split in order. Readers of compressed or sequential formats
/// may only move forward; `next()` returns nil after the range's last sample.
public protocol SampleReader {
    mutating func next() throws -> Sample?
}

/// One split (train, test, extra...) of a data set.
public protocol DatasetSplit: Sendable {
    var name: String { get }
    var count: Int { get }
    /// Class names in label order (labels are 0-based indices into this list).
    var classNames: [String] { get }
    /// Names of the per-sample `attributes` this split produces (same for every sample).
    var attributeNames: [String] { get }
    /// Every label, in sample order (cheap: read without decoding images).
    func labels() throws -> [Int]
    /// A reader over `range` (a sub-range of 0..<count): resuming and sharding start mid-split.
    func reader(range: Range<Int>) throws -> any SampleReader
}

/// A data set opened from `<kind>:<path>` (see `DatasetRegistry`).
public protocol Dataset: Sendable {
    /// Stable identifier recorded in caches, e.g. `mnist` or `folder:<name>`.
    var id: String { get }
    var splitNames: [String] { get }
    func split(_ name: String) throws -> any DatasetSplit
    /// A fingerprint of the source files (sizes and a hash of their first and last bytes) or of
    /// the generator's parameters: a cache built from other data is refused.
    var fingerprint: String { get }
}

/// A data-set problem: names the file (or spec) and what is wrong.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }

    /// A failed system call on the data set's own file, as `cannot <call>: <reason>`.
    init(_ error: SystemCallError) { self.init(file: error.path, "cannot \(error.call): \(error.message)") }
}
