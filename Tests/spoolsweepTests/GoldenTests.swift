import Foundation
import Testing

/// Every command's exact output on the sample server, against committed golden files.
/// "Now" is fixed at 2026-11-28 18:00:00 (the moment the sample spool was copied).
@Suite(.serialized) struct GoldenTests {
    static let now = ["--now", "2026-11-28T18:00:00"]
    /// The sample spool's two orphans: findings, reported on standard error, not a failure.
    static let orphanWarnings = """
        spoolsweep: finding: smartermail/Spool/SubSpool2/868583812463.eml: message (.eml) without its envelope (.hdr)
        spoolsweep: finding: smartermail/Spool/SubSpool3/30909693.hdr: envelope (.hdr) without its message (.eml)

        """

    /// (golden file, arguments, expected exit status, whether the spool — with its two orphans — is read)
    static let cases: [(String, [String], Int32, Bool)] = [
        ("summary.txt", ["summary", "smartermail/Logs"], 0, false),
        ("summary.json", ["summary", "--format", "json", "smartermail/Logs"], 0, false),
        ("summary.csv", ["summary", "--format", "csv", "smartermail/Logs"], 0, false),
        ("summary-2026-11-28.txt", ["summary", "--date", "2026-11-28", "--top", "5", "smartermail"], 0, false),
        ("summary-yesterday.txt", ["summary", "--date", "yesterday", "--top", "3"] + now + ["smartermail/Logs"], 0, false),
        ("summary-detail.txt", ["summary", "--date", "2026-11-28", "--top", "3", "--detail", "5", "smartermail/Logs"], 0, false),
        ("suspects.txt", ["suspects"] + now + ["smartermail"], 0, true),
        ("suspects.json", ["suspects", "--format", "json"] + now + ["smartermail"], 0, true),
        ("suspects.csv", ["suspects", "--format", "csv"] + now + ["smartermail"], 0, true),
        ("spool-list.txt", ["spool", "list"] + now + ["smartermail"], 0, true),
        ("spool-list.json", ["spool", "list", "--format", "json", "--state", "writing,failed,drop"] + now + ["smartermail"], 0, true),
        ("spool-list.csv", ["spool", "list", "--format", "csv", "--sender", "^$"] + now + ["smartermail"], 0, true),
        ("spool-list-jane-count.txt", ["spool", "list", "--auth", "^jane@northwind\\.test$", "--count"] + now + ["smartermail"], 0, true),
        ("spool-list-body-ids.txt", ["spool", "list", "--body", "claim\\.gift-card-prize", "--ids-only"] + now + ["smartermail"], 0, true),
        ("spool-list-subject-i.txt", ["spool", "list", "-i", "--subject", "RECHNUNG|café", "--older-than", "1h"] + now + ["smartermail"], 0, true),
        ("spool-list-header-size.txt", ["spool", "list", "--header", "X-SmarterMail-Spam: .", "--min-size", "3k", "--max-size", "1M"] + now + ["smartermail"], 0, true),
        ("spool-list-history.txt", ["spool", "list", "--history", "--younger-than", "3h", "--state", "Written"] + now + ["smartermail"], 0, true),
        ("spool-list-history.json", ["spool", "list", "--history", "--format", "json", "--auth", "^lucas@"] + now + ["smartermail"], 0, true),
        ("spool-shape.txt", ["spool", "shape", "--top", "10"] + now + ["smartermail"], 0, true),
        ("spool-shape.json", ["spool", "shape", "--format", "json", "--top", "5"] + now + ["smartermail"], 0, true),
    ]

    @Test(arguments: 0..<cases.count)
    func golden(_ index: Int) throws {
        let (name, args, status, readsSpool) = Self.cases[index]
        let result = try CLI.run(args)
        try CLI.expectGolden(result.stdout, name)
        #expect(result.stderr == (readsSpool ? Self.orphanWarnings : ""), "\(name)")
        #expect(result.status == status, "\(name)")
    }

    /// The logs are read in one share per thread, and suspects reads the spool beside them when it
    /// has more than one thread: the same report and the same warnings, in the same order, on one
    /// thread, two or three.
    @Test(arguments: ["1", "2", "3"])
    func reportsDoNotDependOnTheThreads(_ threads: String) throws {
        let suspects = try CLI.run(["suspects", "--format", "json", "--threads", threads] + Self.now + ["smartermail"])
        try CLI.expectGolden(suspects.stdout, "suspects.json")
        #expect(suspects.stderr == Self.orphanWarnings)
        #expect(suspects.status == 0)
        let summary = try CLI.run(["summary", "--format", "json", "--threads", threads, "smartermail/Logs"])
        try CLI.expectGolden(summary.stdout, "summary.json")
        #expect(summary.stderr == "")
        #expect(summary.status == 0)
    }

