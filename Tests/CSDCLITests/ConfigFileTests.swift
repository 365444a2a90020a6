import CSDCLI
import Testing

struct ConfigFileTests {
    @Test func readsTheSubsetASweepNeeds() throws {
        let file = try ConfigFile(text: """
            # sweep
            cache = "cache/x.h5"   # comment after a value
            labels = [10, 100, "all"]
            epochs = 30
            lr = 1e-3
            fast = true

            [options]
            reconstruction = "mse"
            w_c = 0.1
            """, path: "sweep.toml")
        #expect(file["cache"] == .string("cache/x.h5"))
        #expect(file["labels"]?.description == "10,100,all")
        #expect(file["epochs"] == .integer(30))
        #expect(file["lr"] == .float(0.001))
        #expect(file["fast"] == .boolean(true))
        #expect(file.table("options").map { "\($0.key)=\($0.value)" } == ["reconstruction=mse", "w_c=0.1"])
    }

    @Test func errorsNameTheFileAndLine() {
        for (text, fragment) in [("a = ", "missing value"), ("a = \"open", "unterminated"), ("a = 1\na = 2", "duplicate key"),
                                 ("[x", "malformed table"), ("a = nope", "cannot read value"), ("just text", "key = value")] {
            do {
                _ = try ConfigFile(text: text, path: "c.toml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".hasPrefix("c.toml:") && "\(error)".contains(fragment), "\(error)")
            }
        }
    }
}
