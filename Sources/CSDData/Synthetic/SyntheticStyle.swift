import CSDTensor
import Foundation

/// The style of one synthetic image, drawn independently of its class: colours, placement and
/// background stripes. Foregrounds are always bright and backgrounds dark, so the glyph stays
/// visible (and linearly readable) whatever the hues.
struct SyntheticStyle: Sendable {
    var foreground: (Float, Float, Float)
    var background: (Float, Float, Float)
    var stripeColor: (Float, Float, Float)
    /// Glyph half-size as a fraction of the image's half-size, and its centre's offset.
    var scale: Float
    var shiftX: Float, shiftY: Float
    var striped: Bool
    /// Degrees, and pixels at 32 x 32 (scaled with the image size).
    var stripeAngle: Float
    var stripeSpacing: Float

    static let attributeNames = ["fg_r", "fg_g", "fg_b", "bg_r", "bg_g", "bg_b", "scale", "shift_x", "shift_y",
                                 "stripes", "stripe_angle", "stripe_spacing"]

    /// A fixed order of draws: changing one range does not shift the others' values.
    static func draw(_ rng: inout RandomStream) -> SyntheticStyle {
        let fgHue = rng.uniform(), fgSat = rng.uniform(0.4, 1), fgVal = rng.uniform(0.75, 1)
        let bgHue = rng.uniform(), bgSat = rng.uniform(0, 1), bgVal = rng.uniform(0.05, 0.35)
        let scale = rng.uniform(0.55, 0.85)
        let shiftX = rng.uniform(-0.15, 0.15), shiftY = rng.uniform(-0.15, 0.15)
        let striped = rng.uniform() < 0.5
        let angle = rng.uniform(-90, 90), spacing = rng.uniform(4, 8)
        return SyntheticStyle(
            foreground: hsv(fgHue, fgSat, fgVal), background: hsv(bgHue, bgSat, bgVal),
            stripeColor: hsv(bgHue, bgSat, bgVal + 0.2), scale: scale, shiftX: shiftX, shiftY: shiftY,
            striped: striped, stripeAngle: striped ? angle : 0, stripeSpacing: striped ? spacing : 0)
    }

    var attributes: [String: Float] {
        ["fg_r": foreground.0, "fg_g": foreground.1, "fg_b": foreground.2,
         "bg_r": background.0, "bg_g": background.1, "bg_b": background.2,
         "scale": scale, "shift_x": shiftX, "shift_y": shiftY,
         "stripes": striped ? 1 : 0, "stripe_angle": stripeAngle, "stripe_spacing": stripeSpacing]
    }

    static func hsv(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        let sector = h * 6
        let i = Int(sector) % 6
        let f = sector - Float(Int(sector))
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch i {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }

    /// Renders `glyph` at `size` x `size`, RGB: 2 x 2 samples per pixel for the glyph's coverage;
    /// stripes (half the period wide) on the background only.
    func render(glyph: Int, size: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        let radians = Double(stripeAngle) * Double.pi / 180
        let c = Float(cos(radians)), s = Float(sin(radians))
        let period = stripeSpacing * Float(size) / 32
        let toUnit = 2 / Float(size)
        for y in 0..<size {
            for x in 0..<size {
                var covered = 0
                for (dy, dx) in [(0.25, 0.25), (0.25, 0.75), (0.75, 0.25), (0.75, 0.75)] as [(Float, Float)] {
                    let px = (Float(x) + dx) * toUnit - 1, py = (Float(y) + dy) * toUnit - 1
                    if SyntheticGlyphs.contains(glyph, (px - shiftX) / scale, (py - shiftY) / scale) { covered += 1 }
                }
                var back = background
                if striped {
                    var t = (Float(x) * c + Float(y) * s).truncatingRemainder(dividingBy: period)
                    if t < 0 { t += period }
                    if t < period / 2 { back = stripeColor }
                }
                let a = Float(covered) / 4
                let p = (y * size + x) * 3
                pixels[p] = SyntheticStyle.byte(back.0 + (foreground.0 - back.0) * a)
                pixels[p + 1] = SyntheticStyle.byte(back.1 + (foreground.1 - back.1) * a)
                pixels[p + 2] = SyntheticStyle.byte(back.2 + (foreground.2 - back.2) * a)
            }
        }
        return pixels
    }

    @inline(__always)
    static func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
}
