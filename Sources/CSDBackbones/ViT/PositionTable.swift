import CSDAutograd
import CSDTensor

/// How a square position table of side G is fitted to a grid of gh x gw patches.
public enum PositionInterpolation: String, Sendable, Codable {
    /// transformers' Dinov2Model: bicubic to size (gh, gw), A = -0.75, no antialias.
    case bicubic
    /// transformers' Dinov2WithRegistersModel: antialiased bicubic to size (gh, gw).
    case bicubicAntialiased
    /// The original facebookresearch code: bicubic with `scale_factor = (g + 0.1) / G`, which
    /// samples slightly different source positions than resizing to a size.
    case bicubicOriginal
}

enum PositionTable {
    /// Resizes a [G * G, D] table to [gh * gw, D] (a matrix product, so gradients flow).
    static func resize(_ table: Variable, side g: Int, to gh: Int, _ gw: Int,
                       mode: PositionInterpolation) -> Variable {
        let weights: Tensor
        switch mode {
        case .bicubic:
            weights = ResizeWeights.cachedGrid(mode: .bicubic, inHeight: g, inWidth: g, outHeight: gh, outWidth: gw)
        case .bicubicAntialiased:
            weights = ResizeWeights.cachedGrid(mode: .bicubicAntialiased, inHeight: g, inWidth: g, outHeight: gh, outWidth: gw)
        case .bicubicOriginal:
            let factors = ((Double(gh) + 0.1) / Double(g), (Double(gw) + 0.1) / Double(g))
            weights = ResizeWeights.cachedGrid(mode: .bicubic, inHeight: g, inWidth: g, outHeight: gh, outWidth: gw,
                                         scaleFactors: factors)
        }
        return Variable(weights).matmul(table)
    }
}
