import Glibc
import Testing
@testable import SpoolsweepCore

// SmarterMail SMTP logs below the Detailed level: no `cmd: MAIL FROM`/`cmd: RCPT TO` lines,
// only `Authenticated as`, `Sender accepted`, `Received message size`, `Successfully wrote to
// the HDR file`, `Data transfer succeeded` (formats.md §1.2). The fixture
// fixtures/smartermail-lowlevel holds those real lines, a session crossing midnight at that
// level and one at the Detailed level, and the spool with the `.hdr` files some lines name.

private let fixture = repositoryRoot + "/fixtures/smartermail-lowlevel"

private func t(_ h: Int, _ m: Int, _ s: Int, _ ms: Int64 = 0, day: Int = 28) -> LocalTime {
    LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: day, hour: h, minute: m, second: s).milliseconds + ms)
}

private func accepted(_ facts: [OwnedMailFact]) -> [OwnedMailFact] {
    facts.filter { if case .accepted = $0 { return true } else { return false } }
}

/// A copy of the fixture (or of `fixtures/<name>`) in a temporary folder.
private func copy(_ name: String = "smartermail-lowlevel") throws -> TempFolder {
    let dir = try TempFolder("smlow")
    #expect(shellOutput("cp -R '\(repositoryRoot)/fixtures/\(name)/.' '\(dir.path)'") != nil)
    return dir
}

private func readLogs(_ paths: [String], threads: Int = 1, range: TimeRange? = nil) throws -> (ledger: MailLedger, diagnostics: Diagnostics) {
    var input = InputSelection(paths: paths)
    input.threads = threads
    let run = try Spoolsweep.readLogs(input, range: range)
    return (run.ledger, run.diagnostics)
}

/// The messages of the fixture, as the reader reports them with the spool at hand.
private let withSpool: [OwnedMailFact] = [
    // Crossed midnight at the Detailed level: MAIL FROM and RCPT on the 27th, accepted on the 28th.
    .accepted(time: t(0, 0, 1, 20), key: "30216663", clientIP: "198.51.100.23", account: "ava@northwind.test",
              sender: "ava@northwind.test", recipients: ["x@far.test"], size: 3000, protocolName: "SMTP",
              spoolName: "73051155", helo: "example.com"),
    // Crossed midnight below Detailed: the account from the 27th's file, the envelope from SubSpool2.
    .accepted(time: t(0, 0, 0, 420), key: "41107744", clientIP: "203.0.113.42", account: "joe@example.com",
              sender: "joe@example.com", recipients: ["alice@example.net", "bob@example.org"], size: 512,
              protocolName: "SMTP", spoolName: "422405313455"),
    // Unauthenticated, `[ip] [id]`: the .hdr found by base name (the line names only the .eml).
    .accepted(time: t(0, 5, 47, 504), key: "10059869", clientIP: "100.110.209.55", account: nil,
              sender: "news@example.com", recipients: ["admin@test.local"], size: 4200, protocolName: "SMTP",
              spoolName: "67518204", messageID: "20260424070547@example.com"),
    // The §1.2 lines: the Windows path mapped onto the spool (SubSpool3/706173251002.hdr).
    .accepted(time: t(8, 1, 53, 42), key: "29742033", clientIP: "127.0.0.1", account: "admin@test.local",
              sender: "admin@test.local", recipients: ["alice@example.net", "bob@example.org"], size: 228,
              protocolName: "SMTP", spoolName: "706173251002"),
    // The same session's second message; its .hdr has left the spool: 0 recipients known.
    .accepted(time: t(8, 2, 11, 204), key: "29742033", clientIP: "127.0.0.1", account: "admin@test.local",
              sender: "admin@test.local", recipients: [], size: 1024, protocolName: "SMTP", spoolName: "706173251003"),
]

