/// The ranges the per-image stripe parameters are drawn from, and the seed.
///
/// Spec options: `seed=N`, `width=lo,hi` (integers, inclusive), `spacing=lo,hi` (integers,
/// inclusive, the period across the stripes), `angle=lo,hi` (degrees, uniform in [lo, hi)),
/// `phase=lo,hi` (pixels, uniform in [lo, hi); default [0, spacing)). One number fixes a value.
public struct StripeOptions: Sendable, Equatable {
    public var seed: UInt64 = 0
    public var width: ClosedRange<Int> = 2...4
    public var spacing: ClosedRange<Int> = 6...12
    /// Degrees; `lowerBound == upperBound` fixes the angle, otherwise uniform in [lo, hi).
    public var angle: (lo: Double, hi: Double) = (-90, 90)
    /// Pixels; nil = uniform in [0, spacing).
    public var phase: (lo: Double, hi: Double)?

    public init() {}

    public static func == (a: StripeOptions, b: StripeOptions) -> Bool {
        a.seed == b.seed && a.width == b.width && a.spacing == b.spacing && a.angle == b.angle
            && a.phase?.lo == b.phase?.lo && a.phase?.hi == b.phase?.hi
    }

    static let keys = ["seed", "width", "spacing", "angle", "phase"]

    init(parsing options: inout SpecOptions) throws {
        seed = try options.seed()
        if let w = try options.numbers("width") { width = try StripeOptions.integers(w, key: "width", spec: options.spec) }
        if let s = try options.numbers("spacing") { spacing = try StripeOptions.integers(s, key: "spacing", spec: options.spec) }
        if let a = try options.numbers("angle") { angle = (a.0, a.1) }
        if let p = try options.numbers("phase") { phase = (p.0, p.1) }
        try validate(spec: options.spec)
    }

    private static func integers(_ pair: (Double, Double), key: String, spec: String) throws -> ClosedRange<Int> {
        guard pair.0 == pair.0.rounded(), pair.1 == pair.1.rounded(), pair.0 <= pair.1, pair.0 >= 1, pair.1 <= 1024 else {
            throw DatasetError(file: spec, "option \(key): expected integers lo,hi with 1 <= lo <= hi <= 1024")
        }
        return Int(pair.0)...Int(pair.1)
    }

    /// Ranges must leave at least one (width, spacing) pair with spacing > width.
    public func validate(spec: String = "stripes") throws {
        guard width.lowerBound >= 1 else { throw DatasetError(file: spec, "stripe width must be at least 1") }
        guard width.lowerBound < spacing.upperBound else {
            throw DatasetError(file: spec, "stripe spacing \(spacing) leaves no room for width \(width): spacing must exceed width")
        }
        guard angle.lo <= angle.hi, angle.lo.isFinite, angle.hi.isFinite else {
            throw DatasetError(file: spec, "stripe angle range \(angle.lo),\(angle.hi) is empty")
        }
        if let phase, !(phase.lo <= phase.hi && phase.lo.isFinite && phase.hi.isFinite) {
            throw DatasetError(file: spec, "stripe phase range \(phase.lo),\(phase.hi) is empty")
        }
    }

    /// A canonical text for fingerprints.
    var canonical: String {
        let p = phase.map { "\($0.lo),\($0.hi)" } ?? "spacing"
        return "seed=\(seed);width=\(width.lowerBound),\(width.upperBound);spacing=\(spacing.lowerBound),\(spacing.upperBound);angle=\(angle.lo),\(angle.hi);phase=\(p)"
    }
}
