import CSDTensor

/// A node of the reverse-mode graph: a tensor value, its gradient, and how to pass a gradient
/// on to the nodes it was computed from.
///
/// Leaves are created by the user (parameters, inputs); every differentiable op returns a new
/// `Variable` that remembers its parents only while gradients are recorded (see `GradMode`).
public final class Variable {
    /// The value. Optimisers update parameters in place through this property.
    public var value: Tensor
    /// The accumulated gradient (leaves keep it across backward calls until `zeroGrad`).
    public var grad: Tensor?
    /// Whether gradients flow to this node. Setting it on a leaf freezes or unfreezes it.
    public var requiresGrad: Bool
    /// Optional name for messages and checkpoints.
    public var name: String?

    let parents: [Variable]
    /// Receives this node's gradient and accumulates into the parents. Dropped after use, which
    /// frees the tensors it saved.
    var backwardFn: ((Tensor) -> Void)?

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { parents.isEmpty }

    /// A leaf: a parameter (`requiresGrad: true`) or a constant input.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String? = nil) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.parents = []
        self.backwardFn = nil
    }

    init(value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardFn = backward
    }

    /// The result of an op: records the backward only when some parent needs a gradient and
    /// recording is on, so inference builds no graph and saves nothing.
    static func result(_ value: Tensor, _ parents: [Variable],
                       _ backward: @autoclosure () -> ((Tensor) -> Void)) -> Variable {
        if GradMode.isEnabled && parents.contains(where: { $0.requiresGrad }) {
            return Variable(value: value, parents: parents, backward: backward())
        }
        return Variable(value)
    }

    /// Adds `g` to this node's gradient, summing away broadcast dimensions first.
    public func accumulateGrad(_ g: Tensor) {
        guard requiresGrad else { return }
        let g = g.shape == value.shape ? g : Kernels.reduceSum(g, to: value.shape).reshaped(value.shape)
        if grad == nil { grad = g } else { Kernels.accumulate(&grad!, g) }
    }

    public func zeroGrad() { grad = nil }

    /// The same value cut from the graph (stop-gradient).
    public func detached() -> Variable { Variable(value) }
}

extension Variable: CustomStringConvertible {
    public var description: String {
        "Variable(\(name ?? "-"), shape: \(shape), requiresGrad: \(requiresGrad))"
    }
}
