import CSDImage
import Foundation

/// A user's images: `root/<class>/<image files>` (classes and files sorted by name), or
/// `root/train/<class>/...` and `root/test/<class>/...`. PNG and JPEG (`.png`, `.jpg`, `.jpeg`,
/// any case); other files and hidden files are ignored. Class names are the union over splits,
/// so labels agree between them. Images keep their own channel count (gray or RGB).
public struct ImageFolderDataset: Dataset {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    public let id: String
    public let root: String
    public let classNames: [String]
    public let fingerprint: String
    public let splitNames: [String]
    private let splits: [String: FolderSplit]

    public init(root: String) throws {
        guard directoryExists(root) else { throw DatasetError(file: root, "not a folder") }
        self.root = root
        id = "folder:" + lastComponent(root)
        let hasSplits = directoryExists(joinPath(root, "train")) && directoryExists(joinPath(root, "test"))
        let splitRoots = hasSplits ? [("train", joinPath(root, "train")), ("test", joinPath(root, "test"))] : [("train", root)]

        var perSplit: [(String, [String: [String]])] = []
        var classSet = Set<String>()
        for (name, folder) in splitRoots {
            var classes: [String: [String]] = [:]
            for entry in try ImageFolderDataset.list(folder) where directoryExists(joinPath(folder, entry)) {
                let classFolder = joinPath(folder, entry)
                classes[entry] = try ImageFolderDataset.list(classFolder).filter { file in
                    let ext = file.split(separator: ".").last.map { $0.lowercased() } ?? ""
                    return file.contains(".") && ImageFolderDataset.extensions.contains(ext) && fileExists(joinPath(classFolder, file))
                }
                classSet.insert(entry)
            }
            perSplit.append((name, classes))
        }
        classNames = classSet.sorted()
        guard !classNames.isEmpty else { throw DatasetError(file: root, "no class folders (expected root/<class>/<images>)") }

        var splits: [String: FolderSplit] = [:]
        var allFiles: [String] = []
        for ((name, folder), (_, classes)) in zip(splitRoots, perSplit) {
            var files: [String] = [], labels: [Int] = []
            for (label, className) in classNames.enumerated() {
                for file in classes[className] ?? [] {
                    files.append(joinPath(joinPath(folder, className), file))
                    labels.append(label)
                }
            }
            guard !files.isEmpty else { throw DatasetError(file: folder, "split '\(name)' has no PNG or JPEG images") }
            splits[name] = FolderSplit(name: name, files: files, labelList: labels, classNames: classNames)
            allFiles += files
        }
        self.splits = splits
        splitNames = splitRoots.map(\.0)
        fingerprint = try ImageFolderDataset.fingerprint(root: root, files: allFiles)
    }

    /// Visible entries of a folder, sorted by name.
    static func list(_ folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DatasetError(file: folder, "cannot list folder: \(error.localizedDescription)")
        }
    }

    /// Every file's relative path and size, plus the edge bytes of up to 64 evenly spaced files:
    /// cheap for 100k-image folders, and any renamed, added or resized image changes it.
    static func fingerprint(root: String, files: [String]) throws -> String {
        var hasher = Fingerprint.Hasher()
        for path in files {
            hasher.combine(String(path.dropFirst(root.count)))
            hasher.combine(try FileInput(path: path).size)
        }
        let step = max(1, files.count / 64)
        let sampled = stride(from: 0, to: files.count, by: step).map { files[$0] }
        hasher.combine(try Fingerprint.files(sampled))
        return "fnv1a64:" + hasher.hex
    }

    public func split(_ name: String) throws -> any DatasetSplit {
        guard let split = splits[name] else { throw unknownSplit(name, dataset: root, available: splitNames) }
        return split
    }
}

struct FolderSplit: DatasetSplit {
    let name: String
    let files: [String]
    let labelList: [Int]
    let classNames: [String]
    var count: Int { files.count }
    var attributeNames: [String] { [] }

    func labels() throws -> [Int] { labelList }

    func reader(range: Range<Int>) throws -> any SampleReader {
        try checkRange(range, count: count, split: name, dataset: files.first ?? name)
        return IndexedSampleReader(range: range) { index in
            Sample(index: index, image: try ImageFileDecoder.decode(file: files[index]), label: labelList[index])
        }
    }
}
