import CSDMethod
import CSDTensor
import Testing

/// The disentanglement metrics on codes with a known answer.
struct ReadoutProbeTests {
    /// `rows` labels cycling over `classes`, an attribute uniform in [0, 10) and Gaussian noise.
    static func sample(rows: Int = 600, classes: Int = 4, noiseColumns: Int = 3)
        -> (labels: [Int], attribute: [Float], noise: [[Float]]) {
        var rng = RandomStream(seed: 7)
        let labels = (0..<rows).map { $0 % classes }
        let attribute = (0..<rows).map { _ in 10 * rng.uniform() }
        let noise = (0..<rows).map { _ in (0..<noiseColumns).map { _ in rng.normal() } }
        return (labels, attribute, noise)
    }

    static func code(_ columns: [[Float]]) -> Tensor {
        Tensor(columns.flatMap { $0 }, shape: [columns.count, columns[0].count])
    }

    static func score(_ scores: [ReadoutProbe.Score], _ target: String) -> ReadoutProbe.Score {
        scores.first { $0.target == target }!
    }

    @Test func aCodeThatIsTheAttributeReadsItExactly() {
        let s = Self.sample()
        // The attribute itself next to noise columns.
        let code = Self.code(zip(s.attribute, s.noise).map { [$0] + $1 })
        let scores = ReadoutProbe.scores(code: code, labels: s.labels, classes: 4, attributes: ["width": s.attribute])
        let r2 = Self.score(scores, "width")
        #expect(r2.metric == .r2)
        #expect(abs(r2.value - 1) < 1e-3, "R^2 \(r2.value)")
        // An affine image of the attribute too.
        let affine = Self.code(s.attribute.map { [3 * $0 - 5] })
        #expect(abs(Self.score(ReadoutProbe.scores(code: affine, labels: s.labels, classes: 4,
                                                   attributes: ["width": s.attribute]), "width").value - 1) < 1e-3)
    }

    @Test func noiseReadsNothing() {
        let s = Self.sample(rows: 2000, noiseColumns: 4)
        let scores = ReadoutProbe.scores(code: Self.code(s.noise), labels: s.labels, classes: 4,
                                         attributes: ["width": s.attribute])
        let r2 = Self.score(scores, "width").value
        #expect(r2 < 0.02 && r2 > -0.05, "R^2 of noise \(r2)")
        let accuracy = Self.score(scores, "class").value
        #expect(abs(accuracy - 0.25) < 0.06, "class accuracy of noise \(accuracy)")
    }

    @Test func aOneHotCodeGivesTheClass() {
        let s = Self.sample()
        let oneHot = Self.code(s.labels.map { y in (0..<4).map { $0 == y ? Float(1) : 0 } })
        let scores = ReadoutProbe.scores(code: oneHot, labels: s.labels, classes: 4, attributes: [:])
        #expect(scores.count == 1)
        #expect(Self.score(scores, "class").value == 1)
    }

    @Test func twoValuedAttributesAreClassifiedAndConstantsSkipped() {
        let s = Self.sample()
        let indicator = s.attribute.map { $0 < 5 ? Float(0) : 7 }
        let code = Self.code(zip(indicator, s.noise).map { [$0 + 0.1 * $1[0]] + $1 })
        let scores = ReadoutProbe.scores(code: code, labels: s.labels, classes: 4,
                                         attributes: ["stripes": indicator, "fixed": s.attribute.map { _ in 3 }])
        #expect(scores.map(\.target) == ["class", "stripes"])
        #expect(Self.score(scores, "stripes").metric == .accuracy)
        #expect(Self.score(scores, "stripes").value == 1)
    }

    /// Class probabilities sum to one (collinear columns): the regression still gives a number,
    /// and reads an attribute that one of them carries.
    @Test func probabilitiesThatSumToOneStillRegress() {
        let s = Self.sample(rows: 1000)
        let code = Self.code(s.attribute.map { a in
            let p = [a / 10, 1 - a / 10, 0, 0].map { Float($0) }
            return p
        })
        let scores = ReadoutProbe.scores(code: code, labels: s.labels, classes: 4, attributes: ["width": s.attribute])
        let r2 = Self.score(scores, "width").value
        #expect(r2.isFinite && r2 > 0.999, "R^2 \(r2)")
    }

    @Test func halvesAreDisjointAndCoverTheRows() {
        let (fit, score) = ReadoutProbe.halves(count: 101)
        #expect(fit.count == 50 && score.count == 51)
        #expect(Set(fit).isDisjoint(with: score))
        #expect(Set(fit + score) == Set(0..<101))
        #expect(ReadoutProbe.halves(count: 101).fit == fit)
    }

    @Test func r2OfTheMeanIsZeroAndOfAConstantIsNaN() {
        #expect(ReadoutProbe.r2([2, 2, 2], [1, 2, 3]) == 0)
        #expect(ReadoutProbe.r2([1, 2, 3], [1, 2, 3]) == 1)
        #expect(ReadoutProbe.r2([1, 1], [1, 1]).isNaN)
    }
}
