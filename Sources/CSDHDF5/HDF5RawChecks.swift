import CHDF5
import Foundation

/// What libhdf5 1.10 trusts in a file and crashes on, checked from the file's bytes before it
/// reads them (each found by the hostile-cache corpus or by flipping bytes of a cache):
/// - in a global heap (where variable-length strings live): an object size near 2^64 (the read
///   pointer wraps: a segmentation fault), an object index past the collection's (read
///   unchecked), a free-space object of size 0 (an endless loop). Before a string attribute is
///   read, its message is found in its object's header (version 1 or 2, continuations followed)
///   or fractal heap, and every object of each collection its strings point into must fit in
///   the collection, and the collection in the file (`globalHeap`);
/// - a chunked layout of rank 0 or with a dimension of 0: opening the dataset divides by it
///   (SIGFPE). The layout message is read before the dataset is opened (`chunkLayout`).
/// Whatever this parse does not recognise (attributes in a fractal heap past its root's direct
/// blocks, 4-byte addresses, a pointer to no collection) is left to libhdf5, which reports those
/// as errors; only what it would crash on is refused here.
enum HDF5RawChecks {
    struct Damaged: Error { let message: String }

    /// Bounds-checked little-endian reads of a file's bytes.
    struct Bytes {
        let fd: Int32, fileSize: UInt64

        func read(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
            guard count >= 0, offset <= fileSize, UInt64(count) <= fileSize - offset else {
                throw Damaged(message: "\(count) bytes at \(offset) lie beyond the end of the file (\(fileSize) bytes)")
            }
            var out = [UInt8](repeating: 0, count: count)
            let got = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            guard got == count else { throw Damaged(message: "cannot read \(count) bytes at \(offset)") }
            return out
        }
    }

