import CSDCLI
import Testing

struct ConfigResolverTests {
    static let file = try! ConfigFile(text: """
        cache = "c.h5"
        labels = [10, "all"]
        shard = "2/4"
        epochs = 5
        validation_per_class = "auto"

        [options]
        hidden = 32
        w_c = 0.5
        """, path: "sweep.toml")
    static let keys = ["cache", "labels", "shard", "epochs", "out", "validation_per_class"]

    @Test func commandLineOverFileOverDefaults() throws {
        let r = try ConfigResolver(file: Self.file, keys: Self.keys, tables: ["options"])
        // The file gives it, the command line does not.
        #expect(try r.value(nil, "labels", LabelCount.parseList) == [10, nil])
        #expect(try r.value(nil, "shard", Shard.parse) == Shard(index: 1, count: 4))
        #expect(try r.value(nil as CountOrAuto?, "validation_per_class", CountOrAuto.parse) == .auto)
        // The command line wins.
        #expect(try r.value([25], "labels", LabelCount.parseList) == [25])
        #expect(try r.value(7, "epochs", default: 30) { try Count.parse($0, atLeast: 1) } == 7)
        #expect(try r.value(nil, "epochs", default: 30) { try Count.parse($0, atLeast: 1) } == 5)
        // Neither: the default, or nil.
        #expect(try r.value(nil, "out", default: "results") { $0 } == "results")
        #expect(try r.value(nil, "out") { $0 } == nil)
        #expect(try r.required(nil, "cache", flag: "--cache") { $0 } == "c.h5")
        #expect(try r.required("d.h5", "cache", flag: "--cache") { $0 } == "d.h5")
        // Table settings first, the command line's after them (applied later, so they win).
        #expect(r.settings("options", then: [Setting(name: "hidden", value: "64")]).map(\.description)
                == ["hidden=32", "w_c=0.5", "hidden=64"])
    }

    @Test func withoutAFileOnlyTheCommandLineAndDefaults() throws {
        let r = try ConfigResolver(file: nil, keys: Self.keys)
        #expect(try r.value(nil, "epochs", default: 30) { try Count.parse($0, atLeast: 1) } == 30)
        #expect(r.settings("options", then: [Setting(name: "a", value: "1")]) == [Setting(name: "a", value: "1")])
        expectError("missing --out (or out = ... in the config file)") { try r.required(nil, "out", flag: "--out") { $0 } }
    }

    @Test func fileValuesGoThroughTheFlagsParser() throws {
        let bad = try ConfigFile(text: "labels = [10, 0]\nshard = \"3/2\"\nepochs = 0", path: "bad.toml")
        let r = try ConfigResolver(file: bad, keys: Self.keys)
        expectError("bad.toml: labels = 10,0: '0' is not a positive count or all") { try r.value(nil, "labels", LabelCount.parseList) }
        expectError("bad.toml: shard = 3/2: k must be between 1 and n") { try r.value(nil, "shard", Shard.parse) }
        expectError("bad.toml: epochs = 0: '0' is not an integer >= 1") { try r.value(nil, "epochs") { try Count.parse($0, atLeast: 1) } }
        // A bad file value does not matter when the command line gives the setting.
        #expect(try r.value(Shard(index: 0, count: 2), "shard", Shard.parse) == Shard(index: 0, count: 2))
    }

    @Test func unknownKeysAreRefusedWithTheKnownOnes() throws {
        let typo = try ConfigFile(text: "epoch = 3\n[options]\nhidden = 8", path: "typo.toml")
        expectError("typo.toml: unknown setting 'epoch' (known: cache, epochs, labels, out, shard, validation_per_class, and an [options] table)") {
            try ConfigResolver(file: typo, keys: Self.keys, tables: ["options"])
        }
        let table = try ConfigFile(text: "[extra]\nx = 1", path: "t.toml")
        expectError("unknown setting 'extra.x'") { try ConfigResolver(file: table, keys: Self.keys, tables: ["options"]) }
    }
}
