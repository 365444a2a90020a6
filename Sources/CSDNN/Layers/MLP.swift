import CSDAutograd
import CSDTensor

/// A stack of linear layers with an activation between them (none after the last).
///
/// `MLP([384, 1536, 384])` is a transformer block's feed-forward; the heads of the method are
/// deeper ones. Layer names default to `fc1`, `fc2`, ... and can be given to match checkpoints.
public final class MLP: Module {
    public let layers: [Linear]
    public let activation: Activation

    public init(_ sizes: [Int], activation: Activation = .gelu, bias: Bool = true,
                names: [String]? = nil, rng: inout RandomStream) {
        precondition(sizes.count >= 2, "an MLP needs at least input and output sizes")
        let names = names ?? (1..<sizes.count).map { "fc\($0)" }
        precondition(names.count == sizes.count - 1, "\(names.count) names for \(sizes.count - 1) layers")
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) { layers.append(Linear(sizes[i], sizes[i + 1], bias: bias, rng: &rng)) }
        self.layers = layers
        self.activation = activation
        super.init()
        for (name, layer) in zip(names, layers) { register(name, child: layer) }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for layer in layers.dropLast() {
            h = linear(h, weight: layer.weight, bias: layer.bias, activation: activation, precision: layer.matmulPrecision)
        }
        return layers.last!(h)
    }
}
