import Foundation
import Testing
@testable import CSDResults

@Suite struct ResultsTableTests {
    @Test func fieldsAreQuotedPerRFC4180() {
        #expect(ResultsTable.field("plain") == "plain")
        #expect(ResultsTable.field("") == "")
        #expect(ResultsTable.field("a,b") == "\"a,b\"")
        #expect(ResultsTable.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ResultsTable.field("two\nlines") == "\"two\nlines\"")
        #expect(ResultsTable.field("crlf\r\n") == "\"crlf\r\n\"")
        #expect(ResultsTable.field(" padded") == "\" padded\"")
    }

    @Test func everyFieldIsFlattenedWithOptionColumnsAsAUnion() throws {
        let a = SampleRows.row(method: "csd", labels: 10, seed: 0, options: ["beta": "0.1", "note": "x, \"y\""])
        var b = SampleRows.row(method: "supervised", labels: nil, seed: 1, options: ["lr": "0.001"])
        b.validationChosenTestError = 0.25
        let csv = ResultsTable.csv([a, b])
        #expect(csv.hasSuffix("\r\n"))
        let records = try parseCSV(csv)
        #expect(records.count == 3)
        let header = records[0]
        #expect(records.allSatisfy { $0.count == header.count })
        #expect(header.first == "run_id")
        #expect(header.last == "test_errors")
        for name in ["opt.beta", "opt.lr", "opt.note", "cache.model_id", "cache.dataset_id", "best_test_error",
                     "final_test_error", "validation_chosen_test_error", "labels_requested", "backbone"] {
            #expect(header.contains(name), "missing column \(name)")
        }
        func value(_ record: [String], _ column: String) -> String { record[header.firstIndex(of: column)!] }
        #expect(value(records[1], "opt.note") == "x, \"y\"")
        #expect(value(records[1], "opt.lr") == "")
        #expect(value(records[2], "opt.lr") == "0.001")
        #expect(value(records[2], "labels_requested") == "all")
        #expect(value(records[2], "labels") == "60000")
        #expect(value(records[1], "validation_chosen_test_error") == "")
        #expect(value(records[2], "validation_chosen_test_error") == "0.25")
        #expect(Double(value(records[1], "best_test_error")) == a.bestTestError)
        let errors = value(records[1], "test_errors").split(separator: ";").compactMap { Double($0) }
        #expect(errors == a.testErrors)
        // The quoted field really is quoted in the text.
        #expect(csv.contains(",\"x, \"\"y\"\"\","))
    }

    /// A strict RFC 4180 reader, so the test checks the quoting rather than trusting it.
    func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, i = text.unicodeScalars.startIndex
        let s = text.unicodeScalars
        while i < s.endIndex {
            let c = s[i]
            if quoted {
                if c == "\"" {
                    let next = s.index(after: i)
                    if next < s.endIndex && s[next] == "\"" { field.unicodeScalars.append("\""); i = next } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\r" {
                let next = s.index(after: i)
                guard next < s.endIndex, s[next] == "\n" else { throw CSVError.bareCR }
                record.append(field); records.append(record); record = []; field = ""; i = next
            } else if c == "\n" || c == "\"" {
                throw CSVError.unquoted
            } else { field.unicodeScalars.append(c) }
            i = s.index(after: i)
        }
        #expect(!quoted && record.isEmpty && field.isEmpty, "CSV must end with a complete record")
        return records
    }

    enum CSVError: Error { case bareCR, unquoted }
}
