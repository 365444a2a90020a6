import CSDCLI

/// Phase 1: backbone forward only, once per (model, data set, split). Placeholder for now.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Run a vision backbone over a data set and cache its [CLS] tokens in HDF5.",
        discussion: """
        Will load a Hugging Face checkpoint (DINOv2, CLIP vision tower or RADIO), run its forward \
        pass over each split of a data set and append the image-level tokens, labels and indices \
        to a feature cache under cache/ (one HDF5 file per model and data set, with provenance).

        Status: placeholder. Implemented by the extract issue (backbone forward + feature store); \
        until then every run prints this text and exits with code 64.
        """)

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    func run() throws { Self.exitAsPlaceholder() }
}

Extract.main()
