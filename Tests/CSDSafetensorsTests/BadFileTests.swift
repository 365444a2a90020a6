import CSDTestSupport
import CSDSafetensors
import Foundation
import Testing

/// Malformed files, built here byte by byte: each must give a precise error naming the file,
/// and none may crash.
@Suite struct BadFileTests {
    /// Writes `bytes` as `<name>.safetensors` in a fresh folder and opens it.
    func open(_ bytes: [UInt8], name: String) throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("\(name).safetensors")
            try writeBytes(bytes, to: url)
            _ = try SafetensorsFile(url: url)
        }
    }

    func f32(_ name: String, shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
    }

    @Test func fileShorterThanLengthPrefix() {
        expectError(.fileTooShort, mentioning: ["tiny.safetensors", "5 bytes", "shorter than the 8-byte"]) {
            try open([1, 2, 3, 4, 5], name: "tiny")
        }
        expectError(.fileTooShort, mentioning: ["empty.safetensors", "0 bytes"]) { try open([], name: "empty") }
    }

    @Test func truncatedData() throws {
        let good = try SafetensorsWriter.serialize([.tensor("a", .init([1, 2], shape: [2])), .tensor("b", .init([3, 4], shape: [2]))])
        expectError(.offsetsOutOfRange, mentioning: ["cut.safetensors", "'b'", "truncated"]) {
            try open(Array(good.dropLast(3)), name: "cut")
        }
        expectError(.headerLengthExceedsFile, mentioning: ["cut-header.safetensors", "exceeds the file size"]) {
            try open(Array(good.prefix(20)), name: "cut-header")
        }
    }

    @Test func headerLengthLies() {
        let bytes = rawSafetensors(header: "{}", data: [], lengthOverride: 1000)
        expectError(.headerLengthExceedsFile, mentioning: ["liar.safetensors", "header length 1000", "10 bytes"]) {
            try open(bytes, name: "liar")
        }
        expectError(.headerTooLarge, mentioning: ["huge.safetensors", "limit"]) {
            try open(rawSafetensors(header: "{}", data: [], lengthOverride: 1 << 40), name: "huge")
        }
        expectError(.headerTooLarge, mentioning: ["max.safetensors"]) {
            try open(rawSafetensors(header: "{}", data: [], lengthOverride: .max), name: "max")
        }
    }

    @Test func dataOffsetsBeyondEnd() {
        let header = "{" + f32("a", shape: [2], 0, 8) + "," + f32("b", shape: [4], 8, 24) + "}"
        expectError(.offsetsOutOfRange, mentioning: ["beyond.safetensors", "'b'", "[8, 24]", "16 bytes"]) {
            try open(rawSafetensors(header: header, data: Array(repeating: 0, count: 16)), name: "beyond")
        }
    }

    @Test func overlappingOffsets() {
        let header = "{" + f32("first", shape: [4], 0, 16) + "," + f32("second", shape: [4], 8, 24) + "}"
        expectError(.overlappingOffsets, mentioning: ["overlap.safetensors", "'first'", "'second'", "overlapping"]) {
            try open(rawSafetensors(header: header, data: Array(repeating: 0, count: 24)), name: "overlap")
        }
        // Same span twice (aliasing) is an overlap too.
        let twice = "{" + f32("x", shape: [2], 0, 8) + "," + f32("y", shape: [2], 0, 8) + "}"
        expectError(.overlappingOffsets, mentioning: ["alias.safetensors", "'x'", "'y'"]) {
            try open(rawSafetensors(header: twice, data: Array(repeating: 0, count: 8)), name: "alias")
        }
    }

    @Test func gapsAndTrailingBytesAreRejectedLikeTheReference() {
        let gap = "{" + f32("a", shape: [2], 0, 8) + "," + f32("b", shape: [2], 12, 20) + "}"
        expectError(.gapInData, mentioning: ["gap.safetensors", "[8, 12)", "'b'"]) {
            try open(rawSafetensors(header: gap, data: Array(repeating: 0, count: 20)), name: "gap")
        }
        let trailing = "{" + f32("a", shape: [2], 0, 8) + "}"
        expectError(.trailingData, mentioning: ["trailing.safetensors", "12 bytes", "cover only 8"]) {
            try open(rawSafetensors(header: trailing, data: Array(repeating: 0, count: 12)), name: "trailing")
        }
    }

    @Test func shapeDoesNotMatchByteSpan() {
        let header = "{" + f32("w", shape: [3], 0, 16) + "}"
        expectError(.sizeMismatch, mentioning: ["mismatch.safetensors", "'w'", "[3]", "12 bytes", "span 16 bytes"]) {
            try open(rawSafetensors(header: header, data: Array(repeating: 0, count: 16)), name: "mismatch")
        }
        let overflow = #"{"o":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,0]}}"#
        expectError(.invalidHeader, mentioning: ["overflow.safetensors", "'o'", "overflows"]) {
            try open(rawSafetensors(header: overflow, data: []), name: "overflow")
        }
        let backwards = "{" + f32("r", shape: [0], 8, 0) + "}"
        expectError(.invalidOffsets, mentioning: ["backwards.safetensors", "'r'", "end before"]) {
            try open(rawSafetensors(header: backwards, data: Array(repeating: 0, count: 8)), name: "backwards")
        }
    }

    @Test func headerIsNotJSON() {
        expectError(.invalidJSON, mentioning: ["garbage.safetensors", "not valid JSON"]) {
            try open(rawSafetensors(header: "{not json}", data: []), name: "garbage")
        }
        expectError(.invalidJSON, mentioning: ["blank.safetensors", "not valid JSON"]) {
            try open(rawSafetensors(header: "", data: []), name: "blank")
        }
        expectError(.invalidJSON, mentioning: ["unclosed.safetensors"]) {
            try open(rawSafetensors(header: #"{"a":{"dtype":"F32""#, data: []), name: "unclosed")
        }
        expectError(.invalidJSON, mentioning: ["utf8.safetensors", "UTF-8"]) {
            try open([8, 0, 0, 0, 0, 0, 0, 0] + [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], name: "utf8")  // {"\xFF\xFE":1}
        }
        let deep = "{\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        expectError(.invalidJSON, mentioning: ["deep.safetensors", "nested deeper"]) {
            try open(rawSafetensors(header: deep, data: []), name: "deep")
        }
        expectError(.invalidHeader, mentioning: ["array.safetensors", "not an object"]) {
            try open(rawSafetensors(header: "[1, 2]", data: []), name: "array")
        }
        expectError(.invalidHeader, mentioning: ["meta.safetensors", "__metadata__", "'n'", "not a string"]) {
            try open(rawSafetensors(header: #"{"__metadata__":{"n":1}}"#, data: []), name: "meta")
        }
        expectError(.invalidHeader, mentioning: ["noshape.safetensors", "'a'", "\"shape\""]) {
            try open(rawSafetensors(header: #"{"a":{"dtype":"F32","data_offsets":[0,0]}}"#, data: []), name: "noshape")
        }
        expectError(.invalidHeader, mentioning: ["negative.safetensors", "'a'", "-1"]) {
            try open(rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: []), name: "negative")
        }
        expectError(.invalidHeader, mentioning: ["fraction.safetensors", "'a'", "2.5"]) {
            try open(rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}}"#, data: []), name: "fraction")
        }
        expectError(.duplicateName, mentioning: ["twice.safetensors", "'a'"]) {
            let header = "{" + f32("a", shape: [0], 0, 0) + "," + f32("a", shape: [0], 0, 0) + "}"
            try open(rawSafetensors(header: header, data: []), name: "twice")
        }
    }

    @Test func unknownDType() {
        let header = #"{"q":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}"#
        expectError(.unknownDType, mentioning: ["unknown.safetensors", "'q'", "unknown dtype 'Q7'"]) {
            try open(rawSafetensors(header: header, data: [0]), name: "unknown")
        }
        let subByte = #"{"q":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#
        expectError(.unsupportedDType, mentioning: ["f4.safetensors", "F4"]) {
            try open(rawSafetensors(header: subByte, data: [0]), name: "f4")
        }
    }

    @Test func knownDtypesWithoutFloatConversionFailOnRead() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("fp8.safetensors")
            let header = #"{"e":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#
            try writeBytes(rawSafetensors(header: header, data: [1, 2]), to: url)
            let file = try SafetensorsFile(url: url)
            #expect(try file.info("e").dtype == .f8e4m3)
            expectError(.unsupportedDType, mentioning: ["fp8.safetensors", "'e'", "F8_E4M3"]) { _ = try file.tensor("e") }
            expectError(.missingTensor, mentioning: ["fp8.safetensors", "'nope'"]) { _ = try file.tensor("nope") }
        }
    }

    @Test func missingPathsAndDirectories() throws {
        try withTemporaryDirectory { dir in
            expectError(.io, mentioning: ["absent.safetensors", "cannot open"]) {
                _ = try SafetensorsFile(url: dir.appendingPathComponent("absent.safetensors"))
            }
            expectError(.io, mentioning: [dir.lastPathComponent, "not a regular file"]) {
                _ = try SafetensorsFile(url: dir)
            }
        }
    }

    /// Random corruption of a valid file: every outcome is a clean open or a SafetensorsError.
    @Test func randomCorruptionNeverCrashes() throws {
        let good = try SafetensorsWriter.serialize([
            .tensor("w", .init([1, 2, 3, 4, 5, 6], shape: [2, 3])), .tensor("h", .init([1, 2, 3], shape: [3]), as: .f16),
            .int64("ids", [1, 2]),
        ], metadata: ["k": "v"])
        var rng = SystemRandomNumberGenerator()
        try withTemporaryDirectory { dir in
            for trial in 0..<300 {
                var bytes = good
                switch trial % 3 {
                case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
                case 1:
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        bytes[Int.random(in: 0..<min(bytes.count, 160), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0..<bytes.count, using: &rng))
                }
                let url = dir.appendingPathComponent("fuzz-\(trial).safetensors")
                try writeBytes(bytes, to: url)
                do {
                    let file = try SafetensorsFile(url: url)
                    for name in file.names where file.tensorInfos.first(where: { $0.name == name })!.dtype.convertsToFloat32 {
                        _ = try file.tensor(name)
                    }
                } catch let error as SafetensorsError {
                    #expect(error.description.contains("fuzz-\(trial).safetensors"))
                }
            }
        }
    }
}
