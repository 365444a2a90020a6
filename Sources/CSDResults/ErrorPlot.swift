import Foundation

/// The paper's figure for one data set and backbone: test error against the number of labeled
/// samples (log axis), one line per method and backbone mode, mean over seeds with a ±1 std band.
/// The error is the validation-chosen one when every run has a validation subset (the honest
/// choice), else the best over evaluations (the paper's). A self-contained SVG (no fonts,
/// scripts or links), byte-identical for equal rows.
public enum ErrorPlot {
    /// Which error of each run the curves show.
    enum Metric {
        case best, validationChosen

        init(_ rows: [RunResult]) {
            self = !rows.isEmpty && rows.allSatisfy({ $0.validationChosenTestError != nil }) ? .validationChosen : .best
        }

        var title: String { self == .best ? "Best test error (%)" : "Test error at the validation-chosen epoch (%)" }

        func value(_ row: RunResult) -> Double? { self == .best ? row.bestTestError : row.validationChosenTestError }
    }

    public static let width = 640.0
    public static let height = 420.0

    /// Plot frame in pixels (left, right, top, bottom).
    static let frame = (left: 64.0, right: 624.0, top: 40.0, bottom: 344.0)

    /// Colour per method (Okabe-Ito, distinguishable with colour-vision deficiency); further
    /// curves take the rest of the palette in order.
    static let methodColors = ["csd": "#0072B2", "supervised": "#D55E00", "linear": "#009E73", "knn": "#CC79A7"]
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
    static let methodMarkers = ["csd": Marker.circle, "supervised": .square, "linear": .triangle, "knn": .diamond]

    enum Marker: CaseIterable { case circle, square, triangle, diamond }

    /// One curve with its resolved style and points (x = labeled samples, mean and std as
    /// fractions).
    struct Series {
        let group: ResultGroup
        let label: String
        let color: String
        let marker: Marker
        let dashed: Bool
        let points: [(x: Double, mean: Double, std: Double)]
        /// The dash pattern of an evaluation domain's curve (nil: the home test split's).
        var dash: String? = nil
        /// The evaluation domain (nil: the home test split).
        var domain: String? = nil

        /// The stroke-dasharray of the line: the domain's pattern, else dashed when trainable.
        var dashArray: String? { dash ?? (dashed ? "6 4" : nil) }
    }

    /// Dash patterns of the evaluation domains, in the order the runs list them.
    static let domainDashes = ["2 3", "9 3 2 3", "1 5", "12 4", "4 2 1 2 1 2"]

    /// One curve per home curve and evaluation domain (`--eval-cache`): the method's colour and
    /// marker, the domain's dash pattern, labelled "csd · white".
    static func domainSeries(_ rows: [RunResult], metric: Metric) -> [Series] {
        let homeSeries = makeSeries(ResultGrouping.groups(rows), metric: metric)
        var out: [Series] = []
        for (i, domain) in ResultsSummary.domainNames(rows).enumerated() {
            let dash = domainDashes[i % domainDashes.count]
            for s in makeSeries(ResultGrouping.groups(rows.compactMap { $0.onDomain(domain) }), metric: metric) {
                // The home curve's colour and marker, so a method keeps them across domains.
                let home = homeSeries.first { $0.label == s.label }
                out.append(Series(group: s.group, label: "\(s.label) · \(domain)", color: home?.color ?? s.color,
                                  marker: home?.marker ?? s.marker, dashed: s.dashed, points: s.points,
                                  dash: s.dashed ? "\(dash) 6 4" : dash, domain: domain))
            }
        }
        return out
    }

