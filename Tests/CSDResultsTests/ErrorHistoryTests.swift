import CSDResults
import Testing

/// docs/METHOD.md's three errors of a run from its evaluations.
struct ErrorHistoryTests {
    @Test func finalBestAndValidationChosen() {
        let h = ErrorHistory(test: [0.30, 0.20, 0.25, 0.20], validation: [0.40, 0.35, 0.30, 0.30])
        #expect(h.final == 0.20)
        #expect(h.best.error == 0.20 && h.best.evaluation == 2)
        // The validation minimum is first reached at the third evaluation (ties: the first).
        #expect(h.validationChosen == 0.25)
        #expect(ErrorHistory(test: [0.3, 0.2]).validationChosen == nil)
        #expect(ErrorHistory(test: [0.3, 0.2], validation: [0.1]).validationChosen == nil)
    }
}
