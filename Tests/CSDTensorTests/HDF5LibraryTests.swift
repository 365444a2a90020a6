import CHDF5
import CSDHDF5
import Foundation
import Testing

@Suite struct HDF5LibraryTests {
    @Test func hdf5VersionIsSane() {
        let v = HDF5Library.version
        #expect(v >= HDF5Library.Version(major: 1, minor: 10, release: 0))
        #expect(v.major < 3)
        #expect(v.description.split(separator: ".").count == 3)
    }

    @Test func libraryIsThreadSafe() {
        // Parallel tests and sweeps call HDF5 from several threads; Debian's build allows it.
        #expect(HDF5Library.isThreadSafe)
    }

    @Test func zlibVersionIsSane() throws {
        let parts = ZlibLibrary.version.split(separator: ".").compactMap { Int($0) }
        try #require(parts.count >= 2)
        #expect(parts[0] == 1 && parts[1] >= 2)
    }

    /// Writes a 2x3 float dataset to a fresh file and reads it back through the shim's wrappers.
    @Test func floatDatasetRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("csd-hdf5-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = [1, 2, 3, -4.5, 0, .pi]

        try write(values, rows: 2, columns: 3, to: path)

        // Without HDF5's file lock: a test elsewhere in this process may be spawning a child,
        // which holds a copy of the writer's descriptor (and its lock) until it execs.
        let fapl = H5Pcreate(csd_h5p_file_access())
        try #require(fapl >= 0)
        defer { H5Pclose(fapl) }
        try #require(H5Pset_file_locking(fapl, false, true) >= 0)
        let reopened = H5Fopen(path, csd_h5f_acc_rdonly(), fapl)
        try #require(reopened >= 0)
        defer { H5Fclose(reopened) }
        let readSet = H5Dopen2(reopened, "features", csd_h5p_default())
        try #require(readSet >= 0)
        defer { H5Dclose(readSet) }
        let readSpace = H5Dget_space(readSet)
        defer { H5Sclose(readSpace) }
        var readDims: [hsize_t] = [0, 0]
        #expect(H5Sget_simple_extent_dims(readSpace, &readDims, nil) == 2)
        #expect(readDims == [2, 3])
        var back = [Float](repeating: .nan, count: 6)
        #expect(H5Dread(readSet, csd_h5t_native_float(), csd_h5s_all(), csd_h5s_all(),
                        csd_h5p_default(), &back) >= 0)
        #expect(back == values)
    }

    /// Creates `path` (failing if it exists) with one [rows, columns] float dataset "features".
    private func write(_ values: [Float], rows: Int, columns: Int, to path: String) throws {
        let file = H5Fcreate(path, csd_h5f_acc_excl(), csd_h5p_default(), csd_h5p_default())
        try #require(file >= 0)
        defer { H5Fclose(file) }
        var dims: [hsize_t] = [hsize_t(rows), hsize_t(columns)]
        let space = H5Screate_simple(2, &dims, nil)
        try #require(space >= 0)
        defer { H5Sclose(space) }
        // H5P_DATASET_CREATE names the property-list class; a dataset wants an instance of it.
        let dcpl = H5Pcreate(csd_h5p_dataset_create())
        try #require(dcpl >= 0)
        defer { H5Pclose(dcpl) }
        let dataset = H5Dcreate2(file, "features", csd_h5t_native_float(), space,
                                 csd_h5p_default(), dcpl, csd_h5p_default())
        try #require(dataset >= 0)
        defer { H5Dclose(dataset) }
        #expect(H5Dwrite(dataset, csd_h5t_native_float(), csd_h5s_all(), csd_h5s_all(),
                         csd_h5p_default(), values) >= 0)
    }
}
