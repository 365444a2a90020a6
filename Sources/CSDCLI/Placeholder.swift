import ArgumentParser
import Foundation

extension ParsableCommand {
    /// What a tool does until its issue lands: prints its help (which says what it will do and
    /// where that is tracked) to stderr and exits with EX_USAGE (64), the code ArgumentParser
    /// uses for invalid usage. `--help` still exits 0.
    public static func exitAsPlaceholder() -> Never {
        FileHandle.standardError.write(Data((helpMessage() + "\n").utf8))
        exit(withError: ExitCode.validationFailure)
    }
}
