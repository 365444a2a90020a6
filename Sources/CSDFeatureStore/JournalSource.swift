import CSDSystem

/// The rows of a journal, de-interleaved into a block (features converted to float16 when the
/// cache stores float16: conversion happens once, here, when the file is built).
final class JournalSource: SplitRowSource {
    let journal: FeatureJournal
    /// For each output attribute (sorted), its position in the journal's records.
    private let attributeSlots: [Int]
    private var staging: UnsafeMutableRawBufferPointer
    private var stagingRecords = 0

    init(journal: FeatureJournal, outputAttributeNames: [String]) {
        self.journal = journal
        let recordOrder = journal.header.split.attributeNames
        attributeSlots = outputAttributeNames.map { recordOrder.firstIndex(of: $0)! }
        staging = .allocate(byteCount: 0, alignment: 16)
    }

    deinit { staging.deallocate() }

    var rowCount: Int { journal.committedRows }

    func read(_ rows: Range<Int>, into block: RowBlock) throws {
        let layout = journal.layout, recordBytes = layout.recordBytes, dim = layout.featureDim
        if stagingRecords < rows.count {
            staging.deallocate()
            staging = .allocate(byteCount: rows.count * recordBytes, alignment: 16)
            stagingRecords = rows.count
        }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: staging[0..<(rows.count * recordBytes)])
        try journal.readRecords(rows, into: bytes)
        let base = block.count
        for r in 0..<rows.count {
            let record = UnsafeRawBufferPointer(rebasing: bytes[(r * recordBytes)..<((r + 1) * recordBytes)])
            let row = base + r
            block.indices[row] = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 0, as: Int64.self))
            block.labels[row] = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))
            let features = UnsafeRawBufferPointer(rebasing: record[layout.featuresOffset..<layout.attributesOffset])
            let target = block.featureBytes(row, 1)
            switch block.dtype {
            case .f32:
                target.copyMemory(from: features)
            case .f16:
                let halves = target.bindMemory(to: UInt16.self)
                for j in 0..<dim {
                    halves[j] = HalfPrecision.half(from: features.loadUnaligned(fromByteOffset: 4 * j, as: Float.self))
                }
            }
            for (a, slot) in attributeSlots.enumerated() {
                block.attributes[a][row] = record.loadUnaligned(fromByteOffset: layout.attributesOffset + 4 * slot, as: Float.self)
            }
        }
        block.commit(rows.count)
    }
}