    /// The detail sections are merged from every thread's share exactly: the same on 1, 2 and 3.
    @Test(arguments: ["2", "3"])
    func detailDoesNotDependOnTheThreads(_ threads: String) throws {
        for (folder, path) in [(CLI.sampleCopy, "smartermail/Logs"), (CLI.root.appendingPathComponent("fixtures"), "exim/log"),
                               (CLI.root.appendingPathComponent("fixtures"), "postfix/maillog")] {
            let one = try CLI.run(["summary", "--format", "json", "--detail", "50", "--threads", "1", path], in: folder)
            let many = try CLI.run(["summary", "--format", "json", "--detail", "50", "--threads", threads, path], in: folder)
            #expect(one.status == 0 && one.stdout.contains("\"details\": {"))
            #expect(many.stdout == one.stdout, "\(path) on \(threads) threads")
        }
    }

    @Test func failOnSuspectSetsTheExitStatus() throws {
        let result = try CLI.run(["suspects", "--fail-on-suspect", "--format", "csv"] + Self.now + ["smartermail/Logs"])
        #expect(result.status == 1)
        #expect(result.stderr == "")
        // The day before the attack is an ordinary day.
        let quiet = try CLI.run(["suspects", "--fail-on-suspect", "--date", "2026-11-27", "smartermail/Logs"])
        #expect(quiet.status == 0)
        #expect(quiet.stdout.hasSuffix("\nNo sender crosses a threshold (11 senders seen).\n"))
    }
}

/// Errors a user meets: each says what is wrong, and the exit status says which kind.
struct ErrorTests {
    @Test func badPatternIsRefusedWithPCRE2sMessageAndOffset() throws {
        let result = try CLI.run(["spool", "list", "--subject", "(unclosed", "smartermail"])
        #expect(result.stdout == "")
        #expect(result.stderr == "error: --subject: missing closing parenthesis at offset 9\n")
        #expect(result.status == 64)
    }

    @Test func missingPath() throws {
        let result = try CLI.run(["summary", "no/such/folder"])
        #expect(result.stderr == "error: no/such/folder: no such file or folder\n")
        #expect(result.status == 66)
    }

    @Test func folderThatIsNoMailServer() throws {
        let result = try CLI.run(["summary", "."], in: CLI.root.appendingPathComponent("Sources/CPCRE2"))
        #expect(result.stderr == "error: .: not a known mail server layout (looked for smartermail: a server folder with Logs/ or Spool/ (or Domains/Spool/), a folder of YYYY.MM.DD-kind.log (.log.zip) files, a spool folder with SubSpoolN/proc/delay/Drop or .hdr/.eml files, or such files; postfix: a Postfix log (mail.log, maillog, rotated .1 copies) or a queue directory with deferred/, hold/, active/... (or postfix/deferred ...); exim: an Exim log (mainlog, exim_mainlog, main.log, rotated .1/.N.gz copies) or a spool directory with input/ (and msglog/); events: spoolsweep event files (*.ndjson, *.jsonl, .gz, .zst or not) whose lines are {\"v\":1,...})\n")
        #expect(result.status == 66)
    }

    /// A folder with `log/` and an Exim `spool/` (input/, msglog/) is not a SmarterMail server
    /// root with an empty spool.
    @Test func anotherServersSpoolIsNotSmarterMails() throws {
        let result = try CLI.run(["summary", "fixtures/exim"], in: CLI.root)
        #expect(result.stderr.hasPrefix("error: fixtures/exim: not a known mail server layout (looked for smartermail: "))
        #expect(result.status == 66)
    }

    @Test func badDate() throws {
        let result = try CLI.run(["summary", "--date", "28/11/2026", "smartermail"])
        #expect(result.stderr == "error: --date: expected today, yesterday or YYYY-MM-DD, got '28/11/2026'\n")
        #expect(result.status == 64)
    }

    @Test func badRate() throws {
        let result = try CLI.run(["suspects", "--rate", "lots", "smartermail"])
        #expect(result.stderr == "error: --rate: expected COUNT/DURATION with a unit (s, m, h, d, w) such as 100/10m, got 'lots'\n")
        #expect(result.status == 64)
    }

    /// Option values out of range are refused with the option's name (exit 64), never an
    /// overflow: huge ages and sizes, a negative one, a rate without a unit or with no window.
    @Test(arguments: [
        (["spool", "list", "--older-than", "999999999999999d"], "--older-than: expected a duration such as 90s, 30m, 2h or 3d, up to 36500d, got '999999999999999d'"),
        (["spool", "list", "--younger-than=-5m"], "--younger-than: expected a duration such as 90s, 30m, 2h or 3d, up to 36500d, got '-5m'"),
        (["spool", "list", "--min-size", "9999999999999999G"], "--min-size: expected a size such as 500, 10k, 2M or 1G (k, M, G, T and KiB, MiB... are powers of 1024; kB, MB, GB, TB powers of 1000), up to 1 TiB, got '9999999999999999G'"),
        (["spool", "list", "--max-size", "99999999999999999999k"], "--max-size: expected a size such as 500, 10k, 2M or 1G (k, M, G, T and KiB, MiB... are powers of 1024; kB, MB, GB, TB powers of 1000), up to 1 TiB, got '99999999999999999999k'"),
        (["suspects", "--rate", "50/10"], "--rate: expected COUNT/DURATION with a unit (s, m, h, d, w) such as 100/10m, got '50/10'"),
        (["suspects", "--rate", "50/0m"], "--rate 50/0m: the window must be longer than 0"),
    ])
    func outOfRangeOptionValues(_ args: [String], _ message: String) throws {
        let result = try CLI.run(args + ["smartermail"])
        #expect(result.stderr == "error: \(message)\n")
        #expect(result.status == 64)
    }

