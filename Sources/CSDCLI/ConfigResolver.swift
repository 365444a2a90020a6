import ArgumentParser

/// A command's settings from three places, in order of precedence: the command line, a config
/// file (`--config`, read once, when the arguments are parsed), the defaults. Each key of the
/// file is parsed with its flag's own parser, so `labels = [10, "all"]` and `--labels 10,all`
/// mean the same.
public struct ConfigResolver: Sendable {
    public let file: ConfigFile?

    /// `keys`: the settings the command takes from a file; `tables`: its `[table]`s of
    /// `name=value` settings. Any other key is an error that lists the known ones.
    public init(file: ConfigFile?, keys: [String], tables: [String] = []) throws {
        self.file = file
        guard let file else { return }
        for (key, _) in file.entries where !keys.contains(key) && !tables.contains(where: { key.hasPrefix($0 + ".") }) {
            let known = keys.sorted().joined(separator: ", ")
                + tables.map { ", and an [\($0)] table" }.joined()
            throw ValidationError("\(file.path): unknown setting '\(key)' (known: \(known))")
        }
    }

    /// The command line's value, else the file's parsed with `parse`, else nil.
    public func value<T>(_ commandLine: T?, _ key: String, _ parse: (String) throws -> T) throws -> T? {
        if let commandLine { return commandLine }
        guard let file, let value = file[key] else { return nil }
        do { return try parse(value.description) } catch {
            throw ValidationError("\(file.path): \(key) = \(value): \(error)")
        }
    }

    /// The command line's value, else the file's, else `fallback`.
    public func value<T>(_ commandLine: T?, _ key: String, default fallback: T, _ parse: (String) throws -> T) throws -> T {
        try value(commandLine, key, parse) ?? fallback
    }

    /// As `value`, but one of the two must give it: the error names the flag and the key.
    public func required<T>(_ commandLine: T?, _ key: String, flag: String, _ parse: (String) throws -> T) throws -> T {
        guard let found = try value(commandLine, key, parse) else {
            throw ValidationError("missing \(flag) (or \(key) = ... in the config file)")
        }
        return found
    }

    /// The file's `[table]` entries as settings, then the command line's: applied in this order,
    /// a command-line setting wins over the file's of the same name.
    public func settings(_ table: String, then commandLine: [Setting]) -> [Setting] {
        (file?.table(table) ?? []).map { Setting(name: $0.key, value: $0.value.description) } + commandLine
    }
}
