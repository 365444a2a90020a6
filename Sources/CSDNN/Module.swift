import CSDAutograd
import CSDTensor

/// A layer: named parameters and named child layers, in registration order.
///
/// Keys are dotted paths (`encoder.layer.3.mlp.fc1.weight`) built from the names given at
/// registration, so a model can keep a checkpoint's key names verbatim.
open class Module {
    public private(set) var localParameters: [(name: String, variable: Variable)] = []
    public private(set) var children: [(name: String, module: Module)] = []
    /// Training mode (dropout on). Set it on the root; it reaches every child.
    public var isTraining = true {
        didSet { for c in children { c.module.isTraining = isTraining } }
    }
    /// The number format at the inputs of this layer's matrix products (and its children's):
    /// set it on a backbone to run it in bf16 while the heads stay fp32.
    public var matmulPrecision: MatmulPrecision = .fp32 {
        didSet { for c in children { c.module.matmulPrecision = matmulPrecision } }
    }

    public init() {}

    /// Registers a parameter under `name` and returns it.
    @discardableResult
    public func register(_ name: String, parameter: Variable) -> Variable {
        precondition(!localParameters.contains { $0.name == name }, "parameter \(name) registered twice")
        parameter.name = parameter.name ?? name
        localParameters.append((name, parameter))
        return parameter
    }

    /// Registers a child layer under `name` (which may itself be dotted, e.g. `output.dense`).
    @discardableResult
    public func register<M: Module>(_ name: String, child: M) -> M {
        precondition(!children.contains { $0.name == name }, "child \(name) registered twice")
        children.append((name, child))
        return child
    }

    /// Every parameter with its full dotted key.
    public func namedParameters(prefix: String = "") -> [(key: String, variable: Variable)] {
        var out = localParameters.map { (prefix + $0.name, $0.variable) }
        for c in children { out += c.module.namedParameters(prefix: prefix + c.name + ".") }
        return out
    }

    /// This module and every module below it, depth first.
    public var descendants: [Module] { [self] + children.flatMap { $0.module.descendants } }

    public var parameters: [Variable] { namedParameters().map(\.variable) }

    /// Parameters that currently receive gradients.
    public var trainableParameters: [Variable] { parameters.filter(\.requiresGrad) }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Stops (or resumes) gradients for every parameter of this layer and its children.
    public func freeze(_ frozen: Bool = true) {
        for p in parameters { p.requiresGrad = !frozen }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Parameter values by key, e.g. to write a checkpoint.
    public func stateDict(prefix: String = "") -> [(key: String, tensor: Tensor)] {
        namedParameters(prefix: prefix).map { ($0.key, $0.variable.value) }
    }
}
