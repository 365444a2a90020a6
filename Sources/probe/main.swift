import CSDCLI

/// Phase 2, frozen backbone: trains the heads on cached tokens. Placeholder for now.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Train content-style heads on cached [CLS] tokens (frozen backbone).",
        discussion: """
        Will read a feature cache written by extract, train the semi-supervised content-style \
        encoder, decoder and discriminators (or the supervised baseline) over a grid of label \
        counts and seeds, and write test error rates as a table, a plot and JSONL. Never loads \
        a backbone.

        Status: placeholder. Implemented by the probe issue (heads, objective, sweeps); until \
        then every run prints this text and exits with code 64.
        """)

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws { Self.exitAsPlaceholder() }
}

Probe.main()
