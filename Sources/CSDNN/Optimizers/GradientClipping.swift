import CSDAutograd
import CSDTensor

/// Scales all gradients so that their joint L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`, with its 1e-6 guard). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters {
        guard let g = p.grad else { continue }
        g.withUnsafeBufferPointer { b in for x in b { total += Double(x) * Double(x) } }
    }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters where p.grad != nil { p.grad = Kernels.scaled(p.grad!, coefficient) }
    }
    return norm
}
