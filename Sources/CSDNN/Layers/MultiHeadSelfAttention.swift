import CSDAutograd
import CSDTensor

/// Multi-head self-attention with separate query, key, value and output projections.
///
/// The projection names are parameters so that one class serves every checkpoint layout
/// (`query`/`key`/`value`/`output.dense` in DINOv2, `q_proj`/.../`out_proj` in CLIP).
public final class MultiHeadSelfAttention: Module {
    public struct Names: Sendable {
        public var query = "query", key = "key", value = "value", output = "output"
        public init(query: String = "query", key: String = "key", value: String = "value", output: String = "output") {
            self.query = query; self.key = key; self.value = value; self.output = output
        }
    }

    public let query: Linear, key: Linear, value: Linear, output: Linear
    public let heads: Int

    public init(dim: Int, heads: Int, qkvBias: Bool = true, outputBias: Bool = true,
                names: Names = Names(), rng: inout RandomStream) {
        precondition(dim % heads == 0, "width \(dim) is not divisible by \(heads) heads")
        self.heads = heads
        query = Linear(dim, dim, bias: qkvBias, rng: &rng)
        key = Linear(dim, dim, bias: qkvBias, rng: &rng)
        value = Linear(dim, dim, bias: qkvBias, rng: &rng)
        output = Linear(dim, dim, bias: outputBias, rng: &rng)
        super.init()
        register(names.query, child: query)
        register(names.key, child: key)
        register(names.value, child: value)
        register(names.output, child: output)
    }

    /// x: [B, T, D] -> [B, T, D].
    public func callAsFunction(_ x: Variable) -> Variable {
        output(multiHeadAttention(q: query(x), k: key(x), v: value(x), heads: heads))
    }
}
