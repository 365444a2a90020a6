import CSDTestSupport
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// A fixture committed under Fixtures/ (written by tools/make_safetensors_fixtures.py).
func fixtureURL(_ relativePath: String) throws -> URL {
    let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return folder.appendingPathComponent(relativePath)
}

/// Equal bit patterns, or both NaN (NaN payloads differ between conversion paths, even in torch).
func sameBits(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

func sameBits(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy(sameBits) }

/// Asserts that `body` throws a `SafetensorsError` of `kind` whose description contains every
/// phrase; returns the error for further checks.
@discardableResult
func expectError(
    _ kind: SafetensorsError.Kind, mentioning phrases: [String],
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> SafetensorsError? {
    do {
        try body()
        Issue.record("expected a \(kind) error, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SafetensorsError {
        #expect(error.kind == kind, "wrong kind: \(error)", sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(error.description.contains(phrase), "'\(phrase)' missing from: \(error)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected SafetensorsError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Raw file bytes: the 8-byte length (or `lengthOverride`), the header text, then `data`.
func rawSafetensors(header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    var out = [UInt8]()
    withUnsafeBytes(of: (lengthOverride ?? UInt64(text.count)).littleEndian) { out.append(contentsOf: $0) }
    return out + text + data
}

func writeBytes(_ bytes: [UInt8], to url: URL) throws {
    try Data(bytes).write(to: url)
}
