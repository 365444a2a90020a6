import CSDSafetensors
import CSDTensor

/// Errors from loading parameter values into a module.
public enum ModuleLoadingError: Error, CustomStringConvertible {
    case missing(key: String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case unused(keys: [String])

    public var description: String {
        switch self {
        case .missing(let key): return "parameter '\(key)' is missing from the state"
        case .shapeMismatch(let key, let e, let f): return "parameter '\(key)' has shape \(f), expected \(e)"
        case .unused(let keys): return "state has \(keys.count) tensor(s) the model does not use: \(keys.prefix(10).joined(separator: ", "))"
        }
    }
}

extension Module {
    /// Copies values from `state` into every parameter, strictly: each key must be present with
    /// the parameter's shape, and (when `strict`) every entry of `state` must be used.
    public func load(_ state: [String: Tensor], prefix: String = "", strict: Bool = true) throws {
        var used = Set<String>()
        for (key, p) in namedParameters(prefix: prefix) {
            guard let t = state[key] else { throw ModuleLoadingError.missing(key: key) }
            guard t.shape == p.shape else {
                throw ModuleLoadingError.shapeMismatch(key: key, expected: p.shape, found: t.shape)
            }
            p.value = t
            used.insert(key)
        }
        if strict {
            let unused = state.keys.filter { !used.contains($0) }.sorted()
            if !unused.isEmpty { throw ModuleLoadingError.unused(keys: unused) }
        }
    }
}

extension Module {
    /// Reads every parameter from a checkpoint through a strict loader: a missing or mis-shaped
    /// tensor throws, naming it. Call `loader.finish()` afterwards to reject unused tensors.
    /// `rename` maps a parameter key to the checkpoint's name for it (for checkpoints with
    /// optional prefixes or alternative spellings).
    public func load(from loader: StrictLoader, prefix: String = "",
                     rename: (String) -> String = { $0 }) throws {
        for (key, p) in namedParameters(prefix: prefix) {
            p.value = try loader.tensor(rename(key), shape: p.shape)
        }
    }
}
