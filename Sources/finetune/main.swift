import CSDCLI

/// Phase 2, trainable backbone: the same heads and objective as probe, end to end. Placeholder.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a backbone end to end with the content-style objective.",
        discussion: """
        Will train the backbone together with the heads and objective of probe (gradients from \
        every term into the backbone), evaluate by writing features the way extract does, and \
        save checkpoints as safetensors plus results.

        Status: placeholder. Implemented by the finetune issue (backbone backward + training \
        loop); until then every run prints this text and exits with code 64.
        """)

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws { Self.exitAsPlaceholder() }
}

Finetune.main()
