import Foundation

/// Opens data sets from spec strings: `<kind>:<path>[?key=value&...]`.
///
/// | kind | path | options |
/// |---|---|---|
/// | `mnist`, `fashion-mnist` | folder of IDX files (plain or .gz) | none |
/// | `mnist-white-stripes`, `mnist-yellow-stripes` | folder of MNIST IDX files | `seed`, `width`, `spacing`, `angle`, `phase` |
/// | `fashion-mnist-white-stripes`, `fashion-mnist-yellow-stripes` | folder of Fashion-MNIST IDX files | as above |
/// | `cifar10` | `cifar-10-batches-bin` or the folder above it | none |
/// | `svhn` | folder of `*_32x32.mat` | none |
/// | `galaxymnist` | folder of `train_dataset.hdf5[.gz]`, `test_dataset.hdf5[.gz]` | none |
/// | `folder` | image folder (`<class>/<images>` or `train/`, `test/`) | none |
/// | `npy` | `<images.npy>,<labels.npy>` or a folder | `classes` (comma-separated names) |
/// | `synthetic` | none | `classes`, `train`, `test`, `size`, `seed` |
public enum DatasetRegistry {
    public static let kinds = ["mnist", "fashion-mnist", "mnist-white-stripes", "mnist-yellow-stripes",
                               "fashion-mnist-white-stripes", "fashion-mnist-yellow-stripes", "cifar10", "svhn",
                               "galaxymnist", "folder", "npy", "synthetic"]

    public static func open(_ spec: String) throws -> any Dataset {
        let parsed = try DatasetSpec(parsing: spec)
        var options = SpecOptions(parsed, spec: spec)
        let path = (parsed.path as NSString).expandingTildeInPath
        func requirePath() throws {
            guard !parsed.path.isEmpty else {
                throw DatasetError(file: spec, "missing path: \(parsed.kind) needs \(parsed.kind):<path>")
            }
        }
        switch parsed.kind {
        case "mnist", "fashion-mnist":
            try requirePath()
            try options.finish(kind: parsed.kind, accepted: [])
            return parsed.kind == "mnist"
                ? try IDXDataset(root: path, id: "mnist", classNames: IDXDataset.mnistClasses)
                : try IDXDataset(root: path, id: "fashion-mnist", classNames: IDXDataset.fashionMNISTClasses)
        case "mnist-white-stripes", "mnist-yellow-stripes", "fashion-mnist-white-stripes", "fashion-mnist-yellow-stripes":
            try requirePath()
            let stripes = try StripeOptions(parsing: &options)
            try options.finish(kind: parsed.kind, accepted: StripeOptions.keys)
            // Any IDX folder of 28 x 28 images; the kind names the classes.
            let base = parsed.kind.hasPrefix("fashion-")
                ? try IDXDataset(root: path, id: "fashion-mnist", classNames: IDXDataset.fashionMNISTClasses)
                : try IDXDataset(root: path, id: "mnist", classNames: IDXDataset.mnistClasses)
            return try StripedMNISTDataset(base: base, color: parsed.kind.hasSuffix("white-stripes") ? .white : .yellow,
                                           options: stripes)
        case "cifar10":
            try requirePath()
            try options.finish(kind: parsed.kind, accepted: [])
            return try CIFAR10Dataset(root: path)
        case "svhn":
            try requirePath()
            try options.finish(kind: parsed.kind, accepted: [])
            return try SVHNDataset(root: path)
        case "galaxymnist":
            try requirePath()
            try options.finish(kind: parsed.kind, accepted: [])
            return try GalaxyMNISTDataset(root: path)
        case "folder":
            try requirePath()
            try options.finish(kind: parsed.kind, accepted: [])
            return try ImageFolderDataset(root: path)
        case "npy":
            try requirePath()
            let classes = options.take("classes").map { $0.split(separator: ",").map(String.init) }
            try options.finish(kind: parsed.kind, accepted: ["classes"])
            return try NPYDataset(path: path, classNames: classes)
        case "synthetic":
            guard parsed.path.isEmpty else {
                throw DatasetError(file: spec, "synthetic takes no path (synthetic or synthetic:?key=value&...)")
            }
            let synthetic = try SyntheticDataset.Options(parsing: &options)
            try options.finish(kind: parsed.kind, accepted: SyntheticDataset.Options.keys)
            return try SyntheticDataset(options: synthetic)
        default:
            throw DatasetError(file: spec, "unknown data-set kind '\(parsed.kind)' (known: \(kinds.joined(separator: ", ")))")
        }
    }
}
