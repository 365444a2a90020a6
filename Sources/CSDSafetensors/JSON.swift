/// A small strict JSON reader and string quoter for safetensors headers and index files.
///
/// Own parser rather than JSONSerialization: it keeps key order, reports duplicate keys, parses
/// integers exactly, bounds nesting depth, and reports the byte offset of any error.
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// Kept as written; callers decide whether it must be an integer.
    case number(String)
    case bool(Bool)
    case null

    /// The value as a non-negative `Int`, if it is an integer literal that fits.
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, let v = Int(text), v >= 0, !text.hasPrefix("-") else { return nil }
        return v
    }

    var kindName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    /// Compact JSON text of this value (used to stringify non-string index metadata).
    var jsonText: String {
        switch self {
        case .object(let members):
            return "{" + members.map { jsonQuoted($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .string(let s): return jsonQuoted(s)
        case .number(let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

struct JSONParseError: Error {
    let message: String
    let offset: Int
    var description: String { "\(message) at byte \(offset)" }
}

struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    private var depth = 0
    /// safetensors headers nest three deep; this only stops stack exhaustion on hostile input.
    static let maxDepth = 128

    /// Parses one JSON value; only whitespace may follow it.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.pos != bytes.count { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func error(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: pos) }

    private var atEnd: Bool { pos >= bytes.count }
    private var current: UInt8 { bytes[pos] }

    private mutating func skipWhitespace() {
        while !atEnd, current == 0x20 || current == 0x0A || current == 0x0D || current == 0x09 { pos += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard !atEnd, current == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        pos += 1
    }

    private mutating func parseValue() throws -> JSONValue {
        guard !atEnd else { throw error("unexpected end of JSON") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth { throw error("JSON nested deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard !atEnd else { throw error("unterminated object") }
            if current == UInt8(ascii: ",") { pos += 1; continue }
            if current == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if !atEnd, current == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard !atEnd else { throw error("unterminated array") }
            if current == UInt8(ascii: ",") { pos += 1; continue }
            if current == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - pos >= n else { throw error("invalid literal") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw error("invalid literal") }
        pos += n
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func parseNumber() throws -> String {
        let start = pos
        if current == UInt8(ascii: "-") { pos += 1 }
        guard !atEnd, isDigit(current) else { throw error("invalid number") }
        if current == UInt8(ascii: "0") { pos += 1 } else { while !atEnd, isDigit(current) { pos += 1 } }
        if !atEnd, current == UInt8(ascii: ".") {
            pos += 1
            guard !atEnd, isDigit(current) else { throw error("invalid number") }
            while !atEnd, isDigit(current) { pos += 1 }
        }
        if !atEnd, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            pos += 1
            if !atEnd, current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { pos += 1 }
            guard !atEnd, isDigit(current) else { throw error("invalid number") }
            while !atEnd, isDigit(current) { pos += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - pos >= 4 else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = current
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private mutating func parseString() throws -> String {
        pos += 1  // opening quote
        let start = pos
        var buffer: [UInt8]? = nil  // only allocated once an escape is seen
        while true {
            guard !atEnd else { throw error("unterminated string") }
            let b = current
            if b == UInt8(ascii: "\"") {
                let raw = buffer ?? Array(bytes[start..<pos])
                pos += 1
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw JSONParseError(message: "string is not valid UTF-8", offset: start)
                }
                return s
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                buffer?.append(b)
                pos += 1
                continue
            }
            if buffer == nil { buffer = Array(bytes[start..<pos]) }
            pos += 1
            guard !atEnd else { throw error("unterminated escape") }
            let e = current
            pos += 1
            switch e {
            case UInt8(ascii: "\""): buffer!.append(0x22)
            case UInt8(ascii: "\\"): buffer!.append(0x5C)
            case UInt8(ascii: "/"): buffer!.append(0x2F)
            case UInt8(ascii: "b"): buffer!.append(0x08)
            case UInt8(ascii: "f"): buffer!.append(0x0C)
            case UInt8(ascii: "n"): buffer!.append(0x0A)
            case UInt8(ascii: "r"): buffer!.append(0x0D)
            case UInt8(ascii: "t"): buffer!.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard bytes.count - pos >= 2, current == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw error("lone surrogate in \\u escape") }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if code >= 0xDC00 && code < 0xE000 {
                    throw error("lone surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                buffer!.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("invalid escape")
            }
        }
    }
}

/// JSON string literal, escaped like serde_json (quote, backslash and control characters only).
func jsonQuoted(_ s: String) -> String {
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
