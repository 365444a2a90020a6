import CSDTestSupport
@testable import CSDData
import CSDImage
import Foundation
import Testing

/// The fixtures written by tools/make_dataset_fixtures.py and what numpy read from them.
enum Fixtures {
    static let root: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

    static func path(_ relative: String) -> String { root + "/" + relative }

    static let expected: [String: Any] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: path("expected.json")))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func section(_ keys: String...) -> [String: Any] {
        var node: Any = expected
        for key in keys { node = (node as! [String: Any])[key]! }
        return node as! [String: Any]
    }

    /// A split's expected labels and images (all of one size, pixels concatenated).
    static func split(_ keys: String...) -> (labels: [Int], images: [Image]) {
        var node: Any = expected
        for key in keys { node = (node as! [String: Any])[key]! }
        let entry = node as! [String: Any]
        let labels = entry["labels"] as! [Int]
        let (h, w, c) = (entry["height"] as! Int, entry["width"] as! Int, entry["channels"] as! Int)
        let bytes = bytes(entry["pixels"] as! String)
        let size = h * w * c
        let images = (0..<labels.count).map { i in
            try! Image(height: h, width: w, channels: c, pixels: Array(bytes[i * size..<(i + 1) * size]))
        }
        return (labels, images)
    }

    static func bytes(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64)!) }

    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"
    static var hasFashionMNIST: Bool {
        FileManager.default.fileExists(atPath: fashionMNIST + "/train-images-idx3-ubyte.gz")
    }
}

extension TemporaryFolder {

    /// Copies a fixture file or folder in; returns the copy's path.
    @discardableResult
    func copy(fixture: String, as name: String? = nil) throws -> String {
        let destination = file(name ?? URL(fileURLWithPath: fixture).lastPathComponent)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path(fixture), toPath: destination)
        return destination
    }

    func write(_ bytes: [UInt8], to name: String) throws {
        let destination = file(name)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: destination))
    }
}

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeBytes(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// Rewrites a file through `change`.
func modify(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
    var bytes = try readBytes(path)
    change(&bytes)
    try writeBytes(bytes, path)
}

/// Every sample of `range` (default: the whole split).
func readSamples(_ split: any DatasetSplit, _ range: Range<Int>? = nil) throws -> [Sample] {
    var reader = try split.reader(range: range ?? 0..<split.count)
    var samples: [Sample] = []
    while let sample = try reader.next() { samples.append(sample) }
    return samples
}

func readSamples(_ spec: String, split: String) throws -> [Sample] {
    try readSamples(try DatasetRegistry.open(spec).split(split))
}

/// Expects a `DatasetError` whose message contains every fragment (and whose file ends with
/// `file`, when given).
func expectDatasetError(_ fragments: [String], file: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) {
    let error = #expect(throws: DatasetError.self, sourceLocation: sourceLocation) { try body() }
    guard let error else { return }
    for fragment in fragments {
        #expect(error.message.localizedCaseInsensitiveContains(fragment),
                "'\(error)' lacks '\(fragment)'", sourceLocation: sourceLocation)
    }
    if let file {
        #expect(error.file.hasSuffix(file), "'\(error)' does not name \(file)", sourceLocation: sourceLocation)
    }
}

/// Sub-range readers must give exactly the full read's slice (resuming and sharding rely on it).
func expectRangesMatch(_ split: any DatasetSplit, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let all = try readSamples(split)
    #expect(all.count == split.count, sourceLocation: sourceLocation)
    #expect(all.map(\.index) == Array(0..<split.count), sourceLocation: sourceLocation)
    #expect(all.map(\.label) == (try split.labels()), sourceLocation: sourceLocation)
    let n = split.count
    var ranges = [0..<0, 0..<1, n - 1..<n, 0..<n, n..<n]
    if n > 2 { ranges.append(1..<n - 1) }
    if n >= 9 { ranges.append(5..<9) }
    for range in ranges {
        let part = try readSamples(split, range)
        #expect(part.map(\.index) == Array(range), "range \(range)", sourceLocation: sourceLocation)
        #expect(part.map(\.image) == Array(all[range].map(\.image)), "range \(range)", sourceLocation: sourceLocation)
        #expect(part.map(\.label) == Array(all[range].map(\.label)), "range \(range)", sourceLocation: sourceLocation)
        #expect(part.map(\.attributes) == Array(all[range].map(\.attributes)), "range \(range)", sourceLocation: sourceLocation)
    }
    #expect(throws: DatasetError.self, sourceLocation: sourceLocation) { try split.reader(range: 0..<n + 1) }
    #expect(throws: DatasetError.self, sourceLocation: sourceLocation) { try split.reader(range: -1..<1) }
}
