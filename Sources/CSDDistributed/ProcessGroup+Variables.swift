import CSDAutograd

extension ProcessGroup {
    /// Rank `root`'s value of `parameter` on every rank.
    public func broadcast(_ parameter: Variable, from root: Int = 0) {
        guard isDistributed else { return }
        parameter.value.makeUnique()
        parameter.value.withUnsafeMutableBufferPointer { broadcast($0, from: root) }
    }
}
