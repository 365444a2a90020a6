import CSDAutograd
import CSDNN
import CSDTensor

/// The families of the paper.
public enum BackboneFamily: String, Sendable, Codable {
    case dinov2, clip, radio

    /// What a cache records as the token of `BackboneOutput.imageToken` (CLIP's image_embeds aside).
    public var imageTokenName: String {
        switch self {
        case .dinov2: return "cls"
        case .clip: return "pooler"
        case .radio: return "summary"
        }
    }
}

/// What a backbone returns for a batch of preprocessed images [B, 3, H, W].
public struct BackboneOutput {
    /// Every final token [B, T, D] (DINOv2: normalised; CLIP: before `post_layernorm`; RADIO: raw).
    public let tokens: Variable
    /// The image-level token [B, D'] the method decomposes: DINOv2's normalised [CLS], CLIP's
    /// `pooler_output` (or `image_embeds` when chosen), RADIO's summary.
    public let imageToken: Variable
    /// Mean of the patch tokens [B, D] (class and register tokens excluded).
    public let patchMean: Variable
}

/// A vision backbone: a module with named parameters (checkpoint keys) and a forward.
public protocol Backbone: Module {
    var family: BackboneFamily { get }
    /// Width of `imageToken`.
    var imageTokenDimension: Int { get }
    /// Width of every token, and so of `patchMean`.
    var tokenDimension: Int { get }
    var patchSize: Int { get }
    /// The image size the checkpoint was trained at (its position table's grid times the patch).
    var nativeImageSize: Int { get }
    /// The transformer blocks, input to output.
    var blocks: [ViTBlock] { get }
    func callAsFunction(_ pixels: Variable) -> BackboneOutput
}

extension Backbone {
    /// Freezes the embedding (patch projection, tokens, position table, input norms: every
    /// parameter registered before the first block) and the first `count` blocks; unfreezes the
    /// rest. Frozen parts record no graph, so their backward costs nothing.
    public func freezeEmbeddingAndBlocks(_ count: Int) {
        precondition((0...blocks.count).contains(count), "freeze-blocks \(count): the model has \(blocks.count) blocks")
        let buffers = Set(["radio_model.input_conditioner.norm_mean", "radio_model.input_conditioner.norm_std"])
        let firstBlock = blocks.first.map { Set($0.parameters.map(ObjectIdentifier.init)) } ?? []
        let frozenBlocks = Set(blocks.prefix(count).flatMap(\.parameters).map(ObjectIdentifier.init))
        var beforeBlocks = !blocks.isEmpty
        for (key, p) in namedParameters() {
            if firstBlock.contains(ObjectIdentifier(p)) { beforeBlocks = false }
            // Buffers (the mask token, RADIO's input statistics) stay frozen whatever is asked.
            if key.hasSuffix("mask_token") || buffers.contains(key) { p.requiresGrad = false; continue }
            p.requiresGrad = !((count > 0 && beforeBlocks) || frozenBlocks.contains(ObjectIdentifier(p)))
        }
    }

    /// Activation recomputation per block (see `recomputed`).
    public func recomputeActivations(_ on: Bool) {
        for block in blocks { block.recomputesActivations = on }
    }
}

extension Backbone {
    /// Checks that an input batch has a shape the model accepts, before any work.
    func validateInput(_ pixels: Variable) {
        precondition(pixels.shape.count == 4 && pixels.shape[1] == 3,
                     "\(family.rawValue): expected pixels [B, 3, H, W], got \(pixels.shape)")
        precondition(pixels.shape[2] >= patchSize && pixels.shape[3] >= patchSize,
                     "\(family.rawValue): image \(pixels.shape[2])x\(pixels.shape[3]) is smaller than the patch \(patchSize)")
    }
}

/// Mean over tokens `from..<T` of [B, T, D] -> [B, D].
public func meanOfTokens(_ x: Variable, from start: Int) -> Variable {
    let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
    return x.slice(axis: 1, start..<t).mean(axes: [1]).reshaped([b, d])
}

/// Token `index` of [B, T, D] -> [B, D].
func token(_ x: Variable, _ index: Int) -> Variable {
    x.slice(axis: 1, index..<(index + 1)).reshaped([x.shape[0], x.shape[2]])
}
