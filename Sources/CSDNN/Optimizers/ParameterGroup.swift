import CSDAutograd

/// Parameters that share optimiser settings (e.g. backbone at 1e-5, heads at 1e-3).
public struct ParameterGroup {
    public var name: String
    public var parameters: [Variable]
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float

    public init(name: String = "default", parameters: [Variable], learningRate: Float,
                beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        self.name = name
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }
}