@Suite struct SmarterMailLowLevelLogTests {
    @Test func realLinesBelowDetailedAreMessagesCompletedFromTheSpool() throws {
        let (facts, diagnostics) = try Spoolsweep.facts(InputSelection(paths: [fixture]))
        #expect(diagnostics.warnings == [])
        #expect(diagnostics.linesUnrecognised == 0)
        // Reported at QUIT, then at the end of input in the order the sessions are swept.
        #expect(accepted(facts).sorted { $0.time < $1.time } == withSpool.sorted { $0.time < $1.time })
        #expect(facts.filter { if case .login = $0 { return true } else { return false } } == [
            .login(time: t(23, 58, 10, 100, day: 27), ip: "203.0.113.42", protocolName: "SMTP AUTH", account: "joe@example.com", success: true),
            .login(time: t(23, 59, 51, 0, day: 27), ip: "198.51.100.23", protocolName: "SMTP AUTH", account: "ava@northwind.test", success: true),
            .login(time: t(8, 1, 50, 534), ip: "127.0.0.1", protocolName: "SMTP AUTH", account: "admin@test.local", success: true),
        ])
    }

    @Test func theFiguresOfTheFixture() throws {
        let run = try readLogs([fixture])
        var c = TrafficCounts()
        c.authenticated = 4; c.inbound = 1; c.recipients = 6; c.bytes = 228 + 1024 + 4200 + 512 + 3000
        #expect(run.ledger.totals == c)
        let summary = TrafficSummary(ledger: run.ledger, server: "smartermail", top: 0)
        #expect(summary.days.map(\.date) == ["2026-11-28"])
        #expect(summary.hours[0].messages == 3 && summary.hours[8].messages == 2)
    }

    /// The logs alone (no spool to complete the envelopes from): every message still counts, the
    /// unauthenticated one from an unknown sender (not the null sender, not counted among the
    /// envelope senders), each with the recipients the log names — none below Detailed.
    @Test func withoutTheSpoolEveryMessageStillCounts() throws {
        let (facts, _) = try Spoolsweep.facts(InputSelection(paths: [fixture + "/Logs"]))
        let messages = accepted(facts)
        #expect(messages.count == 5)
        #expect(messages.map { m -> String in
            guard case .accepted(_, let key, _, let account, let sender, let recipients, let size, _, _, _, _, let known) = m else { return "" }
            return "\(key) \(account ?? "-") \(known ? "<\(sender)>" : "?") \(recipients.count) \(size)"
        }.sorted() == [
            "10059869 - ? 0 4200",
            "29742033 admin@test.local <admin@test.local> 0 1024",
            "29742033 admin@test.local <admin@test.local> 0 228",
            "30216663 ava@northwind.test <ava@northwind.test> 1 3000",
            "41107744 joe@example.com <joe@example.com> 0 512",
        ])
        let run = try readLogs([fixture + "/Logs"])
        #expect(run.ledger.totals.messages == 5)
        #expect(TrafficSummary(ledger: run.ledger, server: "smartermail", top: 10).topSenders.map(\.name)
                == ["admin@test.local", "ava@northwind.test", "joe@example.com"])
    }

    @Test func aHdrGoneFromTheSpoolStillCountsTheMessage() throws {
        let dir = try copy()
        #expect(unlink(dir.at("Spool/SubSpool3/706173251002.hdr")) == 0)
        let (facts, _) = try Spoolsweep.facts(InputSelection(paths: [dir.path]))
        let admin = accepted(facts).filter {
            if case .accepted(_, "29742033", _, _, _, _, _, _, _, _, _, _) = $0 { return true } else { return false }
        }
        #expect(admin == [
            .accepted(time: t(8, 1, 53, 42), key: "29742033", clientIP: "127.0.0.1", account: "admin@test.local",
                      sender: "admin@test.local", recipients: [], size: 228, protocolName: "SMTP", spoolName: "706173251002"),
            .accepted(time: t(8, 2, 11, 204), key: "29742033", clientIP: "127.0.0.1", account: "admin@test.local",
                      sender: "admin@test.local", recipients: [], size: 1024, protocolName: "SMTP", spoolName: "706173251003"),
        ])
        let run = try readLogs([dir.path])
        #expect(run.ledger.totals.messages == 5)
        #expect(run.ledger.totals.recipients == 4)
    }

    /// A session crossing midnight is one session and one message, counted on the day it was
    /// accepted, whatever the threads, and whether the day before is in the period or not.
    @Test(arguments: [1, 2, 3])
    func sessionsCrossingMidnightCountOnce(_ threads: Int) throws {
        let all = try readLogs([fixture], threads: threads)
        #expect(all.ledger.totals.messages == 5)
        let byDay = TrafficSummary(ledger: all.ledger, server: "smartermail", top: 0).days
        #expect(byDay.map(\.date) == ["2026-11-28"])
        let day28 = try readLogs([fixture], threads: threads, range: TimeRange(day: LocalTime(year: 2026, month: 11, day: 28)))
        #expect(day28.ledger.totals == all.ledger.totals)
        #expect(day28.diagnostics.filesRead == 1) // the 27th is read for its open sessions only
        let day27 = try readLogs([fixture], threads: threads, range: TimeRange(day: LocalTime(year: 2026, month: 11, day: 27)))
        #expect(day27.ledger.totals.messages == 0)
        // The 28th's file alone: no account or sender from the 27th, but the .hdr still names joe.
        let alone = try readLogs([fixture + "/Logs/2026.11.28-smtpLog.log", fixture + "/Spool"], threads: threads)
        #expect(alone.ledger.totals.messages == 5)
        #expect(alone.ledger.totals.authenticated == 3)
    }

    /// At the Detailed level the cmd: lines carry the envelope and the success lines only confirm
    /// it: a message logged with both counts once, and its .hdr is not read.
    @Test func aSessionWithCommandsAndSuccessLinesCountsOnce() throws {
        let dir = try TempFolder("smlow-both")
        try dir.folder("Logs")
        try dir.write("Logs/2026.11.28-smtpLog.log", """
            10:00:00.100 [192.0.2.10][1001] cmd: MAIL FROM:<alice@remote.test>
            10:00:00.110 [192.0.2.10][1001] Sender accepted. Weight: 0
            10:00:00.120 [192.0.2.10][1001] rsp: 250 OK
            10:00:00.200 [192.0.2.10][1001] cmd: RCPT TO:<bob@northwind.test>
            10:00:00.210 [192.0.2.10][1001] rsp: 250 OK
            10:00:00.300 [192.0.2.10][1001] cmd: DATA
            10:00:00.310 [192.0.2.10][1001] rsp: 354 Start mail input
            10:00:01.000 [192.0.2.10][1001] Received message size: 700 bytes
            10:00:01.010 [192.0.2.10][1001] Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/55.hdr)
            10:00:01.020 [192.0.2.10][1001] Data transfer succeeded, writing mail to 55.eml (MessageID: <m@remote.test>)
            10:00:01.030 [192.0.2.10][1001] rsp: 250 OK
            10:00:02.000 [192.0.2.10][1001] cmd: QUIT

            """)
        try dir.folder("Spool")
        try dir.folder("Spool/SubSpool1")
        try dir.write("Spool/SubSpool1/55.hdr", "Written \r\nmallory@else.test\r\na@b.test,c@d.test\r\nsmtpSessionId: 1001\r\n\r\n")
        let (facts, _) = try Spoolsweep.facts(InputSelection(paths: [dir.path]))
        #expect(accepted(facts) == [
            .accepted(time: t(10, 0, 1, 30), key: "1001", clientIP: "192.0.2.10", account: nil, sender: "alice@remote.test",
                      recipients: ["bob@northwind.test"], size: 700, protocolName: "SMTP", spoolName: "55", messageID: "m@remote.test"),
        ])
    }

    /// The Detailed sample server's logs read with its spool at hand: the figures of its ground
    /// truth, unchanged (no message counted twice, none completed from a .hdr).
    @Test func theDetailedSampleIsUnchanged() throws {
        let run = try readLogs([repositoryRoot + "/fixtures/smartermail"])
        #expect(run.ledger.totals.messages == 178 + 451)
        #expect(run.ledger.totals.recipients == 255 + 860)
        #expect(run.ledger.totals.authenticated == 454)
        #expect(run.ledger.totals.bytes == 10_467_054)
    }

    /// Below Detailed a session's messages are told apart by the server's lines: each `Sender
    /// accepted`, each new spool file, each second size begins the next one.
    @Test func severalMessagesInOneSessionBelowDetailed() throws {
        let tag = "[10.0.0.5][77]"
        let dir = try TempFolder("smlow-several")
        try dir.write("2026.11.28-smtpLog.log", """
            09:00:00.000 \(tag) Authenticated as mia@northwind.test
            09:00:01.000 \(tag) Data transfer succeeded, writing mail to 11.eml (MessageID: <a@x>)
            09:00:02.000 \(tag) Data transfer succeeded, writing mail to 12.eml (MessageID: <b@x>)
            09:00:03.000 \(tag) Received message size: 10 bytes
            09:00:03.010 \(tag) Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/13.hdr)
            09:00:03.020 \(tag) Data transfer succeeded, writing mail to 13.eml (MessageID: <c@x>)
            09:00:04.000 \(tag) Received message size: 20 bytes
            09:00:05.000 \(tag) Received message size: 30 bytes
            09:00:05.010 \(tag) Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/15.hdr)
            09:00:06.000 \(tag) Sender accepted. Weight: 0
            09:00:07.000 \(tag) Authenticated as mia@northwind.test

            """)
        let (facts, _) = try Spoolsweep.facts(InputSelection(paths: [dir.path]))
        // 11, 12, 13 (three lines, one message), the size of 20 with no spool file (not accepted),
        // 15; the last `Sender accepted` begins nothing that was accepted.
        #expect(accepted(facts).map { m -> String in
            guard case .accepted(_, _, _, _, _, _, let size, _, let spool, _, let id, _) = m else { return "" }
            return "\(spool ?? "-") \(size) \(id ?? "-")"
        } == ["11 0 a@x", "12 0 b@x", "13 10 c@x", "15 30 -"])
    }

    /// A .hdr that names another session (a spool name used again) does not complete this one.
    @Test func aHdrOfAnotherSessionIsNotUsed() throws {
        let dir = try TempFolder("smlow-other")
        try dir.folder("Logs")
        try dir.write("Logs/2026.11.28-smtpLog.log", """
            09:00:00.000 [10.0.0.5][77] Authenticated as mia@northwind.test
            09:00:01.000 [10.0.0.5][77] Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/11.hdr)

            """)
        try dir.folder("Spool")
        try dir.folder("Spool/SubSpool1")
        try dir.write("Spool/SubSpool1/11.hdr", "Written \r\nmallory@else.test\r\na@b.test\r\nsmtpSessionId: 78\r\n\r\n")
        let (facts, _) = try Spoolsweep.facts(InputSelection(paths: [dir.path]))
        #expect(accepted(facts) == [
            .accepted(time: t(9, 0, 1), key: "77", clientIP: "10.0.0.5", account: "mia@northwind.test",
                      sender: "mia@northwind.test", recipients: [], size: 0, protocolName: "SMTP", spoolName: "11"),
        ])
    }

    @Test func theLoggedPathIsMappedByThePartAfterSpool() {
        func folder(_ path: String) -> String? {
            var p = path
            return p.withUTF8 { SmarterMailSpoolLookup.folder(of: UnsafeRawBufferPointer($0)) }
        }
        #expect(folder("C:/SmarterMail/Domains/Spool/SubSpool3/706173251002.hdr") == "SubSpool3")
        #expect(folder("C:\\SmarterMail\\Spool\\SubSpool1\\1.hdr") == "SubSpool1")
        #expect(folder("D:/mail/spool/proc/work/1.hdr") == "proc/work")
        #expect(folder("C:/SmarterMail/Spool/1.hdr") == "")
        #expect(folder("C:/SmarterMail/Spool/../../etc/1.hdr") == nil)
        #expect(folder("C:/SmarterMail/Queue/1.hdr") == nil)
    }
}
