import CSDImage
import CSDTensor
import Foundation

/// The stripes of one image: drawn from its own random stream (seed, split, index), so any
/// image is produced alone, and the white and yellow versions of an image share them.
public struct StripeParameters: Sendable, Equatable {
    public let width: Float
    public let spacing: Float
    /// Degrees.
    public let angle: Float
    public let phase: Float

    public init(width: Float, spacing: Float, angle: Float, phase: Float) {
        self.width = width
        self.spacing = spacing
        self.angle = angle
        self.phase = phase
    }

    public static let attributeNames = ["stripe_width", "stripe_spacing", "stripe_angle", "stripe_phase"]

    public var attributes: [String: Float] {
        ["stripe_width": width, "stripe_spacing": spacing, "stripe_angle": angle, "stripe_phase": phase]
    }

    /// Draws in a fixed order: angle, width, spacing (> width), phase.
    public static func draw(options: StripeOptions, split: String, index: Int) -> StripeParameters {
        var rng = RandomStream(seed: options.seed, stream: Fingerprint.splitTag(split) << 32 | UInt64(index))
        let angle = options.angle.lo == options.angle.hi
            ? options.angle.lo : options.angle.lo + (options.angle.hi - options.angle.lo) * Double(rng.uniform())
        let widthHigh = min(options.width.upperBound, options.spacing.upperBound - 1)
        let width = options.width.lowerBound + rng.int(below: widthHigh - options.width.lowerBound + 1)
        let spacingLow = max(options.spacing.lowerBound, width + 1)
        let spacing = spacingLow + rng.int(below: options.spacing.upperBound - spacingLow + 1)
        let (lo, hi) = options.phase ?? (0, Double(spacing))
        let phase = lo == hi ? lo : lo + (hi - lo) * Double(rng.uniform())
        // Stored as Float; painting uses these rounded values so that the attributes describe the
        // pixels exactly.
        return StripeParameters(width: Float(width), spacing: Float(spacing), angle: Float(angle), phase: Float(phase))
    }

    /// Whether pixel (row, col) lies on a stripe: t = col cos(a) + row sin(a) + phase,
    /// striped where t mod spacing < width.
    public func isStriped(row: Int, col: Int) -> Bool {
        let radians = Double(angle) * Double.pi / 180
        return isStriped(row: row, col: col, cos: Foundation.cos(radians), sin: Foundation.sin(radians))
    }

    @inline(__always)
    func isStriped(row: Int, col: Int, cos c: Double, sin s: Double) -> Bool {
        let t = Double(col) * c + Double(row) * s + Double(phase)
        var m = t.truncatingRemainder(dividingBy: Double(spacing))
        if m < 0 { m += Double(spacing) }
        return m < Double(width)
    }

    /// Gray -> RGB with the stripes painted opaque in `color`.
    public func paint(_ gray: Image, color: (UInt8, UInt8, UInt8)) throws -> Image {
        let rgb = gray.convertedToRGB()
        var pixels = rgb.pixels
        let radians = Double(angle) * Double.pi / 180
        let c = Foundation.cos(radians), s = Foundation.sin(radians)
        for row in 0..<gray.height {
            for col in 0..<gray.width where isStriped(row: row, col: col, cos: c, sin: s) {
                let p = (row * gray.width + col) * 3
                pixels[p] = color.0
                pixels[p + 1] = color.1
                pixels[p + 2] = color.2
            }
        }
        return try Image(height: gray.height, width: gray.width, channels: 3, pixels: pixels)
    }
}
