extension ResultsMerge {
    /// What a merge did.
    public struct Outcome: Equatable, Sendable {
        /// Rows read from the shards (the destination's own rows not counted).
        public var rowsRead = 0
        /// Rows in the merged file.
        public var rowsWritten = 0
        /// Rows dropped because their runID was already taken.
        public var duplicates = 0
        public var subsetFilesCopied = 0
        /// Torn or damaged lines skipped in any input, one sentence each.
        public var problems: [String] = []

        public init() {}
    }
}
