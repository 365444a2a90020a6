import CSDMethod
import Testing

/// The validation hold-out: class-balanced, disjoint from everything trained on, reproducible.
struct HoldOutTests {
    static let labels = (0..<500).map { ($0 * 7 + $0 / 13) % 5 }

    @Test func validationIsBalancedAndDisjointFromEverySubset() {
        let (validation, rest) = LabelSubsets.holdOut(labels: Self.labels, classes: 5, perClass: 6, seed: 2)
        #expect(validation.count == 30)
        for c in 0..<5 { #expect(validation.filter { Self.labels[$0] == c }.count == 6) }
        #expect(Set(validation).isDisjoint(with: rest) && validation.count + rest.count == Self.labels.count)
        var previous: Set<Int> = []
        for n in [5, 10, 50, 200] {
            let subset = LabelSubsets.subset(of: rest, labels: Self.labels, classes: 5, size: n, seed: 2)
            #expect(subset.count == n && Set(subset).isDisjoint(with: validation))
            #expect(previous.isSubset(of: Set(subset)), "subsets stay nested")
            for c in 0..<5 { #expect(subset.filter { Self.labels[$0] == c }.count == n / 5) }
            previous = Set(subset)
        }
        #expect(LabelSubsets.holdOut(labels: Self.labels, classes: 5, perClass: 6, seed: 2).validation == validation)
        #expect(LabelSubsets.holdOut(labels: Self.labels, classes: 5, perClass: 6, seed: 3).validation != validation)
    }

    @Test func noHoldOutLeavesTheSubsetsAsTheyWere() {
        let (validation, rest) = LabelSubsets.holdOut(labels: Self.labels, classes: 5, perClass: 0, seed: 1)
        #expect(validation.isEmpty && rest == Array(Self.labels.indices))
        #expect(LabelSubsets.subset(of: rest, labels: Self.labels, classes: 5, size: 40, seed: 1)
                == LabelSubsets.subset(labels: Self.labels, classes: 5, size: 40, seed: 1))
    }

    @Test func defaultSizeIsTenPerClassAtMostATenth() {
        #expect(LabelSubsets.defaultValidationPerClass(trainRows: 60000, classes: 10) == 10)
        #expect(LabelSubsets.defaultValidationPerClass(trainRows: 500, classes: 10) == 5)
        #expect(LabelSubsets.defaultValidationPerClass(trainRows: 50, classes: 10) == 0)
    }
}
