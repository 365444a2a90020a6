/// The methods the tools train and compare. `finetune` trains `csd` and `supervised`; `probe`
/// all four on cached tokens.
public enum TrainingMethod: String, Sendable, CaseIterable {
    /// The content-style objective of docs/METHOD.md.
    case csd
    /// The same encoder's content head trained with CE on the labeled subset only.
    case supervised
    /// Multinomial logistic regression on the (standardised) tokens.
    case linear
    /// Cosine k-nearest neighbours over the labeled subset.
    case knn
}
