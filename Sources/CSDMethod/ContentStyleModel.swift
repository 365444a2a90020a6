import CSDAutograd
import CSDNN
import CSDTensor

/// The heads of docs/METHOD.md: encoder E (trunk D -> H -> H, then content logits K and style S),
/// decoder G ((K + S) -> H -> H -> D), and the discriminators Dc (K -> Hd -> Hd -> 1) and
/// Ds (S -> Hd -> Hd -> 1). GELU in E and G, LeakyReLU(0.2) in the discriminators, no norms.
/// A discriminator exists only when its weight is non-zero; the decoder only when w_rec is.
public final class ContentStyleModel: Module {
    public let trunk: MLP
    public let content: Linear
    public let style: Linear?
    public let decoder: MLP?
    public let contentDiscriminator: MLP?
    public let styleDiscriminator: MLP?
    public let classes: Int

    /// `supervisedOnly`: the baseline's encoder (trunk and content head), nothing else.
    public init(dimension d: Int, classes k: Int, options o: MethodOptions, supervisedOnly: Bool = false,
                rng: inout RandomStream) {
        classes = k
        // The trunk ends with its activation: the heads read GELU features.
        trunk = MLP([d, o.hidden, o.hidden], activation: .gelu, names: ["0", "1"], rng: &rng)
        content = Linear(o.hidden, k, rng: &rng)
        let full = !supervisedOnly
        let needsStyle = full && (o.wRec > 0 || o.wS > 0)
        style = needsStyle ? Linear(o.hidden, o.styleDim, rng: &rng) : nil
        decoder = full && o.wRec > 0
            ? MLP([k + o.styleDim, o.hidden, o.hidden, d], activation: .gelu, names: ["0", "1", "2"], rng: &rng) : nil
        contentDiscriminator = full && o.wC > 0
            ? MLP([k, o.discHidden, o.discHidden, 1], activation: .leakyRelu(slope: 0.2), names: ["0", "1", "2"], rng: &rng) : nil
        styleDiscriminator = full && o.wS > 0
            ? MLP([o.styleDim, o.discHidden, o.discHidden, 1], activation: .leakyRelu(slope: 0.2), names: ["0", "1", "2"], rng: &rng) : nil
        super.init()
        register("encoder.trunk", child: trunk)
        register("encoder.content", child: content)
        if let style { register("encoder.style", child: style) }
        if let decoder { register("decoder", child: decoder) }
        if let contentDiscriminator { register("content_discriminator", child: contentDiscriminator) }
        if let styleDiscriminator { register("style_discriminator", child: styleDiscriminator) }
        matmulPrecision = o.headPrecision
    }

    /// Trunk features: every trunk layer, the last included, followed by its activation (fused
    /// into the layer's bias pass).
    func features(_ x: Variable) -> Variable {
        trunk.layers.reduce(x) { h, layer in
            linear(h, weight: layer.weight, bias: layer.bias, activation: trunk.activation, precision: layer.matmulPrecision)
        }
    }

    /// Content logits and (when present) the style code.
    public func encode(_ x: Variable) -> (logits: Variable, style: Variable?) {
        let h = features(x)
        return (content(h), style.map { $0(h) })
    }

    /// The codes p = softmax(logits) and s of `x`, computed without a graph (what the
    /// discriminators train on).
    public func codes(_ x: Tensor) -> (probabilities: Tensor, style: Tensor?) {
        GradMode.withoutGradients {
            let (logits, style) = encode(Variable(x))
            return (logits.softmax().value, style?.value)
        }
    }

    public var encoderParameters: [Variable] {
        trunk.parameters + content.parameters + (style?.parameters ?? []) + (decoder?.parameters ?? [])
    }

    public var discriminatorParameters: [Variable] {
        (contentDiscriminator?.parameters ?? []) + (styleDiscriminator?.parameters ?? [])
    }
}

extension ContentStyleModel {
    /// The encoder's and decoder's parameters at the heads' learning rate (`lr`), for the
    /// generator optimiser (which, for finetune, also holds the backbone's group).
    public func headsGroup(_ o: MethodOptions) -> ParameterGroup {
        ParameterGroup(name: "heads", parameters: encoderParameters, learningRate: o.lr)
    }

    /// The discriminators' Adam (docs/METHOD.md: `disc_lr`, betas 0.5 and 0.999), or nil when no
    /// adversarial term is on (or for the supervised baseline's heads).
    public func discriminatorOptimizer(_ o: MethodOptions) -> Adam? {
        discriminatorParameters.isEmpty ? nil
            : Adam(groups: [ParameterGroup(name: "discriminators", parameters: discriminatorParameters,
                                           learningRate: o.discLR, beta1: 0.5, beta2: 0.999)])
    }
}
