/// Shape arithmetic shared by the kernels and the autodiff layer.
public enum Shape {
    @inlinable
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in \(shape)")
            n *= d
        }
        return n
    }

    /// Row-major strides of a contiguous tensor.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Replaces a single `-1` by the dimension that makes the element count match.
    public static func resolve(_ shape: [Int], count: Int) -> [Int] {
        var out = shape
        let unknown = shape.indices.filter { shape[$0] == -1 }
        precondition(unknown.count <= 1, "more than one -1 in shape \(shape)")
        if let u = unknown.first {
            let known = shape.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(count) elements to \(shape)")
            out[u] = count / known
        }
        precondition(Self.count(out) == count, "cannot reshape \(count) elements to \(shape)")
        return out
    }

    /// NumPy broadcasting of two shapes; `nil` when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides that read a tensor of `shape` as if it had the (broadcast) shape `target`:
    /// broadcast dimensions get stride 0.
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        precondition(offset >= 0, "cannot broadcast \(shape) to \(target)")
        return (0..<target.count).map { i in
            if i < offset { return 0 }
            let d = shape[i - offset]
            precondition(d == target[i] || d == 1, "cannot broadcast \(shape) to \(target)")
            return d == 1 ? 0 : own[i - offset]
        }
    }

    /// Normalises a possibly negative axis.
    public static func axis(_ axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }
}
