import ArgumentParser

/// One `name=value` option (the method's options on the command line, a config file's
/// `[options]` table). The names and values are checked by the library that takes them
/// (`MethodOptions.set`, `FinetuneSettings.set`), through `apply`.
public struct Setting: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `name=value`: the first `=` splits; neither side may be empty (`a=b=c` is `a` = `b=c`).
    @Sendable public static func parse(_ text: String) throws -> Setting {
        guard let eq = text.firstIndex(of: "=") else { throw ValidationError("'\(text)' is not name=value") }
        let name = String(text[..<eq]), value = String(text[text.index(after: eq)...])
        guard !name.isEmpty else { throw ValidationError("'\(text)' is not name=value: the name is empty") }
        guard !value.isEmpty else { throw ValidationError("'\(text)' is not name=value: the value of \(name) is empty") }
        return Setting(name: name, value: value)
    }

    public var description: String { "\(name)=\(value)" }

    /// Hands each setting, in order (a later one wins), to `set`, the library's setter; its
    /// error (an unknown name, a bad value) becomes a `ValidationError` with the same text.
    public static func apply(_ settings: [Setting], to set: (String, String) throws -> Void) throws {
        for setting in settings {
            do { try set(setting.name, setting.value) } catch let error as ValidationError { throw error } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// The option sets a list of settings asks for: a value with commas (`w_c=0,0.1,0.3`) is a
    /// list of alternatives, and the sets are every combination (the first setting varying
    /// slowest), each a list of single-valued settings in the original order.
    public static func grid(_ settings: [Setting]) -> [[Setting]] {
        settings.reduce([[]]) { sets, setting in
            let values = setting.value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return sets.flatMap { set in values.map { set + [Setting(name: setting.name, value: $0)] } }
        }
    }
}
