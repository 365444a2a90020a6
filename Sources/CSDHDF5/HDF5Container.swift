import CHDF5

/// What a group contains under one name.
public enum HDF5MemberKind: Sendable, Equatable {
    case group, dataset, other
}

/// A file or group: creates, opens and lists groups and datasets. Names may be paths
/// (`train/features`), relative to this container.
public class HDF5Container: HDF5Object, @unchecked Sendable {
    public func createGroup(_ name: String) throws -> HDF5Group {
        let operation = "create group \"\(childName(name))\""
        try requireOpen(operation)
        let gcpl = try HDF5Call.id(filePath, operation) { H5Pcreate(csd_h5p_group_create()) }
        defer { H5Pclose(gcpl) }
        // No modification times in object headers: the same content gives the same bytes.
        try HDF5Call.status(filePath, operation) { H5Pset_obj_track_times(gcpl, false) }
        let gid = try HDF5Call.id(filePath, operation) {
            H5Gcreate2(id, name, csd_h5p_default(), gcpl, csd_h5p_default())
        }
        return HDF5Group(handle: HDF5Handle(gid, parent: self, closer: H5Gclose),
                         filePath: filePath, name: childName(name))
    }

    public func openGroup(_ name: String) throws -> HDF5Group {
        let operation = "open group \"\(childName(name))\""
        try requireOpen(operation)
        let gid = try HDF5Call.id(filePath, operation) { H5Gopen2(id, name, csd_h5p_default()) }
        return HDF5Group(handle: HDF5Handle(gid, parent: self, closer: H5Gclose),
                         filePath: filePath, name: childName(name))
    }

    /// Creates a dataset of `shape` ([rows, ...]); see `HDF5DatasetOptions` for chunking,
    /// extendibility along axis 0, and compression.
    public func createDataset(_ name: String, type: HDF5ElementType, shape: [Int],
                              options: HDF5DatasetOptions = HDF5DatasetOptions()) throws -> HDF5Dataset {
        let operation = "create dataset \"\(childName(name))\""
        try requireOpen(operation)
        let did = try HDF5Dataset.create(in: id, name: name, type: type, shape: shape, options: options,
                                         path: filePath, operation: operation)
        return try HDF5Dataset(datasetHandle: HDF5Handle(did, parent: self, closer: H5Dclose),
                               filePath: filePath, name: childName(name))
    }

    /// Opens a dataset. When its chunks exceed HDF5's default 1 MiB chunk cache, the cache is
    /// enlarged to hold two chunks (otherwise every row read would decompress a whole chunk);
    /// `chunkCacheBytes` sets the size explicitly.
    public func openDataset(_ name: String, chunkCacheBytes: Int? = nil) throws -> HDF5Dataset {
        let operation = "open dataset \"\(childName(name))\""
        try requireOpen(operation)
        try HDF5RawChecks.chunkLayout(in: id, dataset: name, path: filePath, operation: operation)
        var did = try HDF5Call.id(filePath, operation) { H5Dopen2(id, name, csd_h5p_default()) }
        var cacheBytes = chunkCacheBytes
        if cacheBytes == nil, let chunkBytes = HDF5Dataset.chunkByteCount(did), chunkBytes > 1 << 20 {
            cacheBytes = 2 * chunkBytes
        }
        if let cacheBytes {
            H5Dclose(did)
            let dapl = try HDF5Call.id(filePath, operation) { H5Pcreate(csd_h5p_dataset_access()) }
            defer { H5Pclose(dapl) }
            // 12421 hash slots (a prime, as the HDF5 guide asks); w0 = 1: evict fully read chunks first.
            try HDF5Call.status(filePath, operation) { H5Pset_chunk_cache(dapl, 12421, cacheBytes, 1.0) }
            did = try HDF5Call.id(filePath, operation) { H5Dopen2(id, name, dapl) }
        }
        return try HDF5Dataset(datasetHandle: HDF5Handle(did, parent: self, closer: H5Dclose),
                               filePath: filePath, name: childName(name))
    }

    /// Names directly in this container, in name order.
    public func memberNames() throws -> [String] {
        let operation = "list members of \"\(name)\""
        try requireOpen(operation)
        var info = H5G_info_t()
        try HDF5Call.status(filePath, operation) { H5Gget_info(id, &info) }
        var names: [String] = []
        names.reserveCapacity(Int(info.nlinks))
        for index in 0..<info.nlinks {
            let length = try HDF5Call.status(filePath, operation) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, csd_h5p_default())
            }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try HDF5Call.status(filePath, operation) {
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                   csd_h5p_default())
            }
            names.append(String(cString: buffer))
        }
        return names
    }

    /// Members with their kinds, in name order.
    public func members() throws -> [(name: String, kind: HDF5MemberKind)] {
        try memberNames().map { ($0, try kind(of: $0)) }
    }

    /// What `name` is; throws if it does not exist.
    public func kind(of name: String) throws -> HDF5MemberKind {
        let operation = "inspect \"\(childName(name))\""
        try requireOpen(operation)
        let object = try HDF5Call.id(filePath, operation) { H5Oopen(id, name, csd_h5p_default()) }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Whether a link `name` (a path is checked one level at a time) exists here.
    public func contains(_ name: String) -> Bool {
        guard handle.isOpen else { return false }
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix = prefix.isEmpty ? String(part) : prefix + "/" + part
            csd_h5_enter()
            if H5Lexists(id, prefix, csd_h5p_default()) <= 0 {
                _ = HDF5Call.error(filePath, "")  // clears the stack
                return false
            }
        }
        return !prefix.isEmpty
    }
}
