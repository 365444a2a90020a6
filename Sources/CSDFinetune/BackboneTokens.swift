import CSDAutograd
import CSDBackbones
import CSDDistributed
import CSDMethod
import CSDNN
import CSDTensor

/// finetune's side of the shared training step: the heads' input is the backbone's image token
/// of the rows' images, standardised with the run's fixed statistics, in the graph, so every
/// loss term's gradient reaches the backbone.
public struct BackboneTokens {
    public let backbone: any Backbone
    public let standardization: Standardization?

    public init(backbone: any Backbone, standardization: Standardization?) {
        self.backbone = backbone; self.standardization = standardization
    }

    public func callAsFunction(_ pixels: Tensor) -> Variable {
        let y = backbone(Variable(pixels)).imageToken
        return standardization.map { $0.apply(y) } ?? y
    }
}

extension TrainingStep {
    /// The step of a finetune run: `method`'s objective on `heads` with tokens of the
    /// preprocessed images `pixels(rows)` through `backbone`; the `cached` reconstruction target
    /// when `cachedTokens` is given (pre-trained tokens of rows, standardised here).
    public convenience init(finetune settings: FinetuneSettings, backbone: any Backbone, heads: ContentStyleModel,
                            generator: Adam, discriminator: Adam?, standardization: Standardization, microBatches: Int = 1,
                            group: ProcessGroup = .single, pixels: @escaping ([Int]) throws -> Tensor,
                            cachedTokens: (([Int]) -> Tensor)? = nil) {
        let o = settings.options
        let tokens = BackboneTokens(backbone: backbone, standardization: o.standardize ? standardization : nil)
        let objective: Objective = settings.method == .csd ? .contentStyle(heads) : .crossEntropy(logits: { heads.encode($0).logits })
        self.init(objective: objective, options: o, generator: generator, discriminator: settings.method == .csd ? discriminator : nil,
                  microBatches: microBatches, group: group, tokens: { tokens(try pixels($0)) },
                  target: cachedTokens.map { cached in { rows in o.standardize ? standardization.apply(cached(rows)) : cached(rows) } })
    }
}
