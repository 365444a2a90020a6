/// A reader for formats with random access: sample `i` is produced on demand, so a sub-range
/// costs nothing to reach.
struct IndexedSampleReader: SampleReader {
    private var position: Int
    private let end: Int
    private let produce: (Int) throws -> Sample

    init(range: Range<Int>, produce: @escaping (Int) throws -> Sample) {
        position = range.lowerBound
        end = range.upperBound
        self.produce = produce
    }

    mutating func next() throws -> Sample? {
        guard position < end else { return nil }
        let sample = try produce(position)
        position += 1
        return sample
    }
}

/// Checks that a requested range lies inside a split of `count` samples.
func checkRange(_ range: Range<Int>, count: Int, split: String, dataset: String) throws {
    guard range.lowerBound >= 0, range.upperBound <= count else {
        throw DatasetError(file: dataset, "range \(range.lowerBound)..<\(range.upperBound) is outside split '\(split)' (0..<\(count))")
    }
}

/// The error for a split name a data set does not have.
func unknownSplit(_ name: String, dataset: String, available: [String]) -> DatasetError {
    DatasetError(file: dataset, "no split '\(name)' (available: \(available.joined(separator: ", ")))")
}

/// `a * b * ...` or nil on overflow: header sizes are checked before they are trusted.
func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for v in values {
        guard v >= 0 else { return nil }
        let (p, overflow) = product.multipliedReportingOverflow(by: v)
        if overflow { return nil }
        product = p
    }
    return product
}
