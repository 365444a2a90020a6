import CSDAutograd
import CSDTensor

/// Multi-head self-attention: a q/k/v projection, fused attention, an output projection.
///
/// Checkpoints store the projection either as three Linears (`query`/`key`/`value` in DINOv2,
/// `q_proj`/... in CLIP) or as one fused `qkv` Linear (timm, RADIO). Both layouts keep their own
/// parameter names; the forward always runs one fused GEMM (separate weights are concatenated,
/// differentiably) and reads Q, K, V in place.
public final class MultiHeadSelfAttention: Module {
    public enum Projection: Sendable {
        case separate(query: String, key: String, value: String)
        case fused(String)
    }

    public let heads: Int
    public let dim: Int
    /// [query, key, value] for `.separate`, or the one fused Linear.
    public let projections: [Linear]
    public let output: Linear

    public init(dim: Int, heads: Int, qkvBias: Bool = true, outputBias: Bool = true,
                projection: Projection = .separate(query: "query", key: "key", value: "value"),
                outputName: String = "output", rng: inout RandomStream) {
        precondition(dim % heads == 0, "width \(dim) is not divisible by \(heads) heads")
        self.heads = heads
        self.dim = dim
        switch projection {
        case .separate:
            projections = (0..<3).map { _ in Linear(dim, dim, bias: qkvBias, rng: &rng) }
        case .fused:
            projections = [Linear(dim, 3 * dim, bias: qkvBias, rng: &rng)]
        }
        output = Linear(dim, dim, bias: outputBias, rng: &rng)
        super.init()
        switch projection {
        case .separate(let q, let k, let v):
            for (name, layer) in zip([q, k, v], projections) { register(name, child: layer) }
        case .fused(let name):
            register(name, child: projections[0])
        }
        register(outputName, child: output)
    }

    /// x: [B, T, D] -> [B, T, D].
    public func callAsFunction(_ x: Variable) -> Variable {
        output(multiHeadAttention(qkv: fusedProjection(x), heads: heads, precision: matmulPrecision))
    }

    /// [B, T, 3D]: queries, keys, values side by side.
    public func fusedProjection(_ x: Variable) -> Variable {
        if projections.count == 1 { return projections[0](x) }
        let weight = concat(projections.map(\.weight), axis: 0)
        let bias = projections[0].bias.map { _ in concat(projections.map { $0.bias! }, axis: 0) }
        return linear(x, weight: weight, bias: bias, precision: matmulPrecision)
    }
}
