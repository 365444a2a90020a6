import CSDCLI
import Testing

/// The call throws, and its message contains `fragment`.
func expectError<T>(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    do {
        let value = try body()
        Issue.record("accepted, gave \(String(describing: value))", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

struct ShardTests {
    @Test func oneBasedOnTheCommandLineZeroBasedInCode() throws {
        let shard = try Shard.parse("2/8")
        #expect(shard.index == 1 && shard.count == 8)
        #expect(shard.pair == (1, 8))
        #expect(shard.description == "2/8")
        #expect(try Shard.parse("1/1") == Shard(index: 0, count: 1))
        #expect(try Shard.parse("8/8").index == 7)
    }

    @Test func rejectsShardsThatDoNotExist() {
        expectError("k must be between 1 and n in k/n, got 3/2") { try Shard.parse("3/2") }
        expectError("k must be between 1 and n in k/n, got 0/2") { try Shard.parse("0/2") }
        expectError("n must be at least 1") { try Shard.parse("1/0") }
        for text in ["2", "2/", "/8", "a/b", "1/2/3", ""] {
            expectError("'\(text)' is not k/n") { try Shard.parse(text) }
        }
    }
}

struct ListTests {
    @Test func labelCounts() throws {
        #expect(try LabelCount.parseList("10,25,all") == [10, 25, nil])
        #expect(try LabelCount.parseList("all") == [nil])
        #expect(try LabelCount.parseList("10, 25") == [10, 25])
        #expect(try LabelCount.parse("all") == .all)
        #expect(try LabelCount.parse("20") == LabelCount(20))
        #expect(try LabelCount.parse("20").description == "20" && LabelCount.all.description == "all")
        expectError("'0' is not a positive count or all") { try LabelCount.parseList("10,0") }
        expectError("'-5' is not a positive count or all") { try LabelCount.parse("-5") }
        expectError("'ALL' is not a positive count or all") { try LabelCount.parse("ALL") }
        expectError("empty item in '10,,all'") { try LabelCount.parseList("10,,all") }
        expectError("expected a comma-separated list") { try LabelCount.parseList("") }
    }

    @Test func counts() throws {
        #expect(try CommaList.parse("0,1,2") { try Count.parse($0, atLeast: 0) } == [0, 1, 2])
        #expect(try Count.parseList("0, 7", atLeast: 0) == [0, 7])
        #expect(try Count.parse("30", atLeast: 1) == 30)
        expectError("'0' is not an integer >= 1") { try Count.parse("0", atLeast: 1) }
        expectError("'x' is not an integer >= 0") { try Count.parseList("0,x", atLeast: 0) }
        expectError("'-1' is not an integer >= 0") { try Count.parseList("-1", atLeast: 0) }
    }

    enum Fruit: String, CaseIterable { case apple, pear }

    @Test func choices() throws {
        #expect(try Choice.parseList("pear,apple", as: Fruit.self) == [.pear, .apple])
        #expect(try Choice.parse("apple", as: Fruit.self) == .apple)
        expectError("'plum' is not one of apple, pear") { try Choice.parseList("apple,plum", as: Fruit.self) }
    }

    @Test func countOrAuto() throws {
        #expect(try CountOrAuto.parse("auto") == .auto)
        #expect(try CountOrAuto.parse("0") == .count(0))
        #expect(try CountOrAuto.parse("12") == .count(12))
        #expect(CountOrAuto.auto.resolved { 10 } == 10)
        #expect(CountOrAuto.count(3).resolved { 10 } == 3)
        #expect(CountOrAuto.count(3).description == "3" && CountOrAuto.auto.description == "auto")
        expectError("'-1' is not auto or a count >= 0") { try CountOrAuto.parse("-1") }
        expectError("'many' is not auto or a count >= 0") { try CountOrAuto.parse("many") }
    }
}

struct SettingTests {
    @Test func splitsAtTheFirstEquals() throws {
        #expect(try Setting.parse("hidden=32") == Setting(name: "hidden", value: "32"))
        #expect(try Setting.parse("a=b=c") == Setting(name: "a", value: "b=c"))
        #expect(try Setting.parse("w_c=0.1").description == "w_c=0.1")
    }

    @Test func rejectsWhatIsNotNameEqualsValue() {
        expectError("'hidden' is not name=value") { try Setting.parse("hidden") }
        expectError("'=32' is not name=value: the name is empty") { try Setting.parse("=32") }
        expectError("'hidden=' is not name=value: the value of hidden is empty") { try Setting.parse("hidden=") }
    }

    @Test func appliesInOrderAndPassesTheSettersErrorOn() throws {
        var seen: [String] = []
        try Setting.apply([Setting(name: "a", value: "1"), Setting(name: "a", value: "2")]) { seen.append("\($0)=\($1)") }
        #expect(seen == ["a=1", "a=2"])

        struct Unknown: Error, CustomStringConvertible { var description: String { "unknown option 'b'" } }
        expectError("unknown option 'b'") {
            try Setting.apply([Setting(name: "b", value: "1")]) { _, _ in throw Unknown() }
        }
    }
}

struct SettingGridTests {
    @Test func commaListsMakeEveryCombination() throws {
        let sets = Setting.grid([try Setting.parse("w_c=0,0.1"), try Setting.parse("hidden=64"),
                                 try Setting.parse("reconstruction=cosine,mse")])
        #expect(sets.count == 4)
        #expect(sets.map { $0.map(\.description).joined(separator: " ") } == [
            "w_c=0 hidden=64 reconstruction=cosine", "w_c=0 hidden=64 reconstruction=mse",
            "w_c=0.1 hidden=64 reconstruction=cosine", "w_c=0.1 hidden=64 reconstruction=mse",
        ])
        #expect(Setting.grid([]) == [[]])
    }
}
