import CSDTensor
/// Every choice docs/METHOD.md leaves open, with its default. Set from `name=value` on the command
/// line or a config file; every value is recorded with every result.
public struct MethodOptions: Equatable, Sendable {
    public enum Reconstruction: String, Sendable, CaseIterable { case cosine, mse }
    public enum DecoderContent: String, Sendable, CaseIterable { case predicted, labelWhenKnown = "label_when_known" }
    public enum ClassPrior: String, Sendable, CaseIterable { case uniform, labeled }
    /// Which codes the discriminators' step sees: those of the encoder just updated on the same
    /// batch (`updated`, one more encoder forward), or the generator step's own (`step`).
    public enum DiscriminatorCodes: String, Sendable, CaseIterable { case updated, step }

    public var hidden = 512
    public var styleDim = 32
    public var discHidden = 256
    public var reconstruction = Reconstruction.cosine
    public var decoderContent = DecoderContent.predicted
    public var classPrior = ClassPrior.uniform
    public var discCodes = DiscriminatorCodes.updated
    public var discSteps = 1
    public var wCE: Float = 1
    public var wRec: Float = 1
    public var wC: Float = 0.1
    public var wS: Float = 0.1
    public var standardize = true
    public var lr: Float = 1e-3
    public var discLR: Float = 1e-3
    public var unlabeledBatch = 256
    public var labeledBatch = 64
    /// The k of the `knn` baseline (capped by the number of labeled samples); nil (`auto`):
    /// chosen on the validation subset, or capped by the smallest labeled class count.
    public var knnK: Int? = nil
    /// The number format of the heads' matrix products (bf16: inputs rounded, fp32 accumulation;
    /// see `MatmulPrecision`). Listed in `values` only when not fp32, so results written before it
    /// existed keep the same options.
    public var headPrecision = MatmulPrecision.fp32

    public init() {}

    /// Option names as written on the command line, in a stable order.
    public static let names = ["hidden", "style_dim", "disc_hidden", "reconstruction", "decoder_content",
                               "class_prior", "disc_codes", "disc_steps", "w_ce", "w_rec", "w_c", "w_s", "standardize", "lr",
                               "disc_lr", "unlabeled_batch", "labeled_batch", "knn_k", "head_precision"]

    public var values: [String: String] {
        var v = [
         "hidden": "\(hidden)", "style_dim": "\(styleDim)", "disc_hidden": "\(discHidden)",
         "reconstruction": reconstruction.rawValue, "decoder_content": decoderContent.rawValue,
         "class_prior": classPrior.rawValue, "disc_codes": discCodes.rawValue, "disc_steps": "\(discSteps)", "w_ce": "\(wCE)", "w_rec": "\(wRec)",
         "w_c": "\(wC)", "w_s": "\(wS)", "standardize": "\(standardize)", "lr": "\(lr)", "disc_lr": "\(discLR)",
         "unlabeled_batch": "\(unlabeledBatch)", "labeled_batch": "\(labeledBatch)", "knn_k": knnK.map(String.init) ?? "auto"]
        if headPrecision != .fp32 { v["head_precision"] = headPrecision.rawValue }
        return v
    }

    /// Sets one option from text, rejecting unknown names and bad values with a clear message.
    public mutating func set(_ name: String, _ value: String) throws {
        func int(_ min: Int = 1) throws -> Int {
            guard let v = Int(value), v >= min else { throw OptionError("\(name) must be an integer >= \(min), got '\(value)'") }
            return v
        }
        func float(allowZero: Bool = true) throws -> Float {
            guard let v = Float(value), v.isFinite, allowZero ? v >= 0 : v > 0 else {
                throw OptionError("\(name) must be a \(allowZero ? "non-negative" : "positive") number, got '\(value)'")
            }
            return v
        }
        func choice<T: RawRepresentable & CaseIterable>(_: T.Type) throws -> T where T.RawValue == String {
            guard let v = T(rawValue: value) else {
                throw OptionError("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
            }
            return v
        }
        switch name {
        case "hidden": hidden = try int()
        case "style_dim": styleDim = try int()
        case "disc_hidden": discHidden = try int()
        case "reconstruction": reconstruction = try choice(Reconstruction.self)
        case "decoder_content": decoderContent = try choice(DecoderContent.self)
        case "class_prior": classPrior = try choice(ClassPrior.self)
        case "disc_codes": discCodes = try choice(DiscriminatorCodes.self)
        case "disc_steps": discSteps = try int()
        case "w_ce": wCE = try float()
        case "w_rec": wRec = try float()
        case "w_c": wC = try float()
        case "w_s": wS = try float()
        case "standardize":
            guard let v = Bool(value) else { throw OptionError("standardize must be true or false, got '\(value)'") }
            standardize = v
        case "lr": lr = try float(allowZero: false)
        case "disc_lr": discLR = try float(allowZero: false)
        case "unlabeled_batch": unlabeledBatch = try int()
        case "labeled_batch": labeledBatch = try int()
        case "knn_k": knnK = value == "auto" ? nil : try int()
        case "head_precision": headPrecision = try choice(MatmulPrecision.self)
        default:
            throw OptionError("unknown option '\(name)' (known: \(Self.names.joined(separator: ", ")))")
        }
    }

    /// The options that differ from the defaults, as `name=value` (stable order): part of a
    /// sweep cell's identity.
    public var nonDefault: [String] {
        let defaults = MethodOptions().values
        return Self.names.compactMap { values[$0] != defaults[$0] ? "\($0)=\(values[$0]!)" : nil }
    }
}

public struct OptionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
