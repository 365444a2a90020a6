import Foundation

/// A split failed after others were finished: the error says which splits the output already
/// holds, so the user knows nothing is lost and that the same command continues.
public struct PartialExtraction: Error, CustomStringConvertible {
    public let underlying: any Error
    public let completeSplits: [String]
    public let failedSplit: String
    public let output: String

    public var description: String {
        "split \"\(failedSplit)\" failed: \(underlying). \(output) already holds the complete "
            + "\(completeSplits.map { "\"\($0)\"" }.joined(separator: ", ")) split\(completeSplits.count == 1 ? "" : "s"); "
            + "after fixing the cause, the same command keeps them and extracts the rest"
    }
}
