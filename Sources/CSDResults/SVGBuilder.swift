import Foundation

/// Accumulates SVG markup with escaped text and fixed-precision numbers, so equal input gives
/// byte-equal output (no locale, no float noise like "12.000000001").
struct SVGBuilder {
    private(set) var lines: [String] = []
    private var depth = 0

    mutating func open(_ tag: String, _ attributes: [(String, String)] = []) {
        lines.append(indent + "<\(tag)\(Self.attributes(attributes))>")
        depth += 1
    }

    mutating func close(_ tag: String) {
        depth -= 1
        lines.append(indent + "</\(tag)>")
    }

    mutating func element(_ tag: String, _ attributes: [(String, String)]) {
        lines.append(indent + "<\(tag)\(Self.attributes(attributes))/>")
    }

    /// An element whose content is escaped text.
    mutating func text(_ tag: String, _ attributes: [(String, String)], _ content: String) {
        lines.append(indent + "<\(tag)\(Self.attributes(attributes))>\(Self.escape(content))</\(tag)>")
    }

    /// A line of raw, already well-formed markup (e.g. a <text> with <tspan>s).
    mutating func raw(_ markup: String) { lines.append(indent + markup) }

    var document: String { lines.joined(separator: "\n") + "\n" }

    private var indent: String { String(repeating: "  ", count: max(depth, 0)) }

    static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A coordinate with two decimals, trailing zeros dropped, never "-0".
    static func number(_ value: Double) -> String {
        var s = String(format: "%.2f", value)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}
