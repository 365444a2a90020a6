import Foundation

/// Maps data values to pixel positions along one axis, linear or log10, and picks tick values.
struct PlotScale {
    let domain: (lo: Double, hi: Double)  // in axis units: the value, or log10 of it
    let range: (lo: Double, hi: Double)  // pixels
    let isLog: Bool

    func position(_ value: Double) -> Double {
        let v = isLog ? log10(value) : value
        let span = domain.hi - domain.lo
        let t = span == 0 ? 0.5 : (v - domain.lo) / span
        return range.lo + t * (range.hi - range.lo)
    }

    /// A log axis over [minValue, maxValue] with a margin of 5% of the span (at least 0.12
    /// decade) on each side, so end markers do not sit on the frame.
    static func log(_ minValue: Double, _ maxValue: Double, pixels: (Double, Double)) -> PlotScale {
        let lo = Foundation.log10(minValue), hi = Foundation.log10(maxValue)
        let pad = Swift.max(0.12, 0.05 * (hi - lo))
        return PlotScale(domain: (lo - pad, hi + pad), range: pixels, isLog: true)
    }

    /// A linear axis from 0 to a round number above `maxValue`, with its tick step: the
    /// smallest round step that needs at most `maxIntervals` intervals, so the top is close
    /// above the data (not 80 for data reaching 60).
    static func linearFromZero(_ maxValue: Double, pixels: (Double, Double), maxIntervals: Int = 8)
        -> (scale: PlotScale, step: Double) {
        let top = Swift.max(maxValue * 1.05, 1e-9)
        let step = niceStep(top / Double(maxIntervals))
        let hi = (top / step).rounded(.up) * step
        return (PlotScale(domain: (0, hi), range: pixels, isLog: false), step)
    }

    /// 1, 2, 2.5 or 5 times a power of ten, the smallest at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let power = pow(10, (Foundation.log10(raw)).rounded(.down))
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * power >= raw * (1 - 1e-9) {
            return factor * power
        }
        return 10 * power
    }

    /// The powers of ten inside the domain of a log axis (decade ticks).
    var decades: [Double] {
        guard isLog else { return [] }
        let first = Int(domain.lo.rounded(.up)), last = Int(domain.hi.rounded(.down))
        return first <= last ? (first...last).map { pow(10, Double($0)) } : []
    }

    /// 2..9 times each power of ten inside the domain (minor ticks of a log axis).
    var minorTicks: [Double] {
        guard isLog else { return [] }
        let first = Int(domain.lo.rounded(.down)), last = Int(domain.hi.rounded(.up))
        var out: [Double] = []
        for k in first...last {
            for m in 2...9 {
                let v = Double(m) * pow(10, Double(k))
                let lv = Foundation.log10(v)
                if lv >= domain.lo && lv <= domain.hi { out.append(v) }
            }
        }
        return out
    }

    /// Decimals needed to print multiples of `step` exactly (0 for 5, 1 for 2.5, 2 for 0.25).
    static func decimals(for step: Double) -> Int {
        for d in 0...4 {
            let scaled = step * pow(10, Double(d))
            if abs(scaled - scaled.rounded()) < 1e-6 { return d }
        }
        return 4
    }
}
