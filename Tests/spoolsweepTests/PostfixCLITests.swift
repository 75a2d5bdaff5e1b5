import Foundation
import Testing

/// The Postfix corpus (real Postfix 3.7 log and queue, see fixtures/postfix): exact outputs, and
/// the answer key of its GROUND_TRUTH.md.
@Suite(.serialized) struct PostfixCLITests {
    /// A copy of fixtures/postfix whose log is dated 2026-11-29 (its lines carry no year).
    static let copy: URL = {
        let base = URL(fileURLWithPath: CLI.sampleFolderPath).appendingPathComponent("pf")
        _ = CLI.sampleCopy // makes the folder removed at exit
        try? FileManager.default.removeItem(at: base)
        try! FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try! FileManager.default.copyItem(at: CLI.root.appendingPathComponent("fixtures/postfix"), to: base.appendingPathComponent("postfix"))
        try! FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_795_924_800)], // 2026-11-29 04:00 UTC
                                               ofItemAtPath: base.appendingPathComponent("postfix/maillog").path)
        return base
    }()
    static let now = ["--now", "2026-11-29T04:00:00"]

    static let cases: [(String, [String])] = [
        ("postfix-summary.txt", ["summary", "--top", "5", "postfix/maillog"]),
        ("postfix-summary-detail.json", ["summary", "--format", "json", "--top", "3", "--detail", "4", "postfix/maillog"]),
        ("postfix-suspects.txt", ["suspects"] + now + ["postfix/maillog", "postfix/queue"]),
        ("postfix-spool-shape.txt", ["spool", "shape", "--top", "8"] + now + ["postfix/queue"]),
        ("postfix-spool-hold.txt", ["spool", "list", "--state", "hold"] + now + ["postfix/queue"]),
        ("postfix-spool-history.json", ["spool", "list", "--history", "--format", "json", "--state", "hold"] + now + ["postfix/maillog", "postfix/queue"]),
    ]

    @Test(arguments: 0..<cases.count)
    func golden(_ index: Int) throws {
        let (name, args) = Self.cases[index]
        let r = try CLI.run(args, in: Self.copy)
        try CLI.expectGolden(r.stdout, name)
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    /// One thread or several (the log read in shares, pflogsumm's totals on a thread of their
    /// own), one output: the summary and the suspects.
    @Test(arguments: ["summary", "suspects"])
    func theReportsDoNotDependOnTheThreads(_ command: String) throws {
        let run = { (threads: String) in
            try CLI.run([command, "--format", "json", "--threads", threads] + Self.now + ["postfix/maillog"], in: Self.copy)
        }
        let one = try run("1")
        #expect(one.status == 0)
        #expect(one.stdout.contains(command == "summary" ? "\"server_totals\"" : "sam@acme-corp.test"))
        #expect(try run("2") == one)
        #expect(try run("3") == one)
    }

    /// Just after logrotate (`summary mail.log.1 mail.log`, mail.log empty): a warning naming it,
    /// exit 2, and the figures of the rest (it used to abort with 66 and read nothing).
    @Test func anEmptyLogJustAfterRotationIsAWarning() throws {
        let dir = Self.copy.appendingPathComponent("empty")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.copy.appendingPathComponent("postfix/maillog"), to: dir.appendingPathComponent("mail.log.1"))
        FileManager.default.createFile(atPath: dir.appendingPathComponent("mail.log").path, contents: Data())
        let r = try CLI.run(["summary", "--format", "json", "empty/mail.log.1", "empty/mail.log"], in: Self.copy)
        #expect(r.status == 2)
        #expect(r.stderr == "spoolsweep: warning: empty/mail.log: empty: nothing logged in it yet (a log just rotated?)\nspoolsweep: 1 warning(s): the results cover only what could be read\n")
        #expect(r.stdout.contains("\"received\": 256,"), "\(r.stdout.prefix(300))")
    }

    /// Rotated logs, the older one compressed, read oldest first: the same summary as the
    /// whole log; a cut .gz is named in a warning and the rest is read.
    @Test func rotatedAndCompressedLogsAddUp() throws {
        let dir = Self.copy.appendingPathComponent("rotated")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lines = try String(contentsOf: Self.copy.appendingPathComponent("postfix/maillog"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        try (lines[..<1500].joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("mail.log.1"), atomically: false, encoding: .utf8)
        try lines[1500...].joined(separator: "\n").write(to: dir.appendingPathComponent("mail.log"), atomically: false, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = [dir.appendingPathComponent("mail.log.1").path]
        try gzip.run()
        gzip.waitUntilExit()
        let stamp = Date(timeIntervalSince1970: 1_795_924_800)
        for name in ["mail.log", "mail.log.1.gz"] {
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: dir.appendingPathComponent(name).path)
        }
        let whole = try CLI.run(["summary", "--format", "json", "postfix/maillog"], in: Self.copy)
        let rotated = try CLI.run(["summary", "--format", "json", "rotated"], in: Self.copy)
        func totals(_ json: String) -> Substring { json[json.range(of: "\"totals\"")!.lowerBound..<json.range(of: "\"days\"")!.lowerBound] }
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(totals(rotated.stdout) == totals(whole.stdout))

        let full = try Data(contentsOf: dir.appendingPathComponent("mail.log.1.gz"))
        try full.prefix(full.count / 2).write(to: dir.appendingPathComponent("mail.log.2.gz"))
        let cut = try CLI.run(["summary", "rotated"], in: Self.copy)
        #expect(cut.status == 2)
        #expect(cut.stderr.hasPrefix("spoolsweep: warning: rotated/mail.log.2.gz: compressed log cut short (.gz ends mid-stream)\n"))
    }

    /// A live Postfix queue is changed through postsuper only (PostsuperTests); a copy, with
    /// --offline, by the same journaled moves as a SmarterMail spool.
    @Test func queueFilesMoveOnlyOffline() throws {
        let live = try CLI.run(["spool", "quarantine", "--auth", "^sam@acme-corp\\.test$", "postfix/queue"], in: Self.copy)
        #expect(live.status == 64)
        #expect(live.stderr == "error: postsuper not found in $PATH or /usr/sbin: a live Postfix queue is changed through it (give --queue-tool PATH); for a copy of the queue with Postfix not running on it, add --offline\n")
        // A dry run shows the selection, and says the real run would not start.
        let dry = try CLI.run(["spool", "quarantine", "--dry-run", "--min-age", "0s", "--auth", "^sam@acme-corp\\.test$"] + Self.now + ["postfix/queue"], in: Self.copy)
        #expect(dry.stdout.hasPrefix("Would quarantine 176 messages (289.0 KiB) through postsuper (put on hold) (dry run: nothing changed)\n"))
        #expect(dry.stderr == "spoolsweep: warning: dry run: the real run would not start: postsuper not found in $PATH or /usr/sbin: a live Postfix queue is changed through it (give --queue-tool PATH); for a copy of the queue with Postfix not running on it, add --offline\nspoolsweep: 1 warning(s): the results cover only what could be read\n")
        #expect(dry.status == 2)
        let q = try CLI.run(["spool", "quarantine", "--offline", "--min-age", "0s", "--auth", "^sam@acme-corp\\.test$"] + Self.now + ["postfix/queue"], in: Self.copy)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.hasPrefix("Quarantined 182 messages ("))
        #expect(try CLI.run(["spool", "list", "--count"] + Self.now + ["postfix/queue"], in: Self.copy).stdout == "54\n")
        let batch = try #require(try FileManager.default.contentsOfDirectory(atPath: Self.copy.appendingPathComponent("postfix/queue/spoolsweep-quarantine/batches").path).first)
        // The Undo line is the command that puts them back: with --offline, as the quarantine ran.
        let undo = try #require(q.stdout.split(separator: "\n").last { $0.hasPrefix("Undo: ") })
        #expect(undo == "Undo: spoolsweep spool restore \(batch) --offline postfix/queue")
        let words = undo.dropFirst("Undo: spoolsweep ".count).split(separator: " ").map(String.init)
        let r = try CLI.run(Array(words.dropLast()) + Self.now + ["postfix/queue"], in: Self.copy)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["spool", "list", "--count"] + Self.now + ["postfix/queue"], in: Self.copy).stdout == "236\n")
    }

    /// GROUND_TRUTH.md, "Queued messages matching each pattern".
    @Test(arguments: [
        (["--subject", "^Invoice overdue - payment details updated$"], "180"),
        (["--body", "pay-portal\\.invoice-update\\.test"], "180"),
        (["--auth", "^sam@acme-corp\\.test$"], "182"),
        (["--sender", "^sam@acme-corp\\.test$"], "131"),
        (["--sender", "^billing@acme-corp\\.test$"], "51"),
        (["--subject", "^Newsletter signup: claim your free voucher$"], "35"),
        (["--body", "voucher-free\\.promo-gift\\.test", "--state", "hold"], "3"),
    ])
    func queueSelectionsMatchTheAnswerKey(_ filter: [String], _ count: String) throws {
        let r = try CLI.run(["spool", "list", "--count"] + filter + Self.now + ["postfix/queue"], in: Self.copy)
        #expect(r.stdout == count + "\n", "\(filter)")
    }
}
