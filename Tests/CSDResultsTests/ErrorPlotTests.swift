import Foundation
import Testing
@testable import CSDResults
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ErrorPlotTests {
    @Test func plotIsWellFormedWithOneLinePerMethod() throws {
        let rows = SampleRows.sweep(methods: ["csd", "supervised"])
        let svg = ErrorPlot.svg(rows, title: "DINOv2-S on MNIST (frozen)")
        let doc = try parse(svg)
        #expect(try count(doc, "path", class: "series-line") == 2)
        #expect(try count(doc, "path", class: "band") == 2)
        #expect(try count(doc, "circle", class: "marker") == 8 + 1)  // csd's 8 columns + its legend sample
        #expect(svg.contains(">Number of labeled samples<"))
        #expect(svg.contains(">Best test error (%)<"))
        #expect(svg.contains(">DINOv2-S on MNIST (frozen)<"))
        #expect(svg.contains(">60000<") && svg.contains(">(all)<"))
        for count in ["10", "25", "50", "100", "250", "500", "1000"] { #expect(svg.contains(">\(count)</text>")) }
        // Self-contained: no external references of any kind.
        #expect(!svg.contains("href"))
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("@import"))
        keep(svg, "error_vs_labels.svg")
    }

    @Test func bothBackboneModesGetTheirOwnLines() throws {
        let rows = SampleRows.sweep(methods: ["csd", "supervised"], backbone: "probe")
            + SampleRows.sweep(methods: ["csd", "supervised"], backbone: "finetune")
        let svg = ErrorPlot.svg(rows, title: "both")
        let doc = try parse(svg)
        #expect(try count(doc, "path", class: "series-line") == 4)
        #expect(svg.contains(">csd, frozen<") && svg.contains(">supervised, trainable<"))
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2 + 2)  // 2 lines + 2 legend samples
        keep(svg, "error_vs_labels_both.svg")
    }

    @Test func outputIsDeterministic() {
        let rows = SampleRows.sweep()
        #expect(ErrorPlot.svg(rows, title: "t") == ErrorPlot.svg(rows.reversed(), title: "t"))
    }

    @Test func oddInputsStillGiveValidSVG() throws {
        let empty = ErrorPlot.svg([], title: "empty <&> \"quoted\"")
        _ = try parse(empty)
        keep(empty, "error_vs_labels_empty.svg")
        // One label count, one seed: a lone marker, no band, no zero-width axis.
        let one = ErrorPlot.svg([SampleRows.row(method: "csd", labels: 10, seed: 0)], title: "one")
        let doc = try parse(one)
        #expect(try count(doc, "path", class: "series-line") == 1)
        #expect(!one.contains("nan") && !one.contains("inf"))
        keep(one, "error_vs_labels_one.svg")
    }

    @Test func sweptOptionsGetOneLineEachOnAFineScale() throws {
        // Small errors (MNIST-like, 1-2.5%) and a swept option: 3 curves, y ticks with decimals.
        // supervised is flat near the top, so the legend must leave the top right corner.
        var rows: [RunResult] = []
        for n in [100, 1000, nil] as [Int?] {
            for seed in 0..<3 {
                for beta in ["0.1", "1"] {
                    let e = (n == nil ? 0.008 : (n == 100 ? 0.018 : 0.012)) * (beta == "1" ? 1.2 : 1) + Double(seed) * 0.001
                    rows.append(SampleRows.row(method: "csd", labels: n, seed: seed, options: ["beta": beta], best: e))
                }
                rows.append(SampleRows.row(method: "supervised", labels: n, seed: seed, best: 0.021))
            }
        }
        let svg = ErrorPlot.svg(rows, title: "options")
        #expect(try count(parse(svg), "path", class: "series-line") == 3)
        #expect(svg.contains(">csd (beta=0.1)<") && svg.contains(">csd (beta=1)<"))
        #expect(svg.contains(">2.5</text>") && svg.contains(">0.5</text>"))  // 0.5-point steps
        #expect(svg.contains("data-corner=\"bottom-left\""))
        // supervised keeps its own colour; the second csd curve takes a free one.
        #expect(svg.contains("data-method=\"supervised\" data-backbone=\"probe\">"))
        #expect(svg.components(separatedBy: "stroke=\"#D55E00\"").count > 1)
        keep(svg, "error_vs_labels_options.svg")
    }

    @Test func scaleHelpersPickRoundNumbers() {
        #expect(PlotScale.niceStep(7) == 10)
        #expect(PlotScale.niceStep(2.2) == 2.5)
        #expect(PlotScale.niceStep(0.9) == 1)
        #expect(PlotScale.decimals(for: 2.5) == 1)
        #expect(PlotScale.decimals(for: 5) == 0)
        let y = PlotScale.linearFromZero(60, pixels: (300, 0))
        #expect(y.step == 10 && y.scale.domain.hi == 70)  // close above the data, not 80
        let x = PlotScale.log(10, 60000, pixels: (0, 100))
        #expect(x.decades == [10, 100, 1000, 10000])  // 60000 plus margin stays below 1e5
        #expect(x.position(10) < x.position(100))
        #expect(SVGBuilder.number(-0.001) == "0")
        #expect(SVGBuilder.number(12.5) == "12.5")
    }

    // MARK: - Helpers

    /// Parses with libxml2 (FoundationXML) where available; elsewhere checks that tags balance.
    func parse(_ svg: String) throws -> Any {
        #if canImport(FoundationXML)
        return try XMLDocument(data: Data(svg.utf8), options: [])
        #else
        var stack: [String] = []
        let scanner = svg.components(separatedBy: "<").dropFirst()
        for piece in scanner {
            let tag = piece.prefix { $0 != ">" }
            if tag.hasPrefix("?") || tag.hasSuffix("/") { continue }
            if tag.hasPrefix("/") {
                #expect(stack.popLast() == String(tag.dropFirst()))
            } else { stack.append(String(tag.prefix { $0 != " " })) }
        }
        #expect(stack.isEmpty)
        return svg
        #endif
    }

    func count(_ doc: Any, _ element: String, class name: String) throws -> Int {
        #if canImport(FoundationXML)
        let nodes = try (doc as! XMLDocument).nodes(forXPath: "//*[local-name()='\(element)'][@class='\(name)']")
        return nodes.count
        #else
        return (doc as! String).components(separatedBy: "<\(element) class=\"\(name)\"").count - 1
        #endif
    }

    /// CSD_PLOT_OUT=<folder> keeps the test's plots to look at (e.g. rsvg-convert to PNG).
    func keep(_ svg: String, _ name: String) {
        guard let folder = ProcessInfo.processInfo.environment["CSD_PLOT_OUT"] else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? Data(svg.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
    }
}
