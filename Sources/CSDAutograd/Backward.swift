import CSDTensor

extension Variable {
    /// Back-propagates from this node. A scalar root is seeded with 1, otherwise with `seed`.
    /// Gradients accumulate into leaves; intermediate gradients and saved tensors are released
    /// as soon as they have been used, so a graph can be walked once.
    public func backward(seed: Tensor? = nil) {
        if let seed {
            precondition(seed.shape == shape, "seed shape \(seed.shape) differs from \(shape)")
        } else {
            precondition(value.count == 1, "backward without a seed needs a scalar, got \(shape)")
        }
        guard requiresGrad else { return }
        let order = topologicalOrder()
        accumulateGrad(seed ?? Tensor(repeating: 1, shape: shape))
        for node in order.reversed() {
            guard let fn = node.backwardFn else { continue }
            node.backwardFn = nil
            if let g = node.grad {
                node.grad = nil
                fn(g)
            }
        }
    }

    /// Nodes that lead to `self` through recorded ops, parents before children.
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative DFS: deep graphs (long training unrolls) must not overflow the stack.
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, position) = stack.popLast() {
            var next = position
            if next < node.parents.count {
                let parent = node.parents[next]
                next += 1
                stack.append((node, next))
                if parent.backwardFn != nil && visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}
