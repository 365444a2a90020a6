/// Grain sizes for `Threads.parallelFor`: below these, a kernel runs on the calling thread,
/// because waking a second core costs more than the work.
public enum Grain {
    public static let elementwise = 1 << 15
    public static let transcendental = 1 << 13
    /// Rows of a row-wise kernel (layer norm, softmax) per chunk, scaled by row length.
    @inlinable public static func rows(width: Int) -> Int { max(1, (1 << 14) / max(width, 1)) }
}
