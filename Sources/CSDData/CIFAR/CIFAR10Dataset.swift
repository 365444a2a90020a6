import CSDImage

/// CIFAR-10, binary version: `cifar-10-batches-bin/` (or the folder above it) with
/// `data_batch_1.bin` ... `data_batch_5.bin` (train, in that order) and `test_batch.bin`.
/// Each record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes (32 x 32, row-major).
public struct CIFAR10Dataset: Dataset {
    public static let classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    static let recordBytes = 3073
    /// The official batches hold 10000 records; smaller files (fixtures, subsets) are accepted
    /// when they hold a whole number of records.
    static let officialRecords = 10000

    public let id = "cifar10"
    public let root: String
    public let classNames: [String]
    public let fingerprint: String
    private let splits: [String: CIFARSplit]
    public var splitNames: [String] { ["train", "test"].filter { splits[$0] != nil } }

    public init(root: String) throws {
        let folder = directoryExists(joinPath(root, "cifar-10-batches-bin")) ? joinPath(root, "cifar-10-batches-bin") : root
        guard directoryExists(folder) else { throw DatasetError(file: root, "not a folder (expected cifar-10-batches-bin)") }
        self.root = folder
        classNames = try CIFAR10Dataset.readClassNames(folder)
        let train = (1...5).map { joinPath(folder, "data_batch_\($0).bin") }
        let test = [joinPath(folder, "test_batch.bin")]
        var splits: [String: CIFARSplit] = [:]
        var files: [String] = []
        for (name, paths) in [("train", train), ("test", test)] {
            let present = paths.filter(fileExists)
            if present.isEmpty { continue }
            guard present.count == paths.count else {
                let missing = paths.filter { !fileExists($0) }.map { lastComponent($0) }
                throw DatasetError(file: folder, "\(name) split incomplete: missing \(missing.joined(separator: ", "))")
            }
            splits[name] = try CIFARSplit(name: name, files: paths, classNames: classNames)
            files += paths
        }
        guard !splits.isEmpty else {
            throw DatasetError(file: folder, "no CIFAR-10 batches (data_batch_1.bin ... data_batch_5.bin, test_batch.bin)")
        }
        self.splits = splits
        fingerprint = try Fingerprint.files(files)
    }

    /// `batches.meta.txt` lists the names one per line; absent, the canonical names are used.
    static func readClassNames(_ folder: String) throws -> [String] {
        let path = joinPath(folder, "batches.meta.txt")
        guard fileExists(path) else { return classes }
        let bytes = try FileInput(path: path).readAll()
        guard bytes.count < 1 << 16, let text = String(validating: bytes, as: UTF8.self) else {
            throw DatasetError(file: path, "not a short UTF-8 text file")
        }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count == classes.count else {
            throw DatasetError(file: path, "lists \(names.count) class names, expected \(classes.count)")
        }
        return names
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }
}

struct CIFARSplit: DatasetSplit {
    let name: String
    let files: [String]
    /// Records per file, and where each file starts in the split.
    let records: [Int]
    let starts: [Int]
    let classNames: [String]
    let count: Int
    var attributeNames: [String] { [] }

    init(name: String, files: [String], classNames: [String]) throws {
        self.name = name
        self.files = files
        self.classNames = classNames
        var records: [Int] = [], starts: [Int] = [], total = 0
        for path in files {
            let size = try FileInput(path: path).size
            guard size > 0, size % CIFAR10Dataset.recordBytes == 0 else {
                throw DatasetError(file: path, "size \(size) is not a whole number of \(CIFAR10Dataset.recordBytes)-byte records (an official batch is \(CIFAR10Dataset.officialRecords) x \(CIFAR10Dataset.recordBytes) = \(CIFAR10Dataset.officialRecords * CIFAR10Dataset.recordBytes) bytes)")
            }
            starts.append(total)
            records.append(size / CIFAR10Dataset.recordBytes)
            total += size / CIFAR10Dataset.recordBytes
        }
        self.records = records
        self.starts = starts
        count = total
    }

    /// The file holding sample `index`, and the record's number in it.
    func locate(_ index: Int) -> (file: Int, record: Int) {
        var f = 0
        while f + 1 < starts.count, starts[f + 1] <= index { f += 1 }
        return (f, index - starts[f])
    }

    func checkedLabel(_ byte: UInt8, path: String, record: Int) throws -> Int {
        guard Int(byte) < classNames.count else {
            throw DatasetError(file: path, "record \(record): label byte \(byte) is not below \(classNames.count)")
        }
        return Int(byte)
    }

    func labels() throws -> [Int] {
        var labels: [Int] = []
        labels.reserveCapacity(count)
        for (f, path) in files.enumerated() {
            let bytes = try FileInput(path: path).readAll()
            for r in 0..<records[f] {
                labels.append(try checkedLabel(bytes[r * CIFAR10Dataset.recordBytes], path: path, record: r))
            }
        }
        return labels
    }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: files[0])
        let inputs = try files.map { try FileInput(path: $0) }
        var record = [UInt8](repeating: 0, count: CIFAR10Dataset.recordBytes)
        return IndexedSampleReader(range: range) { index in
            let (f, r) = locate(index)
            try record.withUnsafeMutableBytes { try inputs[f].read(at: r * CIFAR10Dataset.recordBytes, into: $0) }
            let label = try checkedLabel(record[0], path: files[f], record: r)
            // Planar RGB -> interleaved HWC.
            var pixels = [UInt8](repeating: 0, count: 3072)
            for p in 0..<1024 {
                pixels[3 * p] = record[1 + p]
                pixels[3 * p + 1] = record[1025 + p]
                pixels[3 * p + 2] = record[2049 + p]
            }
            return Sample(index: index, image: try Image(height: 32, width: 32, channels: 3, pixels: pixels), label: label)
        }
    }
}
