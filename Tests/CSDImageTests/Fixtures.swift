import CSDImage
import CSDTensor
import Foundation
import Testing

/// The reference outputs written by tools/make_image_fixtures.py: `index.json` describes the
/// arrays lying back to back in `data.bin` (little-endian uint8 / float32) and the cases.
struct Fixtures: Decodable, Sendable {
    struct ArrayEntry: Decodable, Sendable {
        var dtype: String
        var shape: [Int]
        var offset: Int
        var bytes: Int
    }

    struct ResizeCase: Decodable, Sendable {
        var image: String
        var interpolation: String
        var height: Int
        var width: Int
        var array: String
    }

    struct ProcessorCase: Decodable, Sendable {
        var name: String
        var preset: String
        var image: String
        var processor: String
        var shortestEdge: Int
        var cropHeight: Int
        var cropWidth: Int
        var pixels: String
        var table: String
        var values: String?
    }

    struct RadioCase: Decodable, Sendable {
        var image: String
        var height: Int
        var width: Int
        var array: String
    }

    var versions: [String: String]
    var images: [String: String]
    var resize: [ResizeCase]
    var processors: [ProcessorCase]
    var radio: [RadioCase]
    var arrays: [String: ArrayEntry]
    var data = Data()

    private enum CodingKeys: String, CodingKey { case versions, images, resize, processors, radio, arrays }

    /// Loaded once; every test reads it, none writes.
    static let shared: Result<Fixtures, Error> = Result {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        var fixtures = try JSONDecoder().decode(
            Fixtures.self, from: Data(contentsOf: folder.appendingPathComponent("index.json")))
        fixtures.data = try Data(contentsOf: folder.appendingPathComponent("data.bin"))
        return fixtures
    }

    static func load() throws -> Fixtures { try shared.get() }

    func entry(_ name: String, dtype: String) throws -> ArrayEntry {
        let e = try #require(arrays[name], "no array \(name) in index.json")
        try #require(e.dtype == dtype, "\(name) is \(e.dtype), expected \(dtype)")
        try #require(e.offset + e.bytes <= data.count, "\(name) runs past data.bin")
        return e
    }

    func bytes(_ name: String) throws -> [UInt8] {
        let e = try entry(name, dtype: "uint8")
        return [UInt8](data[e.offset..<(e.offset + e.bytes)])
    }

    func floats(_ name: String) throws -> [Float] {
        let e = try entry(name, dtype: "float32")
        return data[e.offset..<(e.offset + e.bytes)].withUnsafeBytes { raw in
            (0..<(e.bytes / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    func shape(_ name: String) throws -> [Int] { try #require(arrays[name]).shape }

    /// An HWC uint8 array as an `Image`.
    func image(array name: String) throws -> Image {
        let s = try shape(name)
        try #require(s.count == 3)
        return try Image(height: s[0], width: s[1], channels: s[2], pixels: bytes(name))
    }

    func image(named name: String) throws -> Image {
        try image(array: #require(images[name], "no image \(name)"))
    }
}

/// Largest absolute difference, and where it is.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> (value: Float, index: Int) {
    precondition(a.count == b.count)
    var worst: (Float, Int) = (0, -1)
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if !(d <= worst.0) { worst = (d, i) }  // NaN counts as the worst
    }
    return worst
}

/// Index of the first differing byte, or nil.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    a.count == b.count ? a.indices.first { a[$0] != b[$0] } : min(a.count, b.count)
}

extension Interpolation {
    init(fixture name: String) throws {
        self = try #require(Interpolation(rawValue: name), "unknown interpolation \(name)")
    }
}
