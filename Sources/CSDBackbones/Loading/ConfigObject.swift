import CSDAutograd
import Foundation

/// A problem with a model folder or its config, naming the file and the field.
public struct BackboneConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// Typed access to a decoded `config.json` object, with errors that name the field.
public struct ConfigObject {
    public let values: [String: Any]
    public let file: String

    public init(_ values: [String: Any], file: String) { self.values = values; self.file = file }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BackboneConfigError(file: url.path, "cannot read: \(error.localizedDescription)")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw BackboneConfigError(file: url.path, "not valid JSON: " + Self.describe(error, in: [UInt8](data)))
        }
        guard let object = parsed as? [String: Any] else {
            throw BackboneConfigError(file: url.path, "not a JSON object ({...} with the fields)")
        }
        self.init(object, file: url.path)
    }

    /// The parser's message, with the field it stopped in: Python's json writes NaN and Infinity,
    /// which JSON does not have, and a config edited by hand breaks at one value.
    static func describe(_ error: Error, in bytes: [UInt8]) -> String {
        let message = (error as NSError).userInfo["NSDebugDescription"] as? String ?? error.localizedDescription
        // "... around character N." or "Number X is not representable ...": where the bad value is.
        var offset: Int?
        if let range = message.range(of: "around character ") {
            offset = Int(message[range.upperBound...].prefix { $0.isNumber })
        } else if message.hasPrefix("Number "), let token = message.dropFirst(7).split(separator: " ").first {
            offset = bytes.firstRange(of: Array(token.utf8))?.lowerBound
        }
        guard let offset, let key = key(before: offset, in: bytes) else { return message }
        return "field '\(key)': \(message)" + (message.hasPrefix("Invalid value") ? " (NaN and Infinity are not JSON numbers)" : "")
    }

    /// The key of the last `"key":` that starts before `offset`.
    static func key(before offset: Int, in bytes: [UInt8]) -> String? {
        var i = min(offset, bytes.count) - 1
        while i > 0 {
            if bytes[i] == UInt8(ascii: ":") {
                var end = i - 1
                while end > 0 && (bytes[end] == 0x20 || bytes[end] == 0x0A || bytes[end] == 0x09) { end -= 1 }
                if bytes[end] == UInt8(ascii: "\""), let start = bytes[..<end].lastIndex(of: UInt8(ascii: "\"")) {
                    return String(decoding: bytes[(start + 1)..<end], as: UTF8.self)
                }
            }
            i -= 1
        }
        return nil
    }

    public func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    /// JSON's true and false decode as NSNumbers too (of type char, which no JSON number has):
    /// a size of `true` must not read as 1, nor a flag of 1 as true.
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// The value as JSON would write it (strings quoted, true as true), for error messages.
    func shown(_ key: String) -> String {
        guard let value = values[key] else { return "nothing" }
        if let n = value as? NSNumber, Self.isBoolean(n) { return n.boolValue ? "true" : "false" }
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    func number(_ value: Any?) -> NSNumber? { (value as? NSNumber).flatMap { Self.isBoolean($0) ? nil : $0 } }

    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let n = number(values[key]), Double(n.intValue) == n.doubleValue { return n.intValue }
        throw BackboneConfigError(file: file, "field '\(key)' must be an integer, found \(shown(key))")
    }

    public func double(_ key: String, default value: Double? = nil) throws -> Double {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let n = number(values[key]) { return n.doubleValue }
        throw BackboneConfigError(file: file, "field '\(key)' must be a number, found \(shown(key))")
    }

    public func bool(_ key: String, default value: Bool? = nil) throws -> Bool {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let b = values[key] as? NSNumber, Self.isBoolean(b) { return b.boolValue }
        throw BackboneConfigError(file: file, "field '\(key)' must be true or false, found \(shown(key))")
    }

    public func string(_ key: String, default value: String? = nil) throws -> String {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let s = values[key] as? String { return s }
        throw BackboneConfigError(file: file, "field '\(key)' must be a string, found \(shown(key))")
    }

    public func doubles(_ key: String, default value: [Double]? = nil) throws -> [Double] {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let a = values[key] as? [NSNumber], !a.contains(where: Self.isBoolean) { return a.map(\.doubleValue) }
        throw BackboneConfigError(file: file, "field '\(key)' must be a list of numbers")
    }

    public func ints(_ key: String, default value: [Int]? = nil) throws -> [Int] {
        // Int(Double) traps on NaN, infinities and values beyond Int's range: each is checked first.
        try doubles(key, default: value.map { $0.map(Double.init) }).map { d in
            guard d.rounded() == d, abs(d) < 0x1p62 else {
                throw BackboneConfigError(file: file, "field '\(key)' must be a list of integers, found \(d)")
            }
            return Int(d)
        }
    }

    public func object(_ key: String) throws -> ConfigObject? {
        guard has(key) else { return nil }
        guard let o = values[key] as? [String: Any] else {
            throw BackboneConfigError(file: file, "field '\(key)' must be an object")
        }
        return ConfigObject(o, file: file + " (\(key))")
    }

    /// The activation named by `key`, rejecting names the encoder does not implement.
    func activation(_ key: String, default value: String) throws -> Activation {
        let name = try string(key, default: value)
        guard let act = Activation(configName: name) else {
            throw BackboneConfigError(file: file, "field '\(key)': activation '\(name)' is not supported (gelu, quick_gelu, relu, silu)")
        }
        return act
    }
}