    public static func svg(_ rows: [RunResult], title: String) -> String {
        let metric = Metric(rows)
        let series = makeSeries(ResultGrouping.groups(rows), metric: metric) + domainSeries(rows, metric: metric)
        var svg = SVGBuilder()
        svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", n(width)), ("height", n(height)),
                         ("viewBox", "0 0 \(n(width)) \(n(height))"),
                         ("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif"), ("font-size", "11")])
        svg.text("title", [], title)
        svg.text("desc", [], "\(metric.title) against the number of labeled samples; mean over seeds, "
                 + "band ±1 std (sample, n-1).")
        svg.element("rect", [("width", n(width)), ("height", n(height)), ("fill", "#ffffff")])
        svg.text("text", [("x", n(width / 2)), ("y", "24"), ("text-anchor", "middle"), ("font-size", "15"),
                          ("font-weight", "bold"), ("fill", "#222222")], title)

        let points = series.flatMap(\.points)
        guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max() else {
            axisTitles(&svg, metric)
            svg.element("rect", frameRect + [("fill", "none"), ("stroke", "#888888")])
            svg.text("text", [("x", n((frame.left + frame.right) / 2)), ("y", n((frame.top + frame.bottom) / 2)),
                              ("text-anchor", "middle"), ("fill", "#666666"), ("font-size", "13")], "No results yet")
            svg.close("svg")
            return svg.document
        }
        let xScale = PlotScale.log(minX, maxX, pixels: (frame.left, frame.right))
        let top = points.map { ($0.mean + $0.std) * 100 }.max() ?? 1
        let (yScale, yStep) = PlotScale.linearFromZero(top, pixels: (frame.bottom, frame.top))

        svg.open("defs")
        svg.open("clipPath", [("id", "plot-area")])
        svg.element("rect", frameRect)
        svg.close("clipPath")
        svg.close("defs")
        yAxis(&svg, yScale, yStep)
        xAxis(&svg, xScale, labelTicks(series))
        axisTitles(&svg, metric)
        for s in series { draw(&svg, s, xScale, yScale) }
        svg.element("rect", frameRect + [("fill", "none"), ("stroke", "#888888")])
        legend(&svg, series, xScale, yScale)
        svg.close("svg")
        return svg.document
    }

    // MARK: - Series

    static func makeSeries(_ groups: [ResultGroup], metric: Metric = .best) -> [Series] {
        let modes = Set(groups.map(\.backbone))
        // Colour and marker follow the curve key (method, plus options when swept), so frozen
        // and trainable curves of one method share them and differ by dash only. A method keeps
        // its own colour and marker for its first key; further keys (swept option values, unknown
        // methods) take palette entries no present method owns.
        var curveKeys: [String] = []
        for g in groups where !curveKeys.contains(g.methodLabel) { curveKeys.append(g.methodLabel) }
        let reserved = Set(groups.compactMap { methodColors[$0.method] })
        var freeColors = palette.filter { !reserved.contains($0) }
        let reservedMarkers = Set(groups.compactMap { methodMarkers[$0.method] })
        let freeMarkers = Marker.allCases.filter { !reservedMarkers.contains($0) }
        var nextMarker = 0
        var colorOf: [String: String] = [:], markerOf: [String: Marker] = [:]
        var owned = Set<String>()
        for key in curveKeys {
            let method = groups.first { $0.methodLabel == key }!.method
            if let own = methodColors[method], owned.insert(method).inserted {
                colorOf[key] = own
                markerOf[key] = methodMarkers[method] ?? .circle
            } else {
                colorOf[key] = freeColors.isEmpty ? "#444444" : freeColors.removeFirst()
                let pool = freeMarkers.isEmpty ? Marker.allCases : freeMarkers
                markerOf[key] = pool[nextMarker % pool.count]
                nextMarker += 1
            }
        }
        return groups.map { g in
            let color = colorOf[g.methodLabel]!
            let marker = markerOf[g.methodLabel]!
            let label = modes.count > 1 ? "\(g.methodLabel), \(g.backboneMode)" : g.methodLabel
            let points: [(x: Double, mean: Double, std: Double)] = g.columns.compactMap { column in
                guard let x = g.labeledSamples(column), x > 0,
                      let stats = g.statistics(column, metric.value) else { return nil }
                return (Double(x), stats.mean, stats.std)
            }
            return Series(group: g, label: label, color: color, marker: marker,
                          dashed: g.backbone == "finetune", points: points)
        }
    }

    /// Tick labels at the label counts used: the count, and for `all` the pool size over "all".
    static func labelTicks(_ series: [Series]) -> [(x: Double, text: String, isAll: Bool)] {
        var ticks: [Double: (text: String, isAll: Bool)] = [:]
        for s in series {
            for column in s.group.columns {
                guard let x = s.group.labeledSamples(column), x > 0 else { continue }
                let value = Double(x)
                if ticks[value] == nil || column.isAll { ticks[value] = (String(x), column.isAll) }
            }
        }
        return ticks.keys.sorted().map { (x: $0, text: ticks[$0]!.text, isAll: ticks[$0]!.isAll) }
    }

    // MARK: - Axes

    static var frameRect: [(String, String)] {
        [("x", n(frame.left)), ("y", n(frame.top)), ("width", n(frame.right - frame.left)),
         ("height", n(frame.bottom - frame.top))]
    }

    static func yAxis(_ svg: inout SVGBuilder, _ scale: PlotScale, _ step: Double) {
        let decimals = PlotScale.decimals(for: step)
        svg.open("g", [("class", "y-axis"), ("fill", "#333333")])
        var k = 0
        while Double(k) * step <= scale.domain.hi * (1 + 1e-9) {
            let value = Double(k) * step
            let y = scale.position(value)
            svg.element("line", [("x1", n(frame.left)), ("x2", n(frame.right)), ("y1", n(y)), ("y2", n(y)),
                                 ("stroke", k == 0 ? "#888888" : "#e4e4e4"), ("stroke-width", "1")])
            svg.text("text", [("x", n(frame.left - 6)), ("y", n(y + 4)), ("text-anchor", "end")],
                     String(format: "%.\(decimals)f", value))
            k += 1
        }
        svg.close("g")
    }

    static func xAxis(_ svg: inout SVGBuilder, _ scale: PlotScale, _ ticks: [(x: Double, text: String, isAll: Bool)]) {
        svg.open("g", [("class", "x-axis"), ("fill", "#333333")])
        // Decade grid lines and ticks: the log scale's landmarks.
        for decade in scale.decades {
            let x = scale.position(decade)
            svg.element("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(frame.top)), ("y2", n(frame.bottom)),
                                 ("stroke", "#e4e4e4"), ("stroke-width", "1")])
            svg.element("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(frame.bottom)), ("y2", n(frame.bottom + 6)),
                                 ("stroke", "#888888")])
        }
        for minor in scale.minorTicks {
            let x = scale.position(minor)
            svg.element("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(frame.bottom)), ("y2", n(frame.bottom + 3)),
                                 ("stroke", "#aaaaaa")])
        }
        // Labels at the label counts used; one too close to the previous is left out (its
        // marker still shows), so labels never overlap.
        var lastRight = -Double.infinity
        var labelled: [Double] = []
        for tick in ticks {
            let x = scale.position(tick.x)
            let half = Double(tick.text.count) * 3.4
            guard x - half > lastRight + 4 else { continue }
            lastRight = x + half
            labelled.append(x)
            svg.element("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(frame.bottom)), ("y2", n(frame.bottom + 6)),
                                 ("stroke", "#333333")])
            svg.text("text", [("x", n(x)), ("y", n(frame.bottom + 19)), ("text-anchor", "middle")], tick.text)
            if tick.isAll {
                svg.text("text", [("x", n(x)), ("y", n(frame.bottom + 32)), ("text-anchor", "middle"),
                                  ("fill", "#666666")], "(all)")
            }
        }
        // Decades that are not label counts get a grey label when there is room for one.
        for decade in scale.decades {
            let x = scale.position(decade)
            let text = String(Int(decade))
            let half = Double(text.count) * 3.4
            guard labelled.allSatisfy({ abs($0 - x) > half + 22 }) else { continue }
            svg.text("text", [("x", n(x)), ("y", n(frame.bottom + 19)), ("text-anchor", "middle"),
                              ("fill", "#999999")], text)
        }
        svg.close("g")
    }

    static func axisTitles(_ svg: inout SVGBuilder, _ metric: Metric) {
        svg.text("text", [("x", n((frame.left + frame.right) / 2)), ("y", n(height - 14)), ("text-anchor", "middle"),
                          ("font-size", "13"), ("fill", "#222222")], "Number of labeled samples")
        let cy = (frame.top + frame.bottom) / 2
        svg.text("text", [("x", "18"), ("y", n(cy)), ("text-anchor", "middle"), ("font-size", "13"),
                          ("fill", "#222222"), ("transform", "rotate(-90 18 \(n(cy)))")], metric.title)
    }

    // MARK: - Curves

    static func draw(_ svg: inout SVGBuilder, _ s: Series, _ xs: PlotScale, _ ys: PlotScale) {
        svg.open("g", [("class", "series"), ("data-method", s.group.method), ("data-backbone", s.group.backbone)]
                 + (s.domain.map { [("data-domain", $0)] } ?? []))
        let pts = pixels(s, xs, ys)
        if pts.count > 1 {
            let upper = pts.map { "\(n($0.x)),\(n($0.hi))" }
            let lower = pts.reversed().map { "\(n($0.x)),\(n($0.lo))" }
            svg.element("path", [("class", "band"), ("d", "M" + (upper + lower).joined(separator: " L") + " Z"),
                                 ("fill", s.color), ("fill-opacity", "0.15"), ("stroke", "none"),
                                 ("clip-path", "url(#plot-area)")])
        }
        // Whiskers as well: a one-point curve has no band, and they mark each column's spread.
        for p in pts where p.lo - p.hi > 0.5 {
            svg.element("line", [("class", "whisker"), ("x1", n(p.x)), ("x2", n(p.x)), ("y1", n(p.hi)), ("y2", n(p.lo)),
                                 ("stroke", s.color), ("stroke-opacity", "0.6"), ("stroke-width", "1")])
        }
        var line: [(String, String)] = [
            ("class", "series-line"), ("d", "M" + pts.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " L")),
            ("fill", "none"), ("stroke", s.color), ("stroke-width", "2"), ("stroke-linejoin", "round"),
        ]
        if let dash = s.dashArray { line.append(("stroke-dasharray", dash)) }
        svg.element("path", line)
        for p in pts { marker(&svg, s, p.x, p.y) }
        svg.close("g")
    }

    /// A curve's points in pixels: the mean and the band's upper and lower edge.
    static func pixels(_ s: Series, _ xs: PlotScale, _ ys: PlotScale) -> [(x: Double, y: Double, hi: Double, lo: Double)] {
        s.points.map { (x: xs.position($0.x), y: ys.position($0.mean * 100),
                        hi: ys.position(($0.mean + $0.std) * 100),
                        lo: ys.position(max(0, $0.mean - $0.std) * 100)) }
    }

    /// Filled markers for a frozen backbone, hollow for a trainable one (as the dash).
    static func marker(_ svg: inout SVGBuilder, _ s: Series, _ x: Double, _ y: Double, size r: Double = 4) {
        let style: [(String, String)] = [("class", "marker"), ("fill", s.dashed ? "#ffffff" : s.color),
                                         ("stroke", s.color), ("stroke-width", "1.5")]
        switch s.marker {
        case .circle:
            svg.element("circle", [("cx", n(x)), ("cy", n(y)), ("r", n(r))] + style)
        case .square:
            svg.element("rect", [("x", n(x - r)), ("y", n(y - r)), ("width", n(2 * r)), ("height", n(2 * r))] + style)
        case .triangle:
            svg.element("polygon", [("points", "\(n(x)),\(n(y - r * 1.2)) \(n(x + r * 1.1)),\(n(y + r * 0.8)) "
                                    + "\(n(x - r * 1.1)),\(n(y + r * 0.8))")] + style)
        case .diamond:
            svg.element("polygon", [("points", "\(n(x)),\(n(y - r * 1.3)) \(n(x + r)),\(n(y)) \(n(x)),\(n(y + r * 1.3)) "
                                    + "\(n(x - r)),\(n(y))")] + style)
        }
    }

    // MARK: - Legend

    /// Inside the frame, in the corner that hides the least of the curves: top right first (error
    /// curves fall with more labels, so it is usually empty), then bottom left, top left, bottom
    /// right.
    static func legend(_ svg: inout SVGBuilder, _ series: [Series], _ xs: PlotScale, _ ys: PlotScale) {
        let rowHeight = 17.0
        let entries = series.count + 1  // + the band's meaning
        let textWidth = (series.map { Double($0.label.count) } + [18]).max()! * 6.4
        let boxWidth = 44 + textWidth, boxHeight = Double(entries) * rowHeight + 8
        let left = frame.left + 8, right = frame.right - 8 - boxWidth
        let top = frame.top + 8, bottom = frame.bottom - 8 - boxHeight
        let corners = [("top-right", right, top), ("bottom-left", left, bottom), ("top-left", left, top),
                       ("bottom-right", right, bottom)]
        // Samples every ~2 px along each curve's mean line and band edges.
        var samples: [(Double, Double)] = []
        for s in series {
            let pts = pixels(s, xs, ys)
            for edge in [\(x: Double, y: Double, hi: Double, lo: Double).y, \.hi, \.lo] {
                samples += pts.map { ($0.x, $0[keyPath: edge]) }
                for (a, b) in zip(pts, pts.dropFirst()) {
                    let steps = max(1, Int(hypot(b.x - a.x, b[keyPath: edge] - a[keyPath: edge]) / 2))
                    for i in 1..<steps {
                        let t = Double(i) / Double(steps)
                        samples.append((a.x + t * (b.x - a.x), a[keyPath: edge] + t * (b[keyPath: edge] - a[keyPath: edge])))
                    }
                }
            }
        }
        func covered(_ x0: Double, _ y0: Double) -> Int {
            samples.filter { $0.0 >= x0 - 4 && $0.0 <= x0 + boxWidth + 4 && $0.1 >= y0 - 4 && $0.1 <= y0 + boxHeight + 4 }.count
        }
        // The first corner with the fewest covered samples (stable, so output is deterministic).
        var best = corners[0], bestCount = covered(corners[0].1, corners[0].2)
        for corner in corners.dropFirst() where bestCount > 0 {
            let count = covered(corner.1, corner.2)
            if count < bestCount { best = corner; bestCount = count }
        }
        let (x0, y0) = (best.1, best.2)
        svg.open("g", [("class", "legend"), ("data-corner", best.0)])
        svg.element("rect", [("x", n(x0)), ("y", n(y0)), ("width", n(boxWidth)),
                             ("height", n(boxHeight)), ("fill", "#ffffff"),
                             ("fill-opacity", "0.9"), ("stroke", "#cccccc")])
        for (i, s) in series.enumerated() {
            let y = y0 + 4 + rowHeight * (Double(i) + 0.5)
            var sample: [(String, String)] = [("x1", n(x0 + 8)), ("x2", n(x0 + 34)), ("y1", n(y)), ("y2", n(y)),
                                              ("stroke", s.color), ("stroke-width", "2")]
            if let dash = s.dashArray { sample.append(("stroke-dasharray", dash)) }
            svg.element("line", sample)
            marker(&svg, s, x0 + 21, y)
            svg.text("text", [("x", n(x0 + 40)), ("y", n(y + 4)), ("fill", "#222222")], s.label)
        }
        let y = y0 + 4 + rowHeight * (Double(series.count) + 0.5)
        svg.element("rect", [("x", n(x0 + 8)), ("y", n(y - 5)), ("width", "26"), ("height", "10"),
                             ("fill", "#888888"), ("fill-opacity", "0.25")])
        svg.text("text", [("x", n(x0 + 40)), ("y", n(y + 4)), ("fill", "#555555")], "±1 std over seeds")
        svg.close("g")
    }

    static func n(_ value: Double) -> String { SVGBuilder.number(value) }
}