    /// CSV cells are attacker text bound for a spreadsheet: a formula (`=`, `+`, `-`, `@`) gets a
    /// leading `'`, control bytes are written `\xNN`, and every record stays one line.
    @Test func csvCellsAreNeutralised() throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spoolsweep-csv-\(getpid())/SubSpool1")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: spool.deletingLastPathComponent()) }
        try "Written \r\n@evil.test\r\n-x@example.org\r\ncreationdate: 11/28/2026 17:00:00\r\nhelo: +mx\tone\r\n\r\n"
            .write(to: spool.appendingPathComponent("12345678.hdr"), atomically: false, encoding: .utf8)
        try "Subject: =HYPERLINK(\"http://evil.test\",\"click\")\tnow\r\n\r\nbody\r\n"
            .write(to: spool.appendingPathComponent("12345678.eml"), atomically: false, encoding: .utf8)
        let result = try CLI.run(["spool", "list", "--format", "csv", "--now", "2026-11-28T18:00:00", "SubSpool1"],
                                 in: spool.deletingLastPathComponent())
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2] == "")
        #expect(lines[1] == #"12345678,SubSpool1,Written,3600,61,'@evil.test,,,1,"'=HYPERLINK(""http://evil.test"",""click"")\x09now""#)
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Every format is the format asked for: `--ids-only` as a JSON array or a CSV column,
    /// `--count` as CSV with its header, `recover` as CSV.
    @Test func idsCountsAndRecoveryInEveryFormat() throws {
        let args = ["spool", "list", "--sender", "^$", "smartermail"]
        #expect(try CLI.run(args + ["--ids-only", "--format", "json"]).stdout == "[\n  \"20324046\",\n  \"38973624\",\n  \"868583812463\"\n]\n")
        #expect(try CLI.run(args + ["--ids-only", "--format", "csv"]).stdout == "id\n20324046\n38973624\n868583812463\n")
        #expect(try CLI.run(args + ["--count", "--format", "csv"]).stdout == "count\n3\n")
        _ = CLI.sampleCopy
        let recover = try CLI.run(["spool", "recover", "--format", "csv", "smartermail"], in: URL(fileURLWithPath: CLI.sampleFolderPath))
        #expect(recover.stdout == "journals,completed,rolled_back,audit_records,problems\n0,0,0,0,\n", "\(recover.stderr)")
    }

    /// A server root given as a symbolic link (a common `/var/lib/smartermail` set-up) is read as
    /// the folder it points to; links inside the spool stay unfollowed.
    @Test func aServerRootGivenAsALinkIsResolved() throws {
        _ = CLI.sampleCopy
        let link = URL(fileURLWithPath: CLI.sampleFolderPath).appendingPathComponent("smartermail-link")
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: CLI.root.appendingPathComponent("fixtures/smartermail").path)
        let viaLink = try CLI.run(["spool", "list", "--count", link.path])
        let direct = try CLI.run(["spool", "list", "--count", CLI.root.appendingPathComponent("fixtures/smartermail").path])
        #expect(viaLink.stdout == direct.stdout && viaLink.stdout == "114\n")
        #expect(viaLink.status == direct.status)
    }

    @Test func catastrophicPatternHitsTheMatchLimitNotAHang() throws {
        // ^(a+)+$ backtracks exponentially on a long run of a's that ends in another letter.
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spoolsweep-redos-\(getpid())/SubSpool1")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: spool.deletingLastPathComponent()) }
        try "Written \r\nweb@example.test\r\nx@example.org\r\ncreationdate: 11/28/2026 17:00:00\r\n\r\n"
            .write(to: spool.appendingPathComponent("12345678.hdr"), atomically: false, encoding: .utf8)
        try ("Subject: hi\r\n\r\n" + String(repeating: "a", count: 5000) + "b\r\n")
            .write(to: spool.appendingPathComponent("12345678.eml"), atomically: false, encoding: .utf8)
        let result = try CLI.run(["spool", "list", "--body", "^(a+)+$", "--count", "--now", "2026-11-28T18:00:00", "SubSpool1"],
                                 in: spool.deletingLastPathComponent())
        #expect(result.stdout == "0\n")
        #expect(result.stderr == """
            spoolsweep: warning: SubSpool1/12345678.eml: --body: match limit exceeded (pattern too costly on this message); counted as not selected
            spoolsweep: 1 warning(s): the results cover only what could be read

            """)
        #expect(result.status == 2)
    }
}
