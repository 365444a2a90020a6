import CSDTensor

/// Hears, during one backward pass, when each trainable leaf's gradient is final: data-parallel
/// training starts reducing a bucket of gradients while the pass still runs on earlier blocks.
public protocol GradientReadiness: AnyObject {
    /// The trainable leaves the pass will write to, before it writes any (a leaf not listed
    /// keeps the gradient it has).
    func backwardBegins(leaves: [Variable])
    /// `leaf`'s gradient is complete: no node of this pass writes to it any more.
    func gradientReady(_ leaf: Variable)
}

extension Variable {
    /// Back-propagates from this node. A scalar root is seeded with 1, otherwise with `seed`.
    /// Gradients accumulate into leaves; intermediate gradients and saved tensors are released
    /// as soon as they have been used, so a graph can be walked once. `readiness` hears of each
    /// leaf the moment its gradient is complete (the last node that reads it has run).
    public func backward(seed: Tensor? = nil, readiness: (any GradientReadiness)? = nil) {
        if let seed {
            precondition(seed.shape == shape, "seed shape \(seed.shape) differs from \(shape)")
        } else {
            precondition(value.count == 1, "backward without a seed needs a scalar, got \(shape)")
        }
        guard requiresGrad else { return }
        let order = topologicalOrder()
        var readers = readiness.map { Self.leafReaders(order, $0) } ?? [:]
        accumulateGrad(seed ?? Tensor(repeating: 1, shape: shape))
        for node in order.reversed() {
            guard let fn = node.backwardFn else { continue }
            node.backwardFn = nil
            if let g = node.grad {
                node.grad = nil
                fn(g)
            }
            guard let readiness else { continue }
            for parent in node.parents where parent.isLeaf && parent.requiresGrad {
                let id = ObjectIdentifier(parent)
                readers[id]! -= 1
                if readers[id] == 0 { readiness.gradientReady(parent) }
            }
        }
    }

    /// How many nodes of `order` read each trainable leaf (a node reading it twice counts
    /// twice); `readiness` is told which leaves the graph reaches.
    static func leafReaders(_ order: [Variable], _ readiness: any GradientReadiness) -> [ObjectIdentifier: Int] {
        var readers: [ObjectIdentifier: Int] = [:]
        var leaves: [Variable] = []
        for node in order where node.backwardFn != nil {
            for parent in node.parents where parent.isLeaf && parent.requiresGrad {
                readers[ObjectIdentifier(parent), default: 0] += 1
                if readers[ObjectIdentifier(parent)] == 1 { leaves.append(parent) }
            }
        }
        readiness.backwardBegins(leaves: leaves)
        return readers
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
