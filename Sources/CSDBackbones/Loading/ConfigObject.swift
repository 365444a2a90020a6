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
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BackboneConfigError(file: url.path, "not a JSON object")
        }
        self.init(object, file: url.path)
    }

    public func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let n = values[key] as? NSNumber, Double(n.intValue) == n.doubleValue { return n.intValue }
        throw BackboneConfigError(file: file, "field '\(key)' must be an integer, found \(values[key]!)")
    }

    public func double(_ key: String, default value: Double? = nil) throws -> Double {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let n = values[key] as? NSNumber { return n.doubleValue }
        throw BackboneConfigError(file: file, "field '\(key)' must be a number, found \(values[key]!)")
    }

    public func bool(_ key: String, default value: Bool? = nil) throws -> Bool {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let b = values[key] as? Bool { return b }
        throw BackboneConfigError(file: file, "field '\(key)' must be true or false, found \(values[key]!)")
    }

    public func string(_ key: String, default value: String? = nil) throws -> String {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let s = values[key] as? String { return s }
        throw BackboneConfigError(file: file, "field '\(key)' must be a string, found \(values[key]!)")
    }

    public func doubles(_ key: String, default value: [Double]? = nil) throws -> [Double] {
        guard has(key) else {
            if let value { return value }
            throw BackboneConfigError(file: file, "missing field '\(key)'")
        }
        if let a = values[key] as? [NSNumber] { return a.map(\.doubleValue) }
        throw BackboneConfigError(file: file, "field '\(key)' must be a list of numbers")
    }

    public func ints(_ key: String, default value: [Int]? = nil) throws -> [Int] {
        try doubles(key, default: value.map { $0.map(Double.init) }).map { Int($0) }
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

