import ArgumentParser
import Foundation

// Parsers of one option value each, shared by the flags (as `transform:`) and the config file
// (`ConfigResolver`), so a value means the same wherever it is written. Each throws a
// `ValidationError` that quotes the offending text; ArgumentParser adds the flag's name, the
// resolver the file and key.

/// Comma-separated lists, as every list option takes them: `10,25,all`, `0,1,2`, `csd,knn`.
public enum CommaList {
    /// Items are trimmed of spaces; an empty list or an empty item is an error.
    @Sendable public static func parse<T>(_ text: String, _ item: (String) throws -> T) throws -> [T] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.allSatisfy(\.isEmpty) else { throw ValidationError("expected a comma-separated list, got '\(text)'") }
        guard !items.contains(where: \.isEmpty) else { throw ValidationError("empty item in '\(text)'") }
        return try items.map(item)
    }
}

/// A whole number with a lower bound: counts, seeds, epochs.
public enum Count {
    @Sendable public static func parse(_ text: String, atLeast minimum: Int) throws -> Int {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= minimum else {
            throw ValidationError("'\(text)' is not an integer >= \(minimum)")
        }
        return n
    }

    /// `0,1,2`: each at least `minimum`.
    @Sendable public static func parseList(_ text: String, atLeast minimum: Int) throws -> [Int] {
        try CommaList.parse(text) { try parse($0, atLeast: minimum) }
    }
}

/// One of an enumeration's raw values (a method, a token kind): the error lists them all.
public enum Choice {
    @Sendable public static func parse<T: CaseIterable & RawRepresentable>(_ text: String, as _: T.Type) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw ValidationError("'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    @Sendable public static func parseList<T: CaseIterable & RawRepresentable>(_ text: String, as type: T.Type) throws -> [T]
    where T.RawValue == String {
        try CommaList.parse(text) { try parse($0, as: type) }
    }
}

/// A labeled-sample count: a positive number, or `all` (the whole train split: `count` nil).
public struct LabelCount: Equatable, Sendable, CustomStringConvertible {
    public let count: Int?

    public init(_ count: Int?) { self.count = count }

    public static let all = LabelCount(nil)

    @Sendable public static func parse(_ text: String) throws -> LabelCount {
        if text == "all" { return .all }
        guard let n = Int(text), n > 0 else { throw ValidationError("'\(text)' is not a positive count or all") }
        return LabelCount(n)
    }

    /// `10,25,all` -> [10, 25, nil], as the libraries take a list of counts.
    @Sendable public static func parseList(_ text: String) throws -> [Int?] {
        try CommaList.parse(text) { try parse($0).count }
    }

    public var description: String { count.map(String.init) ?? "all" }
}

/// `auto` or a count >= 0 (`--validation-per-class`): `auto` leaves the choice to the
/// library, once the data's size is known.
public enum CountOrAuto: Equatable, Sendable, CustomStringConvertible {
    case auto
    case count(Int)

    @Sendable public static func parse(_ text: String) throws -> CountOrAuto {
        if text == "auto" { return .auto }
        guard let n = Int(text), n >= 0 else { throw ValidationError("'\(text)' is not auto or a count >= 0") }
        return .count(n)
    }

    /// The count, or `auto()` for `auto`.
    public func resolved(auto: () throws -> Int) rethrows -> Int {
        switch self {
        case .auto: return try auto()
        case .count(let n): return n
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .count(let n): return String(n)
        }
    }
}

extension CountOrAuto {
    /// The count, or nil for `auto` (a library's "decide for me").
    public var value: Int? {
        if case .count(let n) = self { return n }
        return nil
    }
}

/// `auto`, `on` or `off` (also true/false): a switch the tool may decide itself.
public enum SwitchOrAuto: String, Equatable, Sendable, CustomStringConvertible {
    case auto, on, off

    @Sendable public static func parse(_ text: String) throws -> SwitchOrAuto {
        switch text {
        case "auto": return .auto
        case "on", "true": return .on
        case "off", "false": return .off
        default: throw ValidationError("'\(text)' is not auto, on or off")
        }
    }

    /// nil for `auto`.
    public var value: Bool? { self == .auto ? nil : self == .on }
    public var description: String { rawValue }
}