    static func integer(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64? {
        guard at >= 0, width <= 8, at + width <= bytes.count else { return nil }
        return (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    /// Runs `body` on the file's bytes; nil where the file cannot be opened (libhdf5 says why).
    static func withBytes<R>(_ path: String, _ body: (Bytes) throws -> R?) rethrows -> R? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return try body(Bytes(fd: fd, fileSize: UInt64(st.st_size)))
    }

    /// Refuses a chunked layout with a dimension of 0 for dataset `name` in `container`, before
    /// libhdf5 opens it.
    static func chunkLayout(in container: hid_t, dataset name: String, path: String, operation: String) throws {
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(container, name, &info, UInt32(H5O_INFO_BASIC), csd_h5p_default()) >= 0 else { return }
        let dims: [UInt64]? = withBytes(path) { file in
            guard let layout = (try? messages(file, header: UInt64(info.addr)))?.first(where: { $0.type == 0x08 }) else { return nil }
            return chunkDimensions(layout.data)
        }
        // A chunk has a dimension per axis and one for the element size: none may be 0.
        if let dims, dims.count < 2 || dims.contains(0) {
            throw HDF5Error(path: path, operation: operation, message: "damaged layout: chunk dimensions \(dims)")
        }
    }

    /// The chunk dimensions (the last is the element size) in a layout message; nil unless chunked.
    static func chunkDimensions(_ m: [UInt8]) -> [UInt64]? {
        guard m.count >= 2 else { return nil }
        switch m[0] {
        case 1, 2:  // version, rank + 1, class, 5 reserved, address (unless compact), dimensions of 4 bytes
            guard m.count >= 3, m[2] == 2 else { return nil }
            return (0..<Int(m[1])).compactMap { integer(m, 16 + 4 * $0, 4) }
        case 3:  // version, class; chunked: rank + 1, address, dimensions of 4 bytes
            guard m[1] == 2, m.count >= 3 else { return nil }
            return (0..<Int(m[2])).compactMap { integer(m, 11 + 4 * $0, 4) }
        case 4:  // version, class; chunked: flags, rank + 1, bytes per dimension, dimensions
            guard m[1] == 2, m.count >= 5, (1...8).contains(m[4]) else { return nil }
            return (0..<Int(m[3])).compactMap { integer(m, 5 + Int(m[4]) * $0, Int(m[4])) }
        default:
            return nil
        }
    }

    /// Checks the collections behind the `count` elements of string attribute `name` of the
    /// object `object` in the file at `path`.
    static func globalHeap(object: hid_t, attribute name: String, count: Int, path: String) throws {
        var info = H5O_info_t()
        guard H5Oget_info2(object, &info, UInt32(H5O_INFO_BASIC)) >= 0 else { return }
        try withBytes(path) { file -> Void? in try globalHeap(file, header: UInt64(info.addr), attribute: name, count: count, path: path) }
    }

    static func globalHeap(_ file: Bytes, header: UInt64, attribute name: String, count: Int, path: String) throws {
        do {
            // A header or heap this parse cannot read is libhdf5's to refuse (it does, without crashing).
            guard let data = try? attributeData(file, header: header, name: name) else { return }
            // Each element: length (4), collection address (8), object index (4).
            guard data.count / 16 >= count else {
                throw Damaged(message: "attribute \"\(name)\" declares \(count) strings but stores \(data.count) bytes")
            }
            var collections: [UInt64: [UInt16: UInt64]] = [:]
            for i in 0..<count {
                guard let length = integer(data, 16 * i, 4), let address = integer(data, 16 * i + 4, 8),
                      let index = integer(data, 16 * i + 12, 4) else { return }
                if length == 0 { continue }
                if collections[address] == nil {
                    guard let objects = try objectSizes(file, collection: address) else { continue }
                    collections[address] = objects
                }
                // libhdf5 indexes the collection's objects with all 32 bits, unchecked.
                guard index <= UInt64(UInt16.max), let size = collections[address]![UInt16(index)], length <= size else {
                    throw Damaged(message: "string \(i) of attribute \"\(name)\" (\(length) bytes) is not object \(index) of the global heap collection at byte \(address)")
                }
            }
        } catch let damaged as Damaged {
            throw HDF5Error(path: path, operation: "read attribute \"\(name)\"",
                            message: "damaged global heap (variable-length strings): \(damaged.message)")
        }
    }

    /// The sizes of the objects in the global heap collection at `address` by index; nil where
    /// no collection starts there (libhdf5 refuses that itself).
    static func objectSizes(_ file: Bytes, collection address: UInt64) throws -> [UInt16: UInt64]? {
        let head = try file.read(address, 16)
        guard head[0..<4].elementsEqual("GCOL".utf8), head[4] == 1, let size = integer(head, 8, 8) else { return nil }
        guard size >= 16, size <= file.fileSize, address <= file.fileSize - size else {
            throw Damaged(message: "the collection at byte \(address) declares \(size) bytes, beyond the end of the file")
        }
        let bytes = try file.read(address, Int(size))
        var sizes: [UInt16: UInt64] = [:]
        var offset = 16
        while offset + 16 <= bytes.count {
            let index = UInt16(integer(bytes, offset, 2)!), objectSize = integer(bytes, offset + 8, 8)!
            // Free space (object 0) counts its own 16-byte header, and libhdf5 steps over it by
            // its size: one of 0 is an endless loop. The others do not count their header.
            let room = UInt64(bytes.count - offset - (index == 0 ? 0 : 16))
            guard objectSize <= room, index != 0 || objectSize >= 16 else {
                throw Damaged(message: "object \(index) of the collection at byte \(address) declares \(objectSize) bytes, "
                              + "\(objectSize > room ? "more than the \(room) left in it" : "less than its header")")
            }
            if index == 0 {
                offset += Int(objectSize)
                continue
            }
            sizes[index] = objectSize
            offset += 16 + Int((objectSize + 7) / 8 * 8)
        }
        return sizes
    }

    /// The raw value of attribute `name` of the object whose header is at `header`: from its
    /// attribute messages, or, in dense storage (a newer-format object with many attributes),
    /// from its fractal heap's direct blocks. Nil where this parse does not find it.
    static func attributeData(_ file: Bytes, header: UInt64, name: String) throws -> [UInt8]? {
        let all = try messages(file, header: header)
        for message in all where message.type == 0x0C {
            if let data = value(ofAttribute: name, message: message.data[...]) { return data }
        }
        for message in all where message.type == 0x15 {  // attribute info: the fractal heap's address
            let m = message.data
            guard m.count >= 2, let heap = integer(m, 2 + (m[1] & 1 != 0 ? 2 : 0), 8) else { continue }
            for (address, size) in try directBlocks(file, heap: heap) {
                let block = try file.read(address, size)
                let key = Array(name.utf8) + [0]
                var from = block.startIndex
                while let found = block[from...].firstRange(of: key) {
                    // The message starts 8 (version 2) or 9 (version 3) bytes before its name.
                    for start in [found.lowerBound - 9, found.lowerBound - 8] where start >= 0 {
                        if let data = value(ofAttribute: name, message: block[start...]) { return data }
                    }
                    from = found.upperBound
                }
            }
        }
        return nil
    }

    /// The direct blocks (address, size) of the unfiltered fractal heap whose header is at
    /// `heap`: its root, or the direct children of its root indirect block (16 MiB at most).
    static func directBlocks(_ file: Bytes, heap: UInt64) throws -> [(UInt64, Int)] {
        let h = try file.read(heap, 142)
        guard h[0..<4].elementsEqual("FRHP".utf8), integer(h, 7, 2) == 0, let width = integer(h, 110, 2),
              let start = integer(h, 112, 8), let maxDirect = integer(h, 120, 8), let maxHeapBits = integer(h, 128, 2),
              let root = integer(h, 132, 8), let rows = integer(h, 140, 2),
              start > 0, start <= 1 << 20, maxDirect >= start, maxDirect <= 1 << 24 else { return [] }
        if rows == 0 { return [(root, Int(start))] }
        // Row r's blocks are start * 2^max(0, r - 1) bytes; rows past the largest direct size
        // hold indirect blocks, which are not followed.
        let directRows = UInt64(max(0, maxDirect.trailingZeroBitCount - start.trailingZeroBitCount + 2))
        let entries = Int(min(rows, directRows) * width)
        let offsetBytes = Int((maxHeapBits + 7) / 8)
        let block = try file.read(root, 13 + offsetBytes + 8 * entries)
        guard block[0..<4].elementsEqual("FHIB".utf8) else { return [] }
        var out: [(UInt64, Int)] = [], total = 0
        for entry in 0..<entries {
            let size = Int(start) << max(0, entry / Int(width) - 1)
            guard let address = integer(block, 13 + offsetBytes + 8 * entry, 8), address != .max,
                  total + size <= 1 << 24 else { continue }
            out.append((address, size))
            total += size
        }
        return out
    }

    /// The raw value in an attribute message (`message` from its first byte on) named `name`.
    static func value(ofAttribute name: String, message: ArraySlice<UInt8>) -> [UInt8]? {
        let m = Array(message)
        guard m.count >= 9, let nameSize = integer(m, 2, 2), let typeSize = integer(m, 4, 2),
              let spaceSize = integer(m, 6, 2) else { return nil }
        let pad: (UInt64) -> Int
        let start: Int
        switch m[0] {
        case 1: pad = { Int(($0 + 7) / 8 * 8) }; start = 8
        case 2: pad = { Int($0) }; start = 8
        case 3: pad = { Int($0) }; start = 9
        default: return nil
        }
        guard nameSize == UInt64(name.utf8.count + 1), start + Int(nameSize) <= m.count,
              m[start..<(start + Int(nameSize) - 1)].elementsEqual(name.utf8) else { return nil }
        let dataStart = start + pad(nameSize) + pad(typeSize) + pad(spaceSize)
        return dataStart <= m.count ? Array(m[dataStart...]) : nil
    }

    /// The messages (type, body) of the object header at `header`, version 1 or 2, following
    /// continuation messages (at most 64 chunks, so a cycle ends).
    static func messages(_ file: Bytes, header: UInt64) throws -> [(type: Int, data: [UInt8])] {
        let prefix = try file.read(header, 16)
        var out: [(type: Int, data: [UInt8])] = []
        var chunks: [(offset: UInt64, length: UInt64, first: Bool)] = []
        let version2 = prefix[0..<4].elementsEqual("OHDR".utf8)
        var flags: UInt8 = 0
        if version2 {
            flags = prefix[5]
            let sizeAt = 6 + (flags & 0x20 != 0 ? 16 : 0) + (flags & 0x10 != 0 ? 4 : 0)
            let width = 1 << Int(flags & 3)
            let start = try file.read(header, sizeAt + width)
            guard let length = integer(start, sizeAt, width) else { return [] }
            chunks.append((header + UInt64(sizeAt + width), length, true))
        } else if prefix[0] == 1, let length = integer(prefix, 8, 4) {
            chunks.append((header + 16, length, true))
        } else {
            return []
        }
        var visited = 0
        while let chunk = chunks.popLast(), visited < 64 {
            visited += 1
            var bytes = try file.read(chunk.offset, Int(min(chunk.length, 1 << 24)))
            var at = 0
            if version2 && !chunk.first {  // a continuation chunk: "OCHK", the messages, a checksum
                guard bytes.count >= 8, bytes[0..<4].elementsEqual("OCHK".utf8) else { continue }
                at = 4
                bytes = Array(bytes.dropLast(4))
            }
            let headerSize = version2 ? 4 + (flags & 0x04 != 0 ? 2 : 0) : 8
            while at + headerSize <= bytes.count {
                let type = Int(version2 ? UInt64(bytes[at]) : integer(bytes, at, 2)!)
                let size = Int(integer(bytes, at + (version2 ? 1 : 2), 2)!)
                let body = at + headerSize
                guard body + size <= bytes.count else { break }
                let data = Array(bytes[body..<(body + size)])
                if type == 0x10, let offset = integer(data, 0, 8), let length = integer(data, 8, 8) {
                    chunks.append((offset, length, false))
                }
                out.append((type, data))
                at = body + size
            }
        }
        return out
    }
}
