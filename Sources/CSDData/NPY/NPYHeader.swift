/// The header of a NumPy `.npy` file (format versions 1, 2 and 3): magic `\x93NUMPY`, version,
/// header length (u16 in v1, u32 in v2/v3), then a Python dict literal with `descr`,
/// `fortran_order` and `shape`.
struct NPYHeader: Sendable {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]
    /// Where the data starts.
    let dataOffset: Int

    /// Byte order ('<', '>', '|' or '=' as written), kind ('u', 'i', 'f', ...) and item size.
    var byteOrder: Character { descr.first.map { "<>|=".contains($0) ? $0 : "|" } ?? "|" }
    var kind: Character? { descr.drop(while: { "<>|=".contains($0) }).first }
    var itemSize: Int? { Int(descr.drop(while: { "<>|=".contains($0) }).dropFirst()) }

    init(input: FileInput) throws {
        let path = input.path
        guard input.size >= 10 else { throw DatasetError(file: path, "file too short (\(input.size) bytes) for a .npy header") }
        let start = try input.bytes(at: 0, count: 10)
        guard start.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw DatasetError(file: path, "wrong magic: not a .npy file")
        }
        let major = start[6]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw DatasetError(file: path, "unsupported .npy format version \(major).\(start[7])")
        }
        guard input.size >= 8 + lengthBytes else { throw DatasetError(file: path, "file too short for the .npy header length") }
        let raw = try input.bytes(at: 8, count: lengthBytes)
        let length = raw.reversed().reduce(0) { $0 << 8 | Int($1) }
        dataOffset = 8 + lengthBytes + length
        guard length <= 1 << 20, dataOffset <= input.size else {
            throw DatasetError(file: path, ".npy header length \(length) runs past the end of the file (\(input.size) bytes)")
        }
        let text = try input.bytes(at: 8 + lengthBytes, count: length)
        guard let header = String(validating: text, as: UTF8.self), major == 3 || text.allSatisfy({ $0 < 0x80 }) else {
            throw DatasetError(file: path, ".npy header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let value: PythonLiteral
        do { value = try PythonLiteral.parse(header) } catch let reason as PythonLiteral.ParseError {
            throw DatasetError(file: path, ".npy header is not a Python dict literal: \(reason.message)")
        }
        guard case .dict(let entries) = value else { throw DatasetError(file: path, ".npy header is not a dict") }
        func entry(_ key: String) throws -> PythonLiteral {
            guard let v = entries.first(where: { $0.0 == key })?.1 else {
                throw DatasetError(file: path, ".npy header lacks '\(key)'")
            }
            return v
        }
        guard case .string(let d) = try entry("descr") else {
            throw DatasetError(file: path, ".npy dtype is structured or not a simple type string")
        }
        guard case .bool(let f) = try entry("fortran_order") else { throw DatasetError(file: path, ".npy fortran_order is not a bool") }
        guard case .tuple(let items) = try entry("shape") else { throw DatasetError(file: path, ".npy shape is not a tuple") }
        var shape: [Int] = []
        for item in items {
            guard case .int(let n) = item, n >= 0 else { throw DatasetError(file: path, ".npy shape holds a non-integer or negative size") }
            shape.append(n)
        }
        descr = d
        fortranOrder = f
        self.shape = shape
    }
}

/// The subset of Python literals `.npy` headers use: dicts, tuples, lists, strings, ints, bools.
indirect enum PythonLiteral: Equatable {
    case dict([(String, PythonLiteral)])
    case tuple([PythonLiteral])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none

    struct ParseError: Error { let message: String }

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case let (.dict(x), .dict(y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        case let (.tuple(x), .tuple(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.none, .none): return true
        default: return false
        }
    }

    static func parse(_ text: String) throws -> PythonLiteral {
        var parser = Parser(chars: Array(text.unicodeScalars))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.position == parser.chars.count else { throw ParseError(message: "trailing characters") }
        return value
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var position = 0

        mutating func skipSpace() {
            while position < chars.count, chars[position].properties.isWhitespace { position += 1 }
        }

        mutating func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard position < chars.count, chars[position] == c else { throw ParseError(message: "expected '\(c)' at \(position)") }
            position += 1
        }

        /// Consumes `c` if it comes next.
        mutating func accept(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            if position < chars.count, chars[position] == c { position += 1; return true }
            return false
        }

        /// Comma-separated items up to `close`, trailing comma allowed.
        mutating func sequence(until close: Unicode.Scalar, _ item: (inout Parser) throws -> Void) throws {
            while !accept(close) {
                try item(&self)
                if !accept(",") {
                    try expect(close)
                    return
                }
            }
        }

        mutating func value() throws -> PythonLiteral {
            skipSpace()
            guard position < chars.count else { throw ParseError(message: "unexpected end") }
            let c = chars[position]
            switch c {
            case "{":
                position += 1
                var entries: [(String, PythonLiteral)] = []
                try sequence(until: "}") { p in
                    guard case .string(let key) = try p.value() else { throw ParseError(message: "dict key is not a string") }
                    try p.expect(":")
                    entries.append((key, try p.value()))
                }
                return .dict(entries)
            case "(", "[":
                position += 1
                var items: [PythonLiteral] = []
                try sequence(until: c == "(" ? ")" : "]") { p in items.append(try p.value()) }
                return .tuple(items)
            case "'", "\"":
                position += 1
                var s = String.UnicodeScalarView()
                while position < chars.count, chars[position] != c {
                    guard chars[position] != "\\" else { throw ParseError(message: "escapes are not supported") }
                    s.append(chars[position])
                    position += 1
                }
                guard position < chars.count else { throw ParseError(message: "unterminated string") }
                position += 1
                return .string(String(s))
            default:
                var word = ""
                while position < chars.count, chars[position].properties.isAlphabetic || ("0"..."9").contains(chars[position]) || chars[position] == "-" {
                    word.unicodeScalars.append(chars[position])
                    position += 1
                }
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default:
                    let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                    guard let n = Int(digits) else { throw ParseError(message: "unexpected '\(word.isEmpty ? String(c) : word)'") }
                    return .int(n)
                }
            }
        }
    }
}
