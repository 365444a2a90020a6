import Foundation

/// A sweep configuration in TOML (the subset a flat configuration needs): `key = value` lines,
/// `[table]` headers, `#` comments, and values that are strings, integers, floats, booleans or
/// one-line arrays of those. Anything else is an error naming the file and line.
public struct ConfigFile: Sendable {
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case string(String), integer(Int), float(Double), boolean(Bool), array([Value])

        /// The value as command-line text: arrays comma-joined.
        public var description: String {
            switch self {
            case .string(let s): return s
            case .integer(let i): return String(i)
            case .float(let d): return String(d)
            case .boolean(let b): return String(b)
            case .array(let a): return a.map(\.description).joined(separator: ",")
            }
        }
    }

    /// Keys as `table.key` (top-level keys without a prefix), in file order.
    public private(set) var entries: [(key: String, value: Value)] = []
    public let path: String

    public subscript(key: String) -> Value? { entries.first { $0.key == key }?.value }

    /// Entries of one table, without the table prefix.
    public func table(_ name: String) -> [(key: String, value: Value)] {
        entries.filter { $0.key.hasPrefix(name + ".") }.map { (String($0.key.dropFirst(name.count + 1)), $0.value) }
    }

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigFileError(path: path, line: 0, "cannot read the file as UTF-8 text")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String) throws {
        self.path = path
        var table = ""
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Self.stripComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fail = { (message: String) in ConfigFileError(path: path, line: number + 1, message) }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw fail("malformed table header '\(line)'") }
                table = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { throw fail("expected key = value, found '\(line)'") }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw fail("invalid key '\(key)'")
            }
            var rest = Substring(line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces))
            let value = try Self.parseValue(&rest, fail: fail)
            guard rest.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("unexpected text after the value: '\(rest)'") }
            let full = table.isEmpty ? key : "\(table).\(key)"
            if self[full] != nil { throw fail("duplicate key '\(full)'") }
            entries.append((full, value))
        }
    }

    static func stripComment(_ line: String) -> String {
        var inString = false, escaped = false
        for (i, c) in line.enumerated() {
            if escaped { escaped = false; continue }
            if c == "\\" && inString { escaped = true; continue }
            if c == "\"" { inString.toggle() }
            if c == "#" && !inString { return String(line.prefix(i)) }
        }
        return line
    }

    static func parseValue(_ s: inout Substring, fail: (String) -> ConfigFileError) throws -> Value {
        s = s.drop { $0 == " " || $0 == "\t" }
        guard let first = s.first else { throw fail("missing value") }
        if first == "\"" {
            s = s.dropFirst()
            var out = ""
            while let c = s.first {
                s = s.dropFirst()
                if c == "\"" { return .string(out) }
                if c == "\\" {
                    guard let e = s.first else { break }
                    s = s.dropFirst()
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    default: throw fail("unsupported escape \\\(e)")
                    }
                } else {
                    out.append(c)
                }
            }
            throw fail("unterminated string")
        }
        if first == "[" {
            s = s.dropFirst()
            var items: [Value] = []
            while true {
                s = s.drop { $0 == " " || $0 == "\t" }
                if s.first == "]" { s = s.dropFirst(); return .array(items) }
                items.append(try parseValue(&s, fail: fail))
                s = s.drop { $0 == " " || $0 == "\t" }
                if s.first == "," { s = s.dropFirst(); continue }
                if s.first == "]" { s = s.dropFirst(); return .array(items) }
                throw fail("expected , or ] in an array")
            }
        }
        let token = s.prefix { $0 != "," && $0 != "]" && $0 != " " && $0 != "\t" }
        s = s.dropFirst(token.count)
        if token == "true" { return .boolean(true) }
        if token == "false" { return .boolean(false) }
        let digits = token.replacingOccurrences(of: "_", with: "")
        if let i = Int(digits) { return .integer(i) }
        if let d = Double(digits) { return .float(d) }
        throw fail("cannot read value '\(token)' (quote strings: \"...\")")
    }
}

public struct ConfigFileError: Error, CustomStringConvertible, Sendable {
    public let path: String, line: Int, message: String
    init(path: String, line: Int, _ message: String) { self.path = path; self.line = line; self.message = message }
    public var description: String { line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)" }
}
