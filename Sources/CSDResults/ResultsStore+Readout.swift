extension ResultsStore {
    /// What `ResultsStore.read()` found.
    public struct Readout: Sendable {
        public var rows: [RunResult]
        /// The unterminated, undecodable last line of a killed writer, skipped; nil when none.
        public var tornLastLine: String?
        /// 1-based numbers of other lines that did not decode (hand edits, foreign rows), skipped.
        public var damagedLines: [Int]

        public init(rows: [RunResult], tornLastLine: String? = nil, damagedLines: [Int] = []) {
            self.rows = rows
            self.tornLastLine = tornLastLine
            self.damagedLines = damagedLines
        }

        /// True when every line decoded.
        public var isClean: Bool { tornLastLine == nil && damagedLines.isEmpty }

        /// One sentence per skipped line, for a log: the rows were dropped, not silently lost.
        public var problems: [String] {
            var out = damagedLines.map { "line \($0) is not a result row; skipped" }
            if let torn = tornLastLine {
                out.append("torn last line (\(torn.utf8.count) bytes, a killed writer's); skipped, its run is not finished")
            }
            return out
        }
    }
}
