import Foundation
import Testing

/// Selecting by id and by negated conditions, and options refused with their name (exit 64).
@Suite struct SelectionOptionsTests {
    static let now = ["--now", "2026-11-28T18:00:00"]
    static let orphans = GoldenTests.orphanWarnings

    /// `--id` selects those messages; an id not selected is a finding that says why (mail moves
    /// on: delivered since, or excluded by another condition), not a failure.
    @Test func idsSelectAndSayWhatTheyDidNot() throws {
        let result = try CLI.run(["spool", "list", "--ids-only", "--id", "20324046", "--id", "99999999", "--id", "38973624",
                                  "--id", "868583812463", "--not-subject", "Webinar", "smartermail"])
        #expect(result.stdout == "868583812463\n")
        #expect(result.stderr == Self.orphans + """
            spoolsweep: finding: 20324046: --id: queued, but another condition excludes it
            spoolsweep: finding: 38973624: --id: queued, but another condition excludes it
            spoolsweep: finding: 99999999: --id: no queued message has this id (delivered or removed since?)

            """)
        #expect(result.status == 0)
    }

    /// `--ids-from -` reads the ids from standard input, as `spool list --ids-only` prints them.
    @Test func idsFromStandardInput() throws {
        let script = "'\(CLI.binary.path)' spool list --ids-only --sender '^$' smartermail 2>/dev/null"
            + " | '\(CLI.binary.path)' spool list --ids-from - --not-sender '^$' --count smartermail 2>/dev/null;"
            + " '\(CLI.binary.path)' spool list --ids-only --sender '^$' smartermail 2>/dev/null"
            + " | '\(CLI.binary.path)' spool list --ids-from - --not-subject 'Webinar' \(Self.now.joined(separator: " ")) smartermail 2>/dev/null"
        let result = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script], in: CLI.sampleCopy)
        #expect(result.stdout == """
            0
            id            queue      state     age      size  sender  auth  client ip  rcpts  subject
            868583812463  SubSpool2  Orphan  6h00m  10.5 KiB  <>      -     -              0  Your order has shipped
            1 message, 10.5 KiB

            """)
    }

    @Test(arguments: [
        (["spool", "list", "--state", "bogus", "smartermail"], "--state: 'bogus' is not a state of smartermail queued messages; the states are Written, Writing, Failed, Orphan, Drop"),
        (["spool", "quarantine", "--state", "queued", "--dry-run", "smartermail"], "--state: 'queued' is not a state of smartermail queued messages; the states are Written, Writing, Failed, Orphan, Drop"),
        (["spool", "list", "--sender", "smartermail/Spool"], "--sender 'smartermail/Spool' is a path that exists, not a pattern: was the pattern forgotten? Write --sender REGEX smartermail/Spool"),
        (["spool", "purge", "--not-subject", "smartermail/", "--yes", "smartermail"], "--not-subject 'smartermail/' is a path that exists, not a pattern: was the pattern forgotten? Write --not-subject REGEX smartermail/ smartermail"),
        (["suspects", "--max-deferred", "150", "smartermail"], "--max-deferred: expected a percentage from 0 to 100, got 150"),
        (["suspects", "--min-domains=-3", "smartermail"], "--min-domains: expected a count from 1 to 1000000, got -3"),
        (["suspects", "--min-failed-logins", "0", "smartermail"], "--min-failed-logins: expected a count from 1 to 1000000, got 0"),
        (["suspects", "--top=-1", "smartermail"], "--top: expected a number from 0 to 1000000, got -1"),
        (["summary", "--top=-5", "smartermail"], "--top: expected a number from 0 to 1000000, got -5"),
        (["spool", "shape", "--top=-5", "smartermail"], "--top: expected a number from 0 to 1000000, got -5"),
        (["summary", "--threads", "5000", "smartermail"], "--threads: expected a number from 0 to 1024, got 5000"),
        (["spool", "list", "--not-header", "nocolon", "smartermail"], "--not-header: expected 'Name: REGEX', got 'nocolon'"),
        (["spool", "list", "--ids-from", "no-such-file", "smartermail"], "--ids-from no-such-file: no such file"),
    ])
    func refusedWithTheOptionsName(_ args: [String], _ message: String) throws {
        let result = try CLI.run(args)
        #expect(result.stderr == "error: \(message)\n")
        #expect(result.stdout == "")
        #expect(result.status == (args.contains("--ids-from") ? 66 : 64))
    }

    /// The Postfix queue names its own states.
    @Test func postfixStatesAreItsQueues() throws {
        let result = try CLI.run(["spool", "list", "--state", "frozen", CLI.root.appendingPathComponent("fixtures/postfix/queue").path])
        #expect(result.stderr == "error: --state: 'frozen' is not a state of postfix queued messages; the states are incoming, active, deferred, hold, corrupt, maildrop\n")
        #expect(result.status == 64)
    }
}

/// Nothing a user selects on is skipped silently: a Subject after 100,000 padding header lines
/// is read, and a pair whose file name is not UTF-8 is warned about (and counted), not dropped.
struct HostileSpoolNamesAndHeadersTests {
    @Test func aSubjectPastAHugeHeaderBlockIsSelected() throws {
        let folder = try CLI.freshFolder("hostile-headers")
        let spool = folder.appendingPathComponent("Spool/SubSpool1")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let hdr = try Data(contentsOf: CLI.sampleCopy.appendingPathComponent("smartermail/Spool/SubSpool1/151105393288.hdr"))
        try hdr.write(to: spool.appendingPathComponent("700000000001.hdr"))
        let padding = String(repeating: "X-Padding: 0123456789\r\n", count: 100_000) // 2.3 MB of header
        try Data((padding + "Subject: gift card winner\r\n\r\nbody\r\n").utf8).write(to: spool.appendingPathComponent("700000000001.eml"))
        let r = try CLI.run(["spool", "list", "--count", "--subject", "gift card"] + GoldenTests.now + ["Spool"], in: folder)
        #expect(r.stdout == "1\n")
        #expect(r.stderr == "")
        let q = try CLI.run(["spool", "quarantine", "--dry-run", "--min-age", "0s", "--subject", "gift card"] + GoldenTests.now + ["Spool"], in: folder)
        #expect(q.stdout.hasPrefix("Would quarantine 1 message ("), "\(q.stdout)")
    }

    @Test func aNameThatIsNotUTF8IsWarnedAbout() throws {
        let folder = try CLI.freshFolder("hostile-names")
        let spool = folder.appendingPathComponent("Spool/SubSpool1")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        for ext in ["hdr", "eml"] {
            let data = try Data(contentsOf: CLI.sampleCopy.appendingPathComponent("smartermail/Spool/SubSpool1/151105393288.\(ext)"))
            let name = spool.path + "/ab\u{FF}1.\(ext)"
            // The name's bytes as given: 0xFF is not UTF-8.
            var bytes = Array(spool.path.utf8) + Array("/ab".utf8) + [0xFF] + Array("1.\(ext)".utf8)
            bytes.append(0)
            let fd = bytes.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644) }
            #expect(fd >= 0, "\(name)")
            _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        let r = try CLI.run(["spool", "list", "--count"] + GoldenTests.now + ["Spool"], in: folder)
        #expect(r.stdout == "0\n")
        #expect(r.stderr == """
            spoolsweep: warning: Spool/SubSpool1/ab\\xFF1.eml: the file name is not UTF-8 (shown with \\xNN escapes): not read; rename it to include it
            spoolsweep: warning: Spool/SubSpool1/ab\\xFF1.hdr: the file name is not UTF-8 (shown with \\xNN escapes): not read; rename it to include it
            spoolsweep: 2 warning(s): the results cover only what could be read

            """)
        #expect(r.status == 2)
    }
}
