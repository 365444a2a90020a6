import Foundation

/// A parsed `<kind>:<path>[?key=value&...]` string.
public struct DatasetSpec: Sendable, Equatable {
    public var kind: String
    /// Empty when the spec has none (`synthetic`, `synthetic:?seed=1`).
    public var path: String
    /// Options in the order written.
    public var options: [(key: String, value: String)]

    public static func == (a: DatasetSpec, b: DatasetSpec) -> Bool {
        a.kind == b.kind && a.path == b.path && a.options.map(\.key) == b.options.map(\.key)
            && a.options.map(\.value) == b.options.map(\.value)
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let kindEnd = trimmed.firstIndex(of: ":") ?? trimmed.endIndex
        kind = String(trimmed[..<kindEnd]).lowercased()
        guard !kind.isEmpty else { throw DatasetError(file: text, "empty data-set kind (expected <kind>:<path>)") }
        let rest = kindEnd < trimmed.endIndex ? trimmed[trimmed.index(after: kindEnd)...] : ""
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        path = String(rest[..<queryStart])
        options = []
        guard queryStart < rest.endIndex else { return }
        for item in rest[rest.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: true) {
            guard let eq = item.firstIndex(of: "=") else {
                throw DatasetError(file: text, "option '\(item)' has no value (expected key=value)")
            }
            let key = String(item[..<eq]).lowercased(), value = String(item[item.index(after: eq)...])
            guard !key.isEmpty else { throw DatasetError(file: text, "option '\(item)' has no name") }
            guard !options.contains(where: { $0.key == key }) else {
                throw DatasetError(file: text, "option '\(key)' given twice")
            }
            options.append((key, value))
        }
    }
}

/// Reads a spec's options, one key at a time, and rejects the keys nobody asked for.
struct SpecOptions {
    let spec: String
    private var values: [String: String]

    init(_ parsed: DatasetSpec, spec: String) {
        self.spec = spec
        values = Dictionary(parsed.options.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func take(_ key: String) -> String? { values.removeValue(forKey: key) }

    mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = take(key) else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw DatasetError(file: spec, "option \(key)=\(text): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    mutating func seed(default value: UInt64 = 0) throws -> UInt64 {
        guard let text = take("seed") else { return value }
        guard let v = UInt64(text) else {
            throw DatasetError(file: spec, "option seed=\(text): expected a non-negative integer")
        }
        return v
    }

    /// One number (a fixed value) or two (`lo,hi`).
    mutating func numbers(_ key: String) throws -> (Double, Double)? {
        guard let text = take(key) else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == parts.count, (1...2).contains(numbers.count), numbers.allSatisfy(\.isFinite) else {
            throw DatasetError(file: spec, "option \(key)=\(text): expected a number or a range lo,hi")
        }
        return numbers.count == 1 ? (numbers[0], numbers[0]) : (numbers[0], numbers[1])
    }

    /// Fails on any option not taken.
    func finish(kind: String, accepted: [String]) throws {
        guard let key = values.keys.sorted().first else { return }
        let list = accepted.isEmpty ? "none" : accepted.joined(separator: ", ")
        throw DatasetError(file: spec, "unknown option '\(key)' for \(kind) (accepted: \(list))")
    }
}

/// Joins a folder and a file name.
func joinPath(_ folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
}

func fileExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}

func directoryExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// The last path component, for data-set ids (`folder:<name>`).
func lastComponent(_ path: String) -> String {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    return String(trimmed.split(separator: "/").last ?? Substring(trimmed))
}
