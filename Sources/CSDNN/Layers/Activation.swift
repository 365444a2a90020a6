import CSDAutograd

/// The activations the backbones and heads use, by name (as configs spell them).
public enum Activation: Equatable, Sendable {
    case gelu, quickGelu, relu, silu, tanh, sigmoid
    case leakyRelu(slope: Float)

    public init?(configName: String) {
        switch configName {
        case "gelu": self = .gelu
        case "quick_gelu": self = .quickGelu
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        default: return nil
        }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .gelu: return x.gelu()
        case .quickGelu: return x.quickGelu()
        case .relu: return x.relu()
        case .silu: return x.silu()
        case .tanh: return x.tanh()
        case .sigmoid: return x.sigmoid()
        case .leakyRelu(let slope): return x.leakyRelu(slope)
        }
    }
}
