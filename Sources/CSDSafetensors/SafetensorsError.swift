import Foundation

/// Everything that can go wrong reading, loading or writing safetensors.
///
/// `description` always starts with the file concerned, then says what is wrong, so a log line
/// alone is enough to find the broken checkpoint.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case io
        case fileTooShort
        case headerTooLarge
        case headerLengthExceedsFile
        case invalidJSON
        case invalidHeader
        case unknownDType
        case unsupportedDType
        case sizeMismatch
        case invalidOffsets
        case offsetsOutOfRange
        case overlappingOffsets
        case gapInData
        case trailingData
        case duplicateName
        case missingTensor
        case shapeMismatch
        case dtypeMismatch
        case nonFiniteValues
        case unusedTensors
        case missingShard
        case invalidIndex
        case invalidArgument
    }

    public let kind: Kind
    /// The file (safetensors file or index json) the error is about.
    public let path: String
    /// What is wrong, without the path.
    public let reason: String
    /// Tensors the error is about (e.g. every unused tensor), for callers that want them as data.
    public let tensorNames: [String]

    public init(_ kind: Kind, path: String, _ reason: String, tensorNames: [String] = []) {
        self.kind = kind
        self.path = path
        self.reason = reason
        self.tensorNames = tensorNames
    }

    public var description: String { "\(path): \(reason)" }
}

extension SafetensorsError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Formats a shape the way error messages show it, e.g. `[384, 384]`.
func describe(shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
