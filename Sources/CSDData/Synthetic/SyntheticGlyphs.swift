/// The content of the synthetic data set: ten glyphs, each a region of the square [-1, 1]^2
/// (u to the right, v downwards). Chosen to differ in where their mass lies (filled, hollow,
/// bars, diagonals), so that even a linear read-out of raw pixels tells them apart.
enum SyntheticGlyphs {
    static let names = ["disk", "ring", "square", "frame", "triangle", "plus", "cross", "hbars", "vbars", "diamond"]

    @inline(__always)
    static func contains(_ glyph: Int, _ u: Float, _ v: Float) -> Bool {
        let au = abs(u), av = abs(v)
        switch glyph {
        case 0: return u * u + v * v <= 0.8 * 0.8
        case 1:
            let r2 = u * u + v * v
            return r2 <= 0.85 * 0.85 && r2 >= 0.5 * 0.5
        case 2: return max(au, av) <= 0.7
        case 3:
            let m = max(au, av)
            return m <= 0.85 && m >= 0.55
        case 4:
            // Apex at the top (v = -0.8), base at v = 0.7, half-width 0.85 there.
            return v >= -0.8 && v <= 0.7 && au <= (v + 0.8) / 1.5 * 0.85
        case 5: return (au <= 0.22 && av <= 0.85) || (av <= 0.22 && au <= 0.85)
        case 6: return au <= 0.85 && av <= 0.85 && (abs(u - v) <= 0.3 || abs(u + v) <= 0.3)
        case 7: return au <= 0.85 && abs(av - 0.45) <= 0.2
        case 8: return av <= 0.85 && abs(au - 0.45) <= 0.2
        default: return au + av <= 0.9
        }
    }
}
