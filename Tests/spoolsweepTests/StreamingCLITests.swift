import Foundation
import Testing

/// Issue #14, memory that does not grow with the spool: `spool list --count`, `--ids-only`,
/// `--format csv` and `--format jsonl` print each message as it is selected. Their outputs on the
/// three fixtures are byte for byte those of the binary before streaming (fixtures/golden/streaming,
/// captured by its capture.sh from the commit before), and JSON Lines holds the JSON `messages`.
@Suite(.serialized) struct StreamingCLITests {
    static let expected = CLI.root.appendingPathComponent("fixtures/golden/streaming")
    static let smartermailNow = ["--now", "2026-11-28T18:00:00"]
    static let corpusNow = ["--now", "2026-11-29T04:00:00"]

    enum Fixture: String, CaseIterable {
        case smartermail, postfix, exim

        /// Where to run, and the path to give (relative, as the expected outputs print them).
        var place: (folder: URL, path: String, now: [String]) {
            switch self {
            case .smartermail: (CLI.sampleCopy, "smartermail", StreamingCLITests.smartermailNow)
            case .postfix: (PostfixCLITests.copy, "postfix/queue", StreamingCLITests.corpusNow)
            case .exim: (CLI.root.appendingPathComponent("fixtures"), "exim/spool/exim4", StreamingCLITests.corpusNow)
            }
        }
    }

    /// (expected output's name, fixture, options): as capture.sh runs them.
    static let cases: [(String, Fixture, [String])] = Fixture.allCases.flatMap { f in
        ["text", "json", "csv"].flatMap { format in
            [("\(f)-count.\(format)", f, ["--count", "--format", format]),
             ("\(f)-ids.\(format)", f, ["--ids-only", "--format", format])]
        } + [("\(f)-list.csv", f, ["--format", "csv"])]
    } + [
        ("smartermail-subject-ids.text", .smartermail, ["--ids-only", "-i", "--subject", "gift|rechnung|invoice"]),
        ("smartermail-body-count.csv", .smartermail, ["--count", "--format", "csv", "--body", "http"]),
        ("smartermail-id-findings.text", .smartermail, ["--count", "--id", "20324046", "--id", "999", "--id", "30909693", "--sender", "^$"]),
        ("postfix-sender-list.csv", .postfix, ["--format", "csv", "--sender", "a"]),
        ("exim-frozen-ids.text", .exim, ["--ids-only", "--frozen"]),
    ]

    func run(_ fixture: Fixture, _ options: [String]) throws -> CLI.Result {
        let p = fixture.place
        return try CLI.run(["spool", "list"] + options + p.now + [p.path], in: p.folder)
    }

    func expected(_ name: String) throws -> String {
        try String(contentsOf: Self.expected.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(arguments: 0..<cases.count)
    func theStreamedOutputIsTodays(_ index: Int) throws {
        let (name, fixture, options) = Self.cases[index]
        let r = try run(fixture, options)
        #expect(r.status == 0, "\(name): \(r.stderr)")
        #expect(r.stdout == (try expected(name)), "\(name): stdout differs from fixtures/golden/streaming/\(name)")
        #expect(r.stderr == (try expected(name + ".stderr")), "\(name): stderr differs")
    }

    /// One JSON object a line, each the element of the JSON `messages` array, in its order; the
    /// same warnings; on SmarterMail and Exim also the messages the binary printed before.
    @Test(arguments: Fixture.allCases)
    func jsonLinesHoldTheJSONMessages(_ fixture: Fixture) throws {
        let lines = try run(fixture, ["--format", "jsonl"])
        let json = try run(fixture, ["--format", "json"])
        #expect(lines.status == 0 && json.status == 0, "\(lines.stderr)")
        #expect(lines.stderr == json.stderr)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let messages = try #require(document["messages"] as? [NSDictionary])
        let records = lines.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(records.last == "" && records.count == messages.count + 1, "one line per message, each ended")
        for (i, record) in records.dropLast().enumerated() {
            #expect(record.hasPrefix("{\"id\":\"") && record.hasSuffix("}"), "a compact object: \(record.prefix(80))")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? NSDictionary)
            if i < messages.count { #expect(object == messages[i], "line \(i + 1)") }
        }
        #expect(document["count"] as? Int == messages.count)
        if fixture != .postfix { // (Postfix: next_attempt is the copied queue files' time)
            let before = try #require(try JSONSerialization.jsonObject(with: Data((try expected("\(fixture)-list.json")).utf8)) as? [String: Any])
            #expect((before["messages"] as? [NSDictionary]) == messages)
        }
    }

    /// With --history (the logs read for the messages selected) each line has its `history`, as
    /// the JSON has; `--ids-only --format jsonl` is a JSON string a line.
    @Test func jsonLinesWithHistoryAndIDs() throws {
        let options = ["--history", "--auth", "^lucas@"]
        let lines = try run(.smartermail, options + ["--format", "jsonl"])
        let json = try run(.smartermail, options + ["--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let messages = try #require(document["messages"] as? [NSDictionary])
        let objects = try lines.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        #expect(!messages.isEmpty && objects == messages)
        #expect(messages.allSatisfy { $0["history"] != nil })
        #expect(lines.stderr == json.stderr)
        let ids = try run(.smartermail, ["--ids-only", "--format", "jsonl", "--sender", "^$"])
        #expect(ids.stdout == "\"20324046\"\n\"38973624\"\n\"868583812463\"\n")
    }

    /// The first SmarterMail record as a user sees it.
    @Test func aJSONLinesRecordAsItIsPrinted() throws {
        let r = try run(.smartermail, ["--format", "jsonl", "--id", "20324046"])
        #expect(r.stdout == """
            {"id":"20324046","queue":"SubSpool1","state":"Written","created":"2026-11-27 19:04:02","age_seconds":82558,"size":4485,"sender":"","auth":null,"client_ip":"127.0.0.1","helo":"mail.northwind.test","session_id":null,"attempts":4,"next_attempt":"2026-11-29 00:04:04","recipients":["events@tailspin.test"],"subject":"Undeliverable: Re: Webinar invitation","envelope_path":"smartermail/Spool/SubSpool1/20324046.hdr","content_path":"smartermail/Spool/SubSpool1/20324046.eml"}

            """, "\(r.stderr)")
    }

    /// A streamed selection of nothing prints what the kept one did: the header, an empty array.
    @Test func nothingSelectedPrintsTheHeaderOrAnEmptyArray() throws {
        let none = ["--sender", "nomatchxyz"]
        for (options, out) in [(["--count", "--format", "csv"], "count\n0\n"), (["--ids-only", "--format", "json"], "[]\n"),
                               (["--ids-only", "--format", "csv"], "id\n"), (["--ids-only"], ""), (["--format", "jsonl"], ""),
                               (["--format", "csv"], "id,queue,state,age_seconds,size,sender,auth,client_ip,recipients,subject\n")] {
            let r = try run(.exim, options + none)
            #expect(r.stdout == out && r.stderr == "" && r.status == 0, "\(options)")
        }
    }

    /// Only `spool list` prints JSON Lines: the other commands refuse it before reading.
    @Test func otherCommandsRefuseJSONLines() throws {
        for args in [["summary", "smartermail/Logs"], ["spool", "shape", "smartermail"], ["suspects", "smartermail"]] {
            let r = try CLI.run(Array(args.dropLast()) + ["--format", "jsonl", args.last!])
            #expect(r.status == 64, "\(args)")
            #expect(r.stdout == "")
            #expect(r.stderr == "error: --format jsonl: only spool list prints JSON Lines (one message a line); use --format json\n")
        }
    }
}
