import CSDTensor

/// Activation recomputation ("gradient checkpointing"): runs `body` without keeping its
/// intermediate tensors, and runs it again during the backward pass to get them back.
///
/// Memory for a stack of blocks drops from every block's activations to their inputs only, for
/// about one extra forward. `parameters` are the leaves `body` reads (a block's weights): their
/// gradients accumulate during the re-run, exactly as without recomputation. `body` must be
/// deterministic (no dropout draws), since it runs twice.
public func recomputed(_ x: Variable, parameters: [Variable], _ body: @escaping (Variable) -> Variable) -> Variable {
    let needsGraph = GradMode.isEnabled && (x.requiresGrad || parameters.contains(where: \.requiresGrad))
    guard needsGraph else { return body(x) }
    let output = GradMode.withoutGradients { body(x.detached()) }
    // The parameters are parents too, although the re-run writes their gradients: a backward
    // pass's readiness (`GradientReadiness`) then sees them complete once this node has run.
    return Variable(value: output.value, parents: [x] + parameters.filter(\.requiresGrad)) { g in
        let input = Variable(x.value, requiresGrad: x.requiresGrad)
        body(input).backward(seed: g)
        if let gx = input.grad { x.accumulateGrad(gx) }
    }
}
