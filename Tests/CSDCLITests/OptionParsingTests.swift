import CSDCLI
import Foundation
import Testing

/// The parsers as the executables declare them (`transform:`): values parsed once, with the
/// arguments, and errors that name the flag.
struct OptionParsingTests {
    struct Sample: ParsableArguments {
        @Option(transform: { try ConfigFile(path: $0) }) var config: ConfigFile?
        @Option(transform: Shard.parse) var shard: Shard?
        @Option(transform: LabelCount.parseList) var labels: [Int?]?
        @Option(name: .customLong("validation-per-class"), transform: CountOrAuto.parse) var validationPerClass = CountOrAuto.auto
        @Argument(transform: Setting.parse) var settings: [Setting] = []
    }

    func message(_ arguments: [String]) -> String {
        do {
            _ = try Sample.parse(arguments)
            return "accepted"
        } catch {
            return Sample.message(for: error)
        }
    }

    @Test func parsesOnce() throws {
        let s = try Sample.parse(["--shard", "2/8", "--labels", "10,all", "--validation-per-class", "5", "hidden=32", "w_c=0.5"])
        #expect(try s.shard == Shard(index: 1, count: 8))
        #expect(s.labels == [10, nil])
        #expect(s.validationPerClass == .count(5))
        #expect(s.settings.map(\.description) == ["hidden=32", "w_c=0.5"])
        let d = try Sample.parse([])
        #expect(d.shard == nil && d.labels == nil && d.validationPerClass == .auto && d.settings.isEmpty && d.config == nil)
    }

    @Test func errorsNameTheFlag() {
        #expect(message(["--shard", "3/2"]) == "The value '3/2' is invalid for '--shard <shard>': k must be between 1 and n in k/n, got 3/2")
        #expect(message(["--labels", "0"]) == "The value '0' is invalid for '--labels <labels>': '0' is not a positive count or all")
        #expect(message(["--validation-per-class", "x"]).contains("'--validation-per-class <validation-per-class>': 'x' is not auto or a count >= 0"))
        #expect(message(["hidden"]) == "The value 'hidden' is invalid for '<settings>': 'hidden' is not name=value")
    }

    @Test func theConfigFileIsReadWithTheArguments() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csdcli-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "labels = [10, \"all\"]\nepochs = ".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(message(["--config", path]).hasSuffix("'--config <config>': \(path):2: missing value"))
        try "labels = [10, \"all\"]".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Sample.parse(["--config", path]).config?["labels"]?.description == "10,all")
        #expect(message(["--config", path + ".missing"]).contains("cannot read the file"))
    }
}
