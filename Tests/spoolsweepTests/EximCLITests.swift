import Foundation
import Testing

/// The Exim corpus (a real Exim 4.96 mainlog, see fixtures/exim): exact outputs, and the answer
/// key of its GROUND_TRUTH.md.
@Suite struct EximCLITests {
    static let now = ["--now", "2026-11-29T03:31:00"]
    static let fixtures = CLI.root.appendingPathComponent("fixtures")

    static let cases: [(String, [String])] = [
        ("exim-summary.txt", ["summary", "--top", "5", "exim/log"]),
        ("exim-summary-detail.txt", ["summary", "--top", "3", "--detail", "4", "exim/log"]),
        ("exim-suspects.txt", ["suspects"] + now + ["exim/log", "exim/spool"]),
        ("exim-spool-history.txt", ["spool", "list", "--history", "--sender", "^(olivia|liam)@"] + now + ["exim/log", "exim/spool"]),
    ]

    @Test(arguments: 0..<cases.count)
    func golden(_ index: Int) throws {
        let (name, args) = Self.cases[index]
        let r = try CLI.run(args, in: Self.fixtures)
        try CLI.expectGolden(r.stdout, name)
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    /// The answer key: the compromised account first, with the brute-force IP and the login
    /// after it; the relay host 127.0.0.90 a suspect; `--fail-on-suspect` says so (exit 1).
    @Test func suspectsRankTheCompromisedAccountFirst() throws {
        let r = try CLI.run(["suspects", "--format", "json", "--fail-on-suspect"] + Self.now + ["exim/log"], in: Self.fixtures)
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let suspects = try #require(object["suspects"] as? [[String: Any]])
        #expect(suspects.first?["name"] as? String == "sam@acme-corp.test")
        #expect(suspects.dropFirst().first?["name"] as? String == "127.0.0.90")
        #expect(r.stdout.contains("127.0.0.44"))
    }

    /// One thread or several (the log read in shares, eximstats' totals on a thread of their
    /// own), one output.
    @Test(arguments: ["summary", "suspects"])
    func theReportsDoNotDependOnTheThreads(_ command: String) throws {
        let run = { (threads: String) in
            try CLI.run([command, "--format", "json", "--threads", threads] + Self.now + ["exim/log/mainlog"], in: Self.fixtures)
        }
        let one = try run("1")
        #expect(one.status == 0)
        #expect(one.stdout.contains(command == "summary" ? "\"server_totals\"" : "sam@acme-corp.test"))
        #expect(try run("2") == one)
        #expect(try run("3") == one)
    }

    /// Just after rotation (`summary mainlog.1 mainlog`, the new mainlog empty): a warning naming
    /// it, exit 2, and the figures of the rest.
    @Test func anEmptyLogJustAfterRotationIsAWarning() throws {
        let dir = URL(fileURLWithPath: CLI.sampleFolderPath).appendingPathComponent("exim-empty")
        _ = CLI.sampleCopy
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("exim/log/mainlog"), to: dir.appendingPathComponent("mainlog.1"))
        FileManager.default.createFile(atPath: dir.appendingPathComponent("mainlog").path, contents: Data())
        let r = try CLI.run(["summary", "--format", "json", dir.appendingPathComponent("mainlog.1").path, dir.appendingPathComponent("mainlog").path], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == """
            spoolsweep: warning: \(dir.appendingPathComponent("mainlog").path): empty: nothing logged in it yet (a log just rotated?)
            spoolsweep: 1 warning(s): the results cover only what could be read

            """)
        #expect(r.stdout.contains("\"accepted\": 257,"))
    }

    /// Rotated logs (`mainlog.2.gz`, `mainlog.1`, `mainlog`), read oldest first: the same
    /// summary as the whole log. The rejectlog beside them is counted as skipped, not read.
    @Test func rotatedAndCompressedLogsAddUp() throws {
        let dir = URL(fileURLWithPath: CLI.sampleFolderPath).appendingPathComponent("exim-rotated")
        _ = CLI.sampleCopy
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lines = try String(contentsOf: Self.fixtures.appendingPathComponent("exim/log/mainlog"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        try (lines[..<700].joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("mainlog.2"), atomically: false, encoding: .utf8)
        try (lines[700..<1400].joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("mainlog.1"), atomically: false, encoding: .utf8)
        try lines[1400...].joined(separator: "\n").write(to: dir.appendingPathComponent("mainlog"), atomically: false, encoding: .utf8)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("exim/log/rejectlog"), to: dir.appendingPathComponent("rejectlog"))
        let gzip = try CLI.run(URL(fileURLWithPath: "/bin/gzip"), [dir.appendingPathComponent("mainlog.2").path], in: dir)
        #expect(gzip.status == 0)
        let whole = try CLI.run(["summary", "--format", "json", "exim/log/mainlog"], in: Self.fixtures)
        let parts = try CLI.run(["summary", "--format", "json", dir.path], in: Self.fixtures)
        #expect(parts.status == 0)
        #expect(whole.stdout.contains("\"files_read\": 1,\n    \"files_skipped\": 0,"))
        #expect(parts.stdout.contains("\"files_read\": 3,\n    \"files_skipped\": 1,"))
        let same = { (s: String) in s.replacingOccurrences(of: "\"files_read\": 3,\n    \"files_skipped\": 1,", with: "\"files_read\": 1,\n    \"files_skipped\": 0,") }
        #expect(same(parts.stdout) == whole.stdout)
    }
}
