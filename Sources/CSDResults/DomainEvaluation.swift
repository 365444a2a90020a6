import Foundation

/// A run's test errors on one evaluation cache (`probe --eval-cache`): the test split of a
/// cache of another data set through the same model and preprocessing, evaluated after every
/// epoch like the home test split. The three errors follow the home split's conventions; the
/// validation-chosen one is taken at the evaluation the home validation split chose.
public struct DomainEvaluation: Codable, Equatable, Sendable {
    /// The domain's name in tables and plots (`white=PATH` names it `white`; else the file's stem).
    public var name: String
    /// Which cache (path and provenance fields) the domain's rows came from.
    public var cache: [String: String]
    public var testRows: Int
    public var testErrors: [Double]
    public var finalTestError: Double
    public var bestTestError: Double
    public var bestEpoch: Int
    public var validationChosenTestError: Double?

    enum CodingKeys: String, CodingKey {
        case name, cache, testRows = "test_rows", testErrors = "test_errors", finalTestError = "final_test_error"
        case bestTestError = "best_test_error", bestEpoch = "best_epoch"
        case validationChosenTestError = "validation_chosen_test_error"
    }

    /// `errors.validation` is the home validation history (the same epochs).
    public init(name: String, cache: [String: String], testRows: Int, errors: ErrorHistory) {
        self.name = name; self.cache = cache; self.testRows = testRows
        testErrors = errors.test
        finalTestError = errors.final
        bestTestError = errors.best.error
        bestEpoch = errors.best.evaluation
        validationChosenTestError = errors.validationChosen
    }
}

/// One read-out score of the disentanglement report (docs/METHOD.md, "Disentanglement"): how
/// well a small probe reads a target from one code on the test split of one domain.
public struct DisentanglementScore: Codable, Equatable, Sendable {
    /// `home` (the training cache's test split) or an evaluation domain's name.
    public var domain: String
    /// `content` (csd: the class probabilities; the baselines: their logits), `style` (csd),
    /// or `tokens` (the standardised cached tokens, a reference).
    public var code: String
    /// `class` or an attribute's name.
    public var target: String
    /// `accuracy` or `r2`.
    public var metric: String
    public var value: Double
    /// Test rows of the domain (half fit the probe, the other half score it).
    public var rows: Int

    public init(domain: String, code: String, target: String, metric: String, value: Double, rows: Int) {
        self.domain = domain; self.code = code; self.target = target; self.metric = metric; self.value = value
        self.rows = rows
    }
}

extension RunResult {
    /// The home domain's name in reports and in `DisentanglementScore.domain`.
    public static let homeDomain = "home"

    /// The names of the evaluation domains, in the order the run lists them.
    public var domainNames: [String] { (evaluations ?? []).map(\.name) }

    /// This row as if `domain` were its test split (its errors replaced by the domain's), for
    /// the reports' per-domain tables and curves; nil when the run has no such domain.
    public func onDomain(_ domain: String) -> RunResult? {
        guard let e = evaluations?.first(where: { $0.name == domain }) else { return nil }
        var row = self
        row.testErrors = e.testErrors
        row.finalTestError = e.finalTestError
        row.bestTestError = e.bestTestError
        row.bestEpoch = e.bestEpoch
        row.validationChosenTestError = e.validationChosenTestError
        row.testRows = e.testRows
        row.evaluations = nil
        return row
    }
}
