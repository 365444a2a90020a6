import CSDSystem

/// One journal record, little-endian and fixed-size, so a torn tail is found by length and CRC:
///
///     index      int64        position in the source data set
///     label      int64
///     features   float32 x D
///     attributes float32 x A  (in the split's attribute-name order)
///     crc32      uint32       zlib CRC-32 of the bytes above
struct JournalRecordLayout: Equatable {
    let featureDim: Int
    let attributeCount: Int

    var featuresOffset: Int { 16 }
    var attributesOffset: Int { 16 + 4 * featureDim }
    var crcOffset: Int { 16 + 4 * (featureDim + attributeCount) }
    var recordBytes: Int { crcOffset + 4 }

    /// Written to the journal header so a reader of another layout version refuses it.
    var description: String {
        "index:i64le,label:i64le,features:f32le[\(featureDim)],attributes:f32le[\(attributeCount)],crc32:u32le"
    }

    /// Whether the record at `record` (recordBytes long) carries a matching CRC.
    func isValid(_ record: UnsafeRawBufferPointer) -> Bool {
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: crcOffset, as: UInt32.self))
        return stored == CRC32.checksum(UnsafeRawBufferPointer(rebasing: record[0..<crcOffset]))
    }
}
