import ArgumentParser
import Foundation

/// `--shard k/n`: this process's part of a job split `n` ways. 1-based on the command line
/// (`2/8` is the second of eight), 0-based here, as the libraries take it.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// 0-based: 0 ..< count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ValidationError("n must be at least 1 in k/n, got \(count)") }
        guard (0..<count).contains(index) else {
            throw ValidationError("k must be between 1 and n in k/n, got \(index + 1)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// `k/n`, 1-based, `1 <= k <= n`.
    @Sendable public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw ValidationError("'\(text)' is not k/n (shard k of n, 1-based, e.g. 2/8)")
        }
        return try Shard(index: k - 1, count: n)
    }

    /// 1-based, as the command line writes it.
    public var description: String { "\(index + 1)/\(count)" }

    /// The form the libraries take (`ExtractionRequest.shard`, `SweepPlan.shard`).
    public var pair: (index: Int, count: Int) { (index, count) }
}
