import Foundation

/// A run that failed with splits already complete: in a later split (`failedSplit`), or while
/// the final file was built (`failedSplit` nil). The file at the output is unchanged either way
/// (it is only replaced once every split is complete); the error says which splits are kept,
/// so the user knows nothing is lost and that the same command continues.
public struct PartialExtraction: Error, CustomStringConvertible {
    public let underlying: any Error
    public let completeSplits: [String]
    public let failedSplit: String?
    public let output: String

    public var description: String {
        let splits = completeSplits.map { "\"\($0)\"" }.joined(separator: ", ")
            + " split\(completeSplits.count == 1 ? "" : "s")"
        let kept = "\(output) is unchanged; the complete \(splits) \(completeSplits.count == 1 ? "is" : "are") kept"
        guard let failedSplit else {
            return "building \(output) failed: \(underlying). \(kept) in \(completeSplits.count == 1 ? "its journal" : "their journals"); "
                + "once the cause is fixed (e.g. disk space), the same command builds the file without extracting again"
        }
        return "split \"\(failedSplit)\" failed: \(underlying). \(kept); after fixing the cause, the same command "
            + "extracts only the rest (a fix to the data set's files changes its fingerprint: then pass --overwrite)"
    }
}
