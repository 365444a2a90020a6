/// What one split of the source data set looks like: everything a cache group records about
/// it besides the rows themselves.
public struct FeatureSplitSpec: Codable, Equatable, Sendable {
    /// The group name: `train`, `test`, ... (letters, digits, `_`, `-`, `.`).
    public var name: String
    /// Rows of the split in the source (a shard writes a slice of them).
    public var rows: Int
    /// Class names in label order.
    public var classNames: [String]
    /// Names of the per-sample float32 attributes, in the order batches supply them.
    public var attributeNames: [String]

    public init(name: String, rows: Int, classNames: [String], attributeNames: [String] = []) {
        self.name = name
        self.rows = rows
        self.classNames = classNames
        self.attributeNames = attributeNames
    }

    enum CodingKeys: String, CodingKey {
        case name, rows
        case classNames = "class_names"
        case attributeNames = "attribute_names"
    }

    /// Each differing field with both values (self's first), as for provenance.
    public func differences(from other: FeatureSplitSpec) -> [String] {
        var out: [String] = []
        if name != other.name { out.append("split: \"\(name)\" vs \"\(other.name)\"") }
        if rows != other.rows { out.append("rows: \(rows) vs \(other.rows)") }
        if classNames != other.classNames { out.append("class_names: \(classNames) vs \(other.classNames)") }
        if attributeNames.sorted() != other.attributeNames.sorted() {
            out.append("attributes: \(attributeNames.sorted()) vs \(other.attributeNames.sorted())")
        }
        return out
    }

    /// Names that are safe as an HDF5 group name and as part of a journal's file name.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }
}
