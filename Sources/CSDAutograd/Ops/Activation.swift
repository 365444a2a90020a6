import CSDTensor

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

/// `activation(x W^T + b)`, fused (see the generic form). A concrete entry point, so that callers
/// in other modules get the specialised, vectorised loop rather than a generic one.
public func linear(_ x: Variable, weight: Variable, bias: Variable?, activation: Activation,
                   precision: MatmulPrecision = .fp32) -> Variable {
    func fused<F: PointwiseFunction>(_ f: F) -> Variable {
        linear(x, weight: weight, bias: bias, activation: f, precision: precision)
    }
    switch activation {
    case .gelu: return fused(Pointwise.GELU())
    case .quickGelu: return fused(Pointwise.QuickGELU())
    case .relu: return fused(Pointwise.ReLU())
    case .silu: return fused(Pointwise.SiLU())
    case .tanh: return fused(Pointwise.Tanh())
    case .sigmoid: return fused(Pointwise.Sigmoid())
    case .leakyRelu(let slope): return fused(Pointwise.LeakyReLU(slope: slope))
    }
}
