import CSDTestSupport
@testable import CSDData
import Foundation
import Testing

@Suite struct RegistryTests {
    @Test func parsesSpecs() throws {
        let spec = try DatasetSpec(parsing: "mnist-yellow-stripes:/data/mnist?seed=3&width=2,4")
        #expect(spec.kind == "mnist-yellow-stripes" && spec.path == "/data/mnist")
        #expect(spec.options.map(\.key) == ["seed", "width"] && spec.options.map(\.value) == ["3", "2,4"])
        let bare = try DatasetSpec(parsing: "synthetic")
        #expect(bare.kind == "synthetic" && bare.path.isEmpty && bare.options.isEmpty)
        let query = try DatasetSpec(parsing: "synthetic:?classes=10&train=2000&test=500&size=32&seed=0")
        #expect(query.path.isEmpty && query.options.count == 5)
        // Only the first ':' separates the kind.
        #expect(try DatasetSpec(parsing: "folder:/a:b/c").path == "/a:b/c")
    }

    @Test func reportsSpecProblems() throws {
        expectDatasetError(["unknown data-set kind 'imagenet'", "known: mnist"]) { _ = try DatasetRegistry.open("imagenet:/data") }
        expectDatasetError(["missing path", "mnist:<path>"]) { _ = try DatasetRegistry.open("mnist") }
        expectDatasetError(["missing path"]) { _ = try DatasetRegistry.open("cifar10:?x=1") }
        expectDatasetError(["unknown option 'seed' for mnist", "accepted: none"]) { _ = try DatasetRegistry.open("mnist:\(Fixtures.path("idx"))?seed=1") }
        expectDatasetError(["option 'seed' given twice"]) { _ = try DatasetRegistry.open("synthetic:?seed=1&seed=2") }
        expectDatasetError(["has no value"]) { _ = try DatasetRegistry.open("synthetic:?seed") }
        expectDatasetError(["empty data-set kind"]) { _ = try DatasetRegistry.open(":/data") }
        expectDatasetError(["not a folder"]) { _ = try DatasetRegistry.open("cifar10:/nonexistent/cifar") }
    }

    @Test func fingerprintsFollowTheFiles() throws {
        let a = try DatasetRegistry.open("mnist:" + Fixtures.path("idx")).fingerprint
        #expect(a == (try DatasetRegistry.open("mnist:" + Fixtures.path("idx")).fingerprint))
        let folder = TemporaryFolder()
        try folder.copy(fixture: "idx", as: "idx")
        #expect(try DatasetRegistry.open("mnist:" + folder.file("idx")).fingerprint == a)
        try modify(folder.file("idx/train-images-idx3-ubyte")) { $0[100] ^= 1 }
        #expect(try DatasetRegistry.open("mnist:" + folder.file("idx")).fingerprint != a)
        let f1 = try DatasetRegistry.open("folder:" + Fixtures.path("folder")).fingerprint
        let copy = try folder.copy(fixture: "folder", as: "images")
        #expect(try DatasetRegistry.open("folder:" + copy).fingerprint == f1)
        try FileManager.default.removeItem(atPath: copy + "/test/dog/z_gray1.png")
        #expect(try DatasetRegistry.open("folder:" + copy).fingerprint != f1)
    }

    /// Every kind the registry knows opens from its fixture.
    @Test func opensEveryKind() throws {
        let specs = ["mnist:\(Fixtures.path("idx"))", "fashion-mnist:\(Fixtures.path("idx"))",
                     "mnist-white-stripes:\(Fixtures.path("idx"))", "mnist-yellow-stripes:\(Fixtures.path("idx"))",
                     "fashion-mnist-white-stripes:\(Fixtures.path("idx"))",
                     "fashion-mnist-yellow-stripes:\(Fixtures.path("idx"))",
                     "cifar10:\(Fixtures.path("cifar"))", "svhn:\(Fixtures.path("svhn"))",
                     "galaxymnist:\(Fixtures.path("galaxy"))", "folder:\(Fixtures.path("folder"))",
                     "npy:\(Fixtures.path("npy"))", "synthetic:?train=3&test=2"]
        #expect(Set(specs.map { String($0.prefix(while: { $0 != ":" })) }) == Set(DatasetRegistry.kinds))
        for spec in specs {
            let dataset = try DatasetRegistry.open(spec)
            #expect(!dataset.fingerprint.isEmpty && dataset.splitNames.contains("train"))
            let split = try dataset.split("train")
            #expect(try split.labels().count == split.count && split.count > 0)
        }
    }
}
