import Glibc
import Testing
@testable import SpoolsweepCore

// MARK: - Helpers

private typealias Run = (ledger: MailLedger, diagnostics: Diagnostics, summary: TrafficSummary)

/// Reads the Logs folder `dir` through the library entry point.
private func read(_ dir: TempFolder, range: TimeRange? = nil) throws -> Run {
    let run = try Spoolsweep.readLogs(InputSelection(paths: [dir.path]), range: range)
    #expect(run.server == "smartermail")
    return (run.ledger, run.diagnostics, TrafficSummary(ledger: run.ledger, server: run.server, top: 0))
}

/// A Logs folder holding `files` (name → text).
private func logs(_ files: [(String, String)]) throws -> TempFolder {
    let dir = try TempFolder("smlogs")
    for (name, text) in files { try dir.write(name, text) }
    return dir
}

private func addressID(_ ledger: MailLedger, _ address: String) -> Int32? {
    var s = address
    return s.withUTF8 { ledger.addresses.existingID(UnsafeRawBufferPointer($0)) }
}

private func ipID(_ ledger: MailLedger, _ ip: String) -> Int32? {
    var s = ip
    return s.withUTF8 { ledger.ips.existingID(UnsafeRawBufferPointer($0)) }
}

private func accountEvidence(_ ledger: MailLedger, _ account: String) -> SenderEvidence? {
    addressID(ledger, account).flatMap { ledger.evidence[.account($0)] }
}

private func relayEvidence(_ ledger: MailLedger, _ ip: String) -> SenderEvidence? {
    ipID(ledger, ip).flatMap { ledger.evidence[.relayIP($0)] }
}

private func names(_ ledger: MailLedger, _ senders: [Int32: Int]) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: senders.map { (ledger.addresses.string($0.key), $0.value) })
}

private func t(_ h: Int, _ m: Int, _ s: Int, _ ms: Int64 = 0, day: Int = 28) -> LocalTime {
    LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: day, hour: h, minute: m, second: s).milliseconds + ms)
}

/// An authenticated session sending one message: AUTH, MAIL, RCPTs, DATA, 250, QUIT.
private func authenticatedSession(ip: String, sid: Int, account: String, from: String? = nil,
                                  to recipients: [String], size: Int, hour: Int, minute: Int) -> String {
    let p = "\(zeroPad(hour, 2)):\(zeroPad(minute, 2))"
    let tag = "[\(ip)][\(sid)]"
    var lines = [
        "\(p):00.100 \(tag) rsp: 220 mail.northwind.test",
        "\(p):00.200 \(tag) cmd: EHLO client",
        "\(p):00.300 \(tag) cmd: AUTH LOGIN",
        "\(p):00.310 \(tag) rsp: 334 VXNlcm5hbWU6",
        "\(p):00.320 \(tag) rsp: 334 UGFzc3dvcmQ6",
        "\(p):00.400 \(tag) Authenticated as \(account)",
        "\(p):00.410 \(tag) rsp: 235 Authentication successful",
        "\(p):01.000 \(tag) cmd: MAIL FROM:<\(from ?? account)> SIZE=\(size)",
        "\(p):01.010 \(tag) Sender accepted. Weight: 0",
        "\(p):01.020 \(tag) rsp: 250 OK",
    ]
    for r in recipients {
        lines += ["\(p):02.000 \(tag) cmd: RCPT TO:<\(r)>", "\(p):02.010 \(tag) rsp: 250 OK"]
    }
    lines += [
        "\(p):03.000 \(tag) cmd: DATA",
        "\(p):03.010 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>",
        "\(p):04.000 \(tag) Received message size: \(size) bytes",
        "\(p):04.010 \(tag) Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/\(sid).hdr)",
        "\(p):04.020 \(tag) rsp: 250 OK",
        "\(p):05.000 \(tag) cmd: QUIT",
        "\(p):05.010 \(tag) rsp: 221 Service closing transmission channel",
    ]
    return lines.joined(separator: "\n") + "\n"
}

private func counts(inbound: Int = 0, authenticated: Int = 0, relayed: Int = 0, recipients: Int = 0, bytes: Int = 0,
                    localDeliveries: Int = 0, delivered: Int = 0, deferred: Int = 0, bounced: Int = 0,
                    rejected: Int = 0, failedLogins: Int = 0) -> TrafficCounts {
    var c = TrafficCounts()
    c.inbound = inbound; c.authenticated = authenticated; c.relayed = relayed; c.recipients = recipients
    c.bytes = bytes; c.localDeliveries = localDeliveries; c.delivered = delivered; c.deferred = deferred
    c.bounced = bounced; c.rejected = rejected; c.failedLogins = failedLogins
    return c
}

private func zeroPad(_ n: Int, _ width: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

private let lastLineWarning = "last line has no line ending (file truncated, or still being written)"
private let binaryWarning = "binary data (NUL bytes near the start), not read as a log"

// MARK: - Line shapes

@Suite struct SmarterMailLogShapeTests {
    @Test func smtpLineShapesWithAndWithoutSpaceMillisecondsAndDatePrefix() throws {
        let smtp = """
        00:00:02.114 smtp started at 11/28/2026 12:00:02 AM
        10:00:00.100 [192.0.2.10][1001] rsp: 220 mail.northwind.test
        10:00:00.200 [192.0.2.10][1001] cmd: EHLO mx1.remote.test
        10:00:00.300 [192.0.2.10] [1001] cmd: MAIL FROM:<alice@remote.test> SIZE=1000
        10:00:00.310 [192.0.2.10][1001] Sender accepted. Weight: 0
        10:00:00 [192.0.2.10][1001] rsp: 250 OK
        [2026.11.28] 10:00:00.400 [192.0.2.10][1001] cmd: RCPT TO:<bob@northwind.test>
        10:00:00.410 [192.0.2.10] [1001] rsp: 250 OK
        10:00:00.500 [192.0.2.10][1001] cmd: DATA
        10:00:00.510 [192.0.2.10][1001] rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        10:00:01 [192.0.2.10][1001] Received message size: 1000 bytes
        [2026.11.28] 10:00:01.010 [192.0.2.10] [1001] Data transfer succeeded, writing mail to 61828378.eml (MessageID: <a@remote.test>)
        10:00:01.020 [192.0.2.10][1001] rsp: 250 OK
        10:00:02.000 [192.0.2.10][1001] cmd: QUIT
        10:00:02.010 [192.0.2.10][1001] rsp: 221 Service closing transmission channel
        22:31:35.551 smtp started at 4/29/2020 10:31:35 PM

        """
        let delivery = "10:00:03.000 [61828378] Starting local delivery to bob@northwind.test\n"
        let dir = try logs([("2026.11.28-smtpLog.log", smtp), ("2026.11.28-delivery.log", delivery)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.filesRead == 2)
        #expect(run.diagnostics.linesUnrecognised == 0)
        #expect(run.summary.totals == counts(inbound: 1, recipients: 1, bytes: 1000, localDeliveries: 1))
        #expect(run.summary.days.map(\.date) == ["2026-11-28"])
        #expect(run.summary.hours[10].inbound == 1)
        #expect(run.summary.topSenders == [TrafficSummary.Named(name: "alice@remote.test", count: 1)])
        #expect(run.summary.topRecipients == [TrafficSummary.Named(name: "bob@northwind.test", count: 1)])
        #expect(run.summary.lastEntry == t(10, 0, 3))
        // What the readers emit: the local delivery (the delivery log is read first), the
        // connection at the session's first line, then the message at QUIT, with its session id
        // and the spool file the log named.
        #expect(try Spoolsweep.facts(InputSelection(paths: [dir.path])).facts == [
            .delivery(time: t(10, 0, 3), key: "61828378", sender: nil, recipient: "bob@northwind.test", isLocal: true,
                      outcome: .delivered, word: "local", detail: "local", attempt: 0),
            .connection(time: t(10, 0, 0, 100), clientIP: "192.0.2.10"),
            .accepted(time: t(10, 0, 1, 20), key: "1001", clientIP: "192.0.2.10", account: nil, sender: "alice@remote.test",
                      recipients: ["bob@northwind.test"], size: 1000, protocolName: "SMTP", spoolName: "61828378",
                      helo: "mx1.remote.test", messageID: "a@remote.test"),
        ])
    }

    /// An authenticated session's facts: the connection, the failed AUTH, the login, a refused
    /// recipient with the reply, and the message with its account.
    @Test func factsOfAnAuthenticatedSession() throws {
        let smtp = """
        10:00:00.100 [198.51.100.7][55] cmd: AUTH LOGIN
        10:00:00.200 [198.51.100.7][55] rsp: 535 Authentication failed
        10:00:01.100 [198.51.100.7][55] cmd: AUTH LOGIN
        10:00:01.200 [198.51.100.7][55] Authenticated as ava@northwind.test
        10:00:01.210 [198.51.100.7][55] rsp: 235 Authentication successful
        10:00:02.000 [198.51.100.7][55] cmd: MAIL FROM:<billing@northwind.test>
        10:00:02.010 [198.51.100.7][55] rsp: 250 OK
        10:00:03.000 [198.51.100.7][55] cmd: RCPT TO:<x@far.test>
        10:00:03.010 [198.51.100.7][55] rsp: 250 OK
        10:00:03.100 [198.51.100.7][55] cmd: RCPT TO:<nobody@northwind.test>
        10:00:03.110 [198.51.100.7][55] rsp: 550 No such user
        10:00:04.000 [198.51.100.7][55] cmd: DATA
        10:00:04.010 [198.51.100.7][55] rsp: 354 Start mail input
        10:00:05.000 [198.51.100.7][55] Received message size: 2048 bytes
        10:00:05.010 [198.51.100.7][55] rsp: 250 OK
        10:00:06.000 [198.51.100.7][55] cmd: QUIT

        """
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        #expect(try Spoolsweep.facts(InputSelection(paths: [dir.path])).facts == [
            .connection(time: t(10, 0, 0, 100), clientIP: "198.51.100.7"),
            .login(time: t(10, 0, 0, 200), ip: "198.51.100.7", protocolName: "SMTP AUTH", account: nil, success: false),
            .login(time: t(10, 0, 1, 200), ip: "198.51.100.7", protocolName: "SMTP AUTH", account: "ava@northwind.test", success: true),
            .recipientRejected(time: t(10, 0, 3, 110), clientIP: "198.51.100.7", recipient: "nobody@northwind.test", code: 550,
                               reason: "550 No such user"),
            .accepted(time: t(10, 0, 5, 10), key: "55", clientIP: "198.51.100.7", account: "ava@northwind.test",
                      sender: "billing@northwind.test", recipients: ["x@far.test"], size: 2048, protocolName: "SMTP", spoolName: nil),
        ])
    }

    @Test func crlfAndBOMLogsReadTheSame() throws {
        let smtp = authenticatedSession(ip: "10.0.0.14", sid: 41, account: "ava@northwind.test",
                                        to: ["x@remote.test", "y@other.test"], size: 2048, hour: 9, minute: 5)
        let dir = try TempFolder("smlogs-crlf")
        try dir.write("2026.11.27-smtpLog.log", [0xEF, 0xBB, 0xBF] + Array(smtp.crlf.utf8))
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 2, bytes: 2048))
        #expect(run.summary.days.map(\.date) == ["2026-11-27"])
        let e = try #require(accountEvidence(run.ledger, "ava@northwind.test"))
        #expect(e.messages == 1)
        #expect(e.recipientDomains == 2)
    }

    @Test func datePrefixOverridesTheFileNameDate() throws {
        let session = authenticatedSession(ip: "10.0.0.16", sid: 77, account: "lucas@northwind.test",
                                           to: ["a@remote.test"], size: 10, hour: 23, minute: 59)
        let prefixed = session.split(separator: "\n").map { "[2026.11.29] " + $0 }.joined(separator: "\n") + "\n"
        let dir = try logs([("2026.11.28-smtpLog.log", prefixed)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.summary.days.map(\.date) == ["2026-11-29"])
        #expect(run.summary.totals.authenticated == 1)
        #expect(run.summary.firstEntry == t(23, 59, 0, 100, day: 29), "the session's first line, its connection")
    }

    @Test func continuationLinesAreIgnored() throws {
        let smtp = authenticatedSession(ip: "10.0.0.12", sid: 5, account: "noah@northwind.test",
                                        to: ["z@remote.test"], size: 99, hour: 8, minute: 0)
            + "08:00:06.000 [10.0.0.12][5] Exception: System.IO.IOException: connection reset\n"
            + "   at SmarterMail.Smtp.Session.Read()\n\tat 10:00:00.000 [1.2.3.4][9] cmd: MAIL FROM:<x@y.test>\n"
            + "  08:00:07.000 [10.0.0.12][5] rsp: 550 no\n"
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.linesUnrecognised == 0)
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 1, bytes: 99))
    }
}

// MARK: - SMTP sessions

@Suite struct SmarterMailSMTPLogTests {
    @Test func authFailuresAndBreakIn() throws {
        let tag = "[203.0.113.77][2001]"
        var smtp = """
        02:10:04.278 \(tag) cmd: AUTH LOGIN
        02:10:04.312 \(tag) rsp: 334 VXNlcm5hbWU6
        02:10:04.397 \(tag) rsp: 334 UGFzc3dvcmQ6
        02:10:05.655 \(tag) login failed
        02:10:05.657 \(tag) rsp: 535 Authentication failed
        02:14:32.810 \(tag) cmd: AUTH LOGIN
        02:14:32.832 \(tag) rsp: 334 VXNlcm5hbWU6
        02:14:33.106 \(tag) rsp: 334 UGFzc3dvcmQ6
        02:14:33.734 \(tag) rsp: 535 Authentication failed
        02:16:15.586 \(tag) cmd: AUTH LOGIN
        02:16:15.600 \(tag) rsp: 334 VXNlcm5hbWU6
        02:16:15.844 \(tag) rsp: 334 UGFzc3dvcmQ6
        02:16:17.090 \(tag) login failed
        02:16:17.093 \(tag) rsp: 535 Authentication failed
        02:18:30.941 \(tag) cmd: QUIT
        02:18:30.942 \(tag) rsp: 221 Service closing transmission channel

        """
        smtp += authenticatedSession(ip: "203.0.113.77", sid: 2002, account: "jane@northwind.test",
                                     to: ["nina@northmail.test", "ivan@harborcorp.test"], size: 4067, hour: 2, minute: 31)
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.ledger.failedLoginsByProtocol == ["SMTP AUTH": 3])
        #expect(run.summary.failedLogins == [TrafficSummary.Named(name: "SMTP AUTH", count: 3)])
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 2, bytes: 4067, failedLogins: 3))
        let ip = try #require(ipID(run.ledger, "203.0.113.77"))
        #expect(run.ledger.logins[ip]?.failures == 3)
        #expect(run.ledger.logins[ip]?.successes == 1)
        let jane = try #require(addressID(run.ledger, "jane@northwind.test"))
        #expect(run.ledger.breakIns[jane] == BreakIn(ip: ip, failedBefore: 3, at: t(2, 31, 0, 400)))
        #expect(run.ledger.loginIPsByAccount[jane]?.elements == [ip])
        let e = try #require(accountEvidence(run.ledger, "jane@northwind.test"))
        #expect(e.messages == 1)
        #expect(e.recipients == 2)
        #expect(names(run.ledger, e.envelopeSenders) == ["jane@northwind.test": 1])
    }

    @Test func rejectionsRejectedRecipientsAndSeveralMessagesPerSession() throws {
        let tag = "[198.51.100.80] [3001]"
        let smtp = """
        11:00:00.000 \(tag) rsp: 220 mail.northwind.test
        11:00:00.100 \(tag) cmd: EHLO web1.fabrikam.test
        11:00:01.000 \(tag) cmd: MAIL FROM:<webform@fabrikam.test>
        11:00:01.010 \(tag) rsp: 250 OK
        11:00:01.100 \(tag) cmd: RCPT TO:<nobody@northwind.test>
        11:00:01.110 \(tag) rsp: 550 <nobody@northwind.test> No such user here
        11:00:01.200 \(tag) cmd: RCPT TO:<winner@remote.test>
        11:00:01.210 \(tag) rsp: 250 OK
        11:00:01.300 \(tag) cmd: DATA
        11:00:01.310 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        11:00:01.500 \(tag) Received message size: 300 bytes
        11:00:01.510 \(tag) Data transfer succeeded, writing mail to 11111111.eml (MessageID: <1@web1>)
        11:00:01.520 \(tag) rsp: 250 OK
        11:00:02.000 \(tag) cmd: MAIL FROM:<webform@fabrikam.test>
        11:00:02.010 \(tag) rsp: 250 OK
        11:00:02.100 \(tag) cmd: RCPT TO:<bob@northwind.test>
        11:00:02.110 \(tag) rsp: 250 OK
        11:00:02.300 \(tag) cmd: DATA
        11:00:02.310 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        11:00:02.500 \(tag) Received message size: 200 bytes
        11:00:02.510 \(tag) Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/22222222.hdr)
        11:00:02.520 \(tag) rsp: 250 OK
        11:00:03.000 \(tag) cmd: MAIL FROM:<spam@bad.test>
        11:00:03.010 \(tag) rsp: 250 OK
        11:00:03.100 \(tag) cmd: RCPT TO:<x@remote.test>
        11:00:03.110 \(tag) rsp: 250 OK
        11:00:03.300 \(tag) cmd: DATA
        11:00:03.310 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        11:00:03.500 \(tag) rsp: 554 Message rejected due to content
        11:00:04.000 \(tag) cmd: MAIL FROM:<forged@bad.test>
        11:00:04.010 \(tag) rsp: 550 Sender rejected
        11:00:04.100 \(tag) cmd: RCPT TO:<y@remote.test>
        11:00:04.110 \(tag) rsp: 503 Bad sequence of commands
        11:00:05.000 \(tag) cmd: QUIT
        11:00:05.010 \(tag) rsp: 221 Service closing transmission channel

        """
        let delivery = "11:00:09.000 [22222222] Starting local delivery to bob@northwind.test\n"
        let dir = try logs([("2026.11.28-smtpLog.log", smtp), ("2026.11.28-delivery.log", delivery)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.summary.totals == counts(inbound: 1, relayed: 1, recipients: 2, bytes: 500, localDeliveries: 1, rejected: 4))
        #expect(run.summary.hours[11].rejected == 4)
        #expect(run.summary.topRecipients.map(\.name) == ["bob@northwind.test", "winner@remote.test"])
        #expect(run.summary.topSenders == [TrafficSummary.Named(name: "webform@fabrikam.test", count: 2)])
        let relay = try #require(relayEvidence(run.ledger, "198.51.100.80"))
        #expect(relay.messages == 1)
        #expect(relay.recipients == 1)
    }

    @Test func sessionWithoutQuitIsCountedAtTheEnd() throws {
        let smtp = authenticatedSession(ip: "10.0.0.15", sid: 9, account: "mia@northwind.test",
                                        to: ["a@remote.test"], size: 10, hour: 7, minute: 0)
            .replacingLines(containing: "cmd: QUIT", with: "")
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        let run = try read(dir)
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 1, bytes: 10))
    }

    @Test func dataWithoutAcceptanceIsNotAMessage() throws {
        // A Writing/Failed spool pair: DATA/354 and then the client went away.
        let tag = "[192.0.2.77][4001]"
        let smtp = """
        17:41:00.000 \(tag) cmd: MAIL FROM:<news@relecloud.test>
        17:41:00.010 \(tag) rsp: 250 OK
        17:41:00.100 \(tag) cmd: RCPT TO:<olivia@northwind.test>
        17:41:00.110 \(tag) rsp: 250 OK
        17:41:00.200 \(tag) cmd: DATA
        17:41:00.210 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        17:41:10.000 \(tag) The client closed the connection during DATA.

        """
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.summary.totals.messages == 0)
        #expect(run.summary.totals.recipients == 0)
    }

    /// A message counts in the hour of the `rsp: 250 OK` that accepts it after DATA, not in the
    /// hour of the `Received message size` line logged just before.
    @Test func messageCountsInTheHourOfItsFinal250() throws {
        let tag = "[10.0.0.14][6001]"
        let smtp = """
        10:59:58.000 \(tag) cmd: AUTH LOGIN
        10:59:58.100 \(tag) Authenticated as ava@northwind.test
        10:59:58.200 \(tag) rsp: 235 Authentication successful
        10:59:59.000 \(tag) cmd: MAIL FROM:<ava@northwind.test>
        10:59:59.010 \(tag) rsp: 250 OK
        10:59:59.100 \(tag) cmd: RCPT TO:<x@remote.test>
        10:59:59.110 \(tag) rsp: 250 OK
        10:59:59.200 \(tag) cmd: DATA
        10:59:59.210 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        10:59:59.990 \(tag) Received message size: 500 bytes
        10:59:59.995 \(tag) Successfully wrote to the HDR file. (C:/SmarterMail/Spool/SubSpool1/6001.hdr)
        11:00:00.010 \(tag) rsp: 250 OK
        11:00:01.000 \(tag) cmd: QUIT

        """
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        let run = try read(dir)
        #expect(run.summary.hours[10].messages == 0)
        #expect(run.summary.hours[11].messages == 1)
        #expect(accountEvidence(run.ledger, "ava@northwind.test")?.firstSeen == t(11, 0, 0, 10))
    }

    @Test func relayedVersusInboundUsesLocalDomainsFromTheDeliveryLog() throws {
        let tag = "[192.0.2.88][5001]"
        let smtp = """
        00:00:07.726 \(tag) cmd: MAIL FROM:<quinn@woodgrove.test> SIZE=28828
        00:00:07.733 \(tag) rsp: 250 OK
        00:00:07.784 \(tag) cmd: RCPT TO:<noah@northwind.test>
        00:00:07 \(tag) rsp: 250 OK
        00:00:07.790 \(tag) cmd: RCPT TO:<support@fabrikam.test>
        00:00:07.795 \(tag) rsp: 250 OK
        00:00:07.839 \(tag) cmd: DATA
        00:00:07.840 \(tag) rsp: 354 Start mail input; end with <CRLF>.<CRLF>
        00:00:08.248 \(tag) Received message size: 28828 bytes
        00:00:08.254 \(tag) rsp: 250 OK
        00:00:12.262 \(tag) cmd: QUIT

        """
        let delivery = """
        00:00:09.000 [61828378] Starting local delivery to noah@northwind.test
        00:00:09.100 [61828378] Starting local delivery to support@fabrikam.test

        """
        let dir = try logs([("2026.11.28-smtpLog.log", smtp), ("2026.11.28-delivery.log", delivery)])
        let run = try read(dir)
        #expect(run.summary.totals == counts(inbound: 1, recipients: 2, bytes: 28828, localDeliveries: 2))
        #expect(run.summary.domains.map(\.domain) == ["fabrikam.test", "northwind.test"])
        #expect(run.summary.domains.map(\.traffic.inMessages) == [1, 1])
    }
}

// MARK: - Delivery log

@Suite struct SmarterMailDeliveryLogTests {
    @Test func completionOutcomesLocalDeliveriesAndAttackerText() throws {
        let delivery = """
        22:31:35.613 Delivery server started at 4/29/2020 10:31:35 PM
        00:04:31.836 [20324046-3] Delivery for <> to events@tailspin.test\thas completed (Deferred: 421 4.4.0 Unable to connect to remote server)
        02:40:09.617 [83747891-1] Delivery for jane@northwind.test to nina.farid@northmail.test\thas completed (Delivered)
        02:41:00.000 [83747892-1] Delivery for jane@northwind.test to a@b.test\thas completed (Failed: 550 5.1.1 User unknown)
        02:42:00 [83747893-2] Delivery for jane@northwind.test to c@d.test\thas completed (Deferred: 451 4.7.1 try later)
        02:43:00.000 [83747894-1] Delivery for "evil to victim@own.test has completed (Failed)"@spam.test to real@target.test\thas completed (Delivered)
        14:08:54.232 [313455-1] CMD: QUIT
        14:08:54.240 [313455-1] RSP: 550 5.7.1 rejected
        14:08:54.263 [313455-1] RSP: 221 2.0.0 closing connection
        14:08:57.001 [313455-1] Delivery finished for sender@sequence.test at 2:08:57 PM [id:422405313455-1]
        00:05:58.836 [84012980] Blocked Sender Checks started.
        02:44:46.708 [48654132] [LocalDeliveryQueue] Begin Processing.
        23:59:59.117 [72495970] Starting local delivery to andy@northwind.test
        23:59:59.200 [72495970] Delivery for x@remote.test to andy@northwind.test\thas completed (Delivered)

        """
        let dir = try logs([("2026.11.28-delivery.log", delivery)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.linesUnrecognised == 0)
        #expect(run.summary.outcomes == [
            TrafficSummary.Named(name: "Deferred", count: 2),
            TrafficSummary.Named(name: "Delivered", count: 2),
            TrafficSummary.Named(name: "Failed", count: 1),
        ])
        #expect(run.summary.totals == counts(localDeliveries: 1, delivered: 2, deferred: 2, bounced: 1))
        let jane = try #require(addressID(run.ledger, "jane@northwind.test"))
        let o = try #require(run.ledger.outcomesBySender[jane])
        #expect([o.delivered, o.deferred, o.bounced] == [1, 1, 1])
        let null = try #require(addressID(run.ledger, ""))
        #expect(run.ledger.outcomesBySender[null]?.deferred == 1)
        // The facts the reader emits. The recipient is taken from the right: the sender's text
        // cannot move it. A local delivery's completion line is not a remote delivery.
        let facts = try Spoolsweep.facts(InputSelection(paths: [dir.path])).facts
        func attempt(_ time: LocalTime, _ key: String, _ sender: String?, _ recipient: String, local: Bool = false,
                      _ outcome: DeliveryClass, _ word: String, _ detail: String, attempt: Int) -> OwnedMailFact {
            .delivery(time: time, key: key, sender: sender, recipient: recipient, isLocal: local, outcome: outcome,
                      word: word, detail: detail, attempt: attempt)
        }
        #expect(facts == [
            attempt(t(0, 4, 31, 836), "20324046", "", "events@tailspin.test", .deferred, "Deferred",
                     "Deferred: 421 4.4.0 Unable to connect to remote server", attempt: 3),
            attempt(t(2, 40, 9, 617), "83747891", "jane@northwind.test", "nina.farid@northmail.test", .delivered,
                     "Delivered", "Delivered", attempt: 1),
            attempt(t(2, 41, 0), "83747892", "jane@northwind.test", "a@b.test", .bounced, "Failed",
                     "Failed: 550 5.1.1 User unknown", attempt: 1),
            attempt(t(2, 42, 0), "83747893", "jane@northwind.test", "c@d.test", .deferred, "Deferred",
                     "Deferred: 451 4.7.1 try later", attempt: 2),
            attempt(t(2, 43, 0), "83747894", "\"evil to victim@own.test has completed (Failed)\"@spam.test", "real@target.test",
                     .delivered, "Delivered", "Delivered", attempt: 1),
            attempt(t(23, 59, 59, 117), "72495970", nil, "andy@northwind.test", local: true, .delivered, "local", "local", attempt: 0),
        ])
    }

    @Test func outcomesAreCountedByTheirFirstWord() throws {
        let delivery = """
        01:00:00.000 [00000001-1] Delivery for a@northwind.test to r1@remote.test\thas completed (Deferred: 421 4.4.0 Unable to connect)
        01:00:01.000 [00000002-1] Delivery for a@northwind.test to r2@remote.test\thas completed (Deferred)
        01:00:02.000 [00000003-1] Delivery for a@northwind.test to r3@remote.test\thas completed (Failed: 550 no such user)
        01:00:03.000 [00000004-1] Delivery for a@northwind.test to r4@remote.test\thas completed (Bounced)

        """
        let dir = try logs([("2026.11.28-delivery.log", delivery)])
        let run = try read(dir)
        #expect(run.summary.outcomes == [
            TrafficSummary.Named(name: "Deferred", count: 2),
            TrafficSummary.Named(name: "Bounced", count: 1),
            TrafficSummary.Named(name: "Failed", count: 1),
        ])
        #expect(run.summary.totals == counts(deferred: 2, bounced: 2))
    }
}

// MARK: - Administrative log

@Suite struct SmarterMailAdminLogTests {
    @Test func loginsPerProtocolBlocksAndTimeAtTheEnd() throws {
        let admin = """
        00:00:01.100 [1.2.3.4] SMTP Login failed: bad password
        \tBrute force attempts increased to 1 of 5 in 10 minutes.
        \tNext clean available at 2/10/2026 12:00:32 AM
        [9.8.7.6] IMAP Login successful 00:00:03.300
        [9.8.7.6] POP Login failed 00:00:04
        01:27:54.052 [IpBruteForceDetector] [198.51.100.23] Added to IDS block list for violating rule Type: Password Brute Force by IP, Description: Brute Force by IP
        03:35:47.054 [192.168.118.6] Webmail Login successful: With user admin@northwind.test
        03:41:35.233 [192.168.49.225] Webmail Login failed: LOGIN_FAILURE_DOMAIN_NOT_FOUND. Brute force attempts increased to 1. User brute force attempts increased to 1.
        23:59:57.727 [178.216.28.19] IMAP Login failed: User [204be204] not found

        """
        let dir = try logs([("2026.11.28-administrative.log", admin)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.linesUnrecognised == 0)
        #expect(run.ledger.failedLoginsByProtocol == ["SMTP": 1, "POP": 1, "Webmail": 1, "IMAP": 1])
        #expect(run.summary.totals == counts(failedLogins: 4))
        #expect(run.summary.firstEntry == t(0, 0, 1, 100))
        #expect(run.summary.lastEntry == t(23, 59, 57, 727))
        let popIP = try #require(ipID(run.ledger, "9.8.7.6"))
        #expect(run.ledger.logins[popIP]?.successes == 1)
        #expect(run.ledger.logins[popIP]?.failures == 1)
        #expect(run.ledger.logins[popIP]?.lastFailure == t(0, 0, 4))
        let blocked = try #require(ipID(run.ledger, "198.51.100.23"))
        #expect(run.ledger.blocks == [SecurityBlock(at: t(1, 27, 54, 52), ip: blocked, rule: "Password Brute Force by IP")])
        let admin2 = try #require(addressID(run.ledger, "admin@northwind.test"))
        let adminIP = try #require(ipID(run.ledger, "192.168.118.6"))
        #expect(run.ledger.loginIPsByAccount[admin2]?.elements == [adminIP])
        #expect(run.ledger.isLocal(address: admin2))
        // A failure names the account only where the line gives the name tried (`User [x] not
        // found`); "User brute force attempts" names none.
        let logins = try Spoolsweep.facts(InputSelection(paths: [dir.path])).facts.compactMap { f -> String? in
            guard case let .login(_, ip, proto, account, ok) = f else { return nil }
            return "\(ip) \(proto) \(account ?? "-") \(ok)"
        }
        #expect(logins == ["1.2.3.4 SMTP - false", "9.8.7.6 IMAP - true", "9.8.7.6 POP - false", "192.168.118.6 Webmail admin@northwind.test true",
                           "192.168.49.225 Webmail - false", "178.216.28.19 IMAP 204be204 false"])
    }

    @Test func adminSMTPFailuresAreNotCountedTwiceWhenTheSMTPLogIsRead() throws {
        let admin28 = """
        02:10:05.661 [203.0.113.77] SMTP Login failed: bad password
        \tBrute force attempts increased to 1 of 5 in 10 minutes.
        02:14:33.739 [203.0.113.77] SMTP Login failed: bad password
        08:59:32.338 [198.51.100.199] IMAP Login failed: User [b7cdf1d6] not found

        """
        let admin27 = "09:00:00.000 [192.0.2.150] SMTP Login failed: bad password\n"
        let tag = "[203.0.113.77][40396670]"
        let smtp28 = """
        02:10:04.278 \(tag) cmd: AUTH LOGIN
        02:10:04.397 \(tag) rsp: 334 UGFzc3dvcmQ6
        02:10:05.655 \(tag) login failed
        02:10:05.657 \(tag) rsp: 535 Authentication failed
        02:14:32.810 \(tag) cmd: AUTH LOGIN
        02:14:33.106 \(tag) rsp: 334 UGFzc3dvcmQ6
        02:14:33.734 \(tag) rsp: 535 Authentication failed
        02:18:30.941 \(tag) cmd: QUIT

        """
        let dir = try logs([
            ("2026.11.28-administrative.log", admin28), ("2026.11.27-administrative.log", admin27),
            ("2026.11.28-smtpLog.log", smtp28),
        ])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.ledger.failedLoginsByProtocol == ["SMTP AUTH": 2, "IMAP": 1, "SMTP": 1])
        #expect(run.summary.days.map(\.counts.failedLogins) == [1, 3])
        #expect(run.summary.totals.rejected == 0)
    }
}

// MARK: - Bad input

@Suite struct SmarterMailBadLogInputTests {
    private static let goodSMTP = authenticatedSession(ip: "10.0.0.14", sid: 7, account: "ava@northwind.test",
                                                       to: ["x@remote.test"], size: 700, hour: 10, minute: 0)

    /// An empty log is said (it may be one just rotated, or a log that stopped being written),
    /// and the rest is read.
    @Test func anEmptyLogFileIsAWarningAndTheRestIsRead() throws {
        let dir = try logs([("2026.11.28-delivery.log", ""), ("2026.11.28-smtpLog.log", Self.goodSMTP)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-delivery.log"), reason: "empty: nothing logged in it yet (a log just rotated?)")])
        #expect(run.diagnostics.filesRead == 2)
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 1, bytes: 700))
    }

    @Test func truncatedLastLineIsWarnedAndTheRestCounted() throws {
        let cut = Self.goodSMTP + "10:00:09.000 [10.0.0.14][8] cmd: EHLO trunc"
        let dir = try logs([("2026.11.28-smtpLog.log", cut)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-smtpLog.log"), reason: lastLineWarning)])
        #expect(run.diagnostics.isPartial)
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 1, bytes: 700))
    }

    @Test func binaryGarbageIsWarnedAndSkipped() throws {
        var garbage: [UInt8] = []
        var x: UInt32 = 2_463_534_242
        for _ in 0..<4096 {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            garbage.append(UInt8(truncatingIfNeeded: x))
        }
        garbage[10] = 0
        let dir = try TempFolder("smlogs-bin")
        try dir.write("2026.11.27-smtpLog.log", garbage)
        try dir.write("2026.11.28-smtpLog.log", Self.goodSMTP)
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.27-smtpLog.log"), reason: binaryWarning)])
        #expect(run.diagnostics.filesRead == 1)
        #expect(run.summary.totals == counts(authenticated: 1, recipients: 1, bytes: 700))
    }

    @Test func nulBytesAfterEightKiBOfGoodLines() throws {
        var text = ""
        for i in 0..<200 {
            text += "10:\(zeroPad(i / 60, 2)):\(zeroPad(i % 60, 2)).000 [\(10_000_000 + i)] Starting local delivery to user\(i)@northwind.test\n"
        }
        #expect(text.utf8.count > 8192)
        var bytes = Array(text.utf8)
        bytes += [0, 0, 0, 0] + Array("garbage".utf8) + [0, 0xFF, 0x0A]
        for i in 0..<5 {
            bytes += Array("11:00:\(zeroPad(i, 2)).000 [20000000] Starting local delivery to late\(i)@northwind.test\n".utf8)
        }
        let dir = try TempFolder("smlogs-nul")
        try dir.write("2026.11.28-delivery.log", bytes)
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-delivery.log"),
                                                          reason: "1 line(s) not recognised (no time stamp), skipped")])
        #expect(run.diagnostics.linesUnrecognised == 1)
        #expect(run.summary.totals == counts(localDeliveries: 205))
    }

    @Test func pngNamedLikeALogIsBinary() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
                            0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x00]
        let dir = try TempFolder("smlogs-png")
        try dir.write("2026.11.28-administrative.log", png)
        try dir.write("2026.11.28-smtpLog.log", Self.goodSMTP)
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-administrative.log"), reason: binaryWarning)])
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func proseNamedLikeALogIsNotRecognised() throws {
        let prose = """
        Dear admin,
        these are the notes from the migration. Nothing to see here.
        Regards, IT

        """
        let dir = try logs([("2026.11.28-administrative.log", prose), ("2026.11.28-smtpLog.log", Self.goodSMTP)])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-administrative.log"),
                                                          reason: "3 line(s) not recognised (no time stamp), skipped")])
        #expect(run.diagnostics.linesUnrecognised == 3)
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func smtpLinesWithoutASessionIDAreNotRecognised() throws {
        let text = Self.goodSMTP + "10:30:00.000 [10.0.0.14][notanumber] cmd: NOOP\n10:30:01.000 [10.0.0.14] no id here\n"
        let dir = try logs([("2026.11.28-smtpLog.log", text)])
        let run = try read(dir)
        #expect(reasons(run.diagnostics, for: "2026.11.28-smtpLog.log") == ["2 line(s) not recognised (no time stamp), skipped"])
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func overlongLineIsWarnedAsCut() throws {
        let long = "10:00:08.000 [10.0.0.14][7] cmd: EHLO " + String(repeating: "h", count: (1 << 20) + 10) + "\n"
        let dir = try logs([("2026.11.28-smtpLog.log", Self.goodSMTP + long)])
        let run = try read(dir)
        #expect(reasons(run.diagnostics, for: "2026.11.28-smtpLog.log") == ["1 line(s) longer than the line limit, cut"])
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func fifoNamedLikeALogIsWarnedAndDoesNotHang() throws {
        let dir = try TempFolder("smlogs-fifo")
        try dir.fifo("2026.11.28-smtpLog.log")
        try dir.write("2026.11.28-delivery.log", "10:00:00.000 [1] Starting local delivery to a@northwind.test\n")
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-smtpLog.log"), reason: "not a regular file (a FIFO)")])
        #expect(run.summary.totals == counts(localDeliveries: 1))
    }

    @Test func folderNamedLikeALogIsWarned() throws {
        let dir = try TempFolder("smlogs-dir")
        try dir.folder("2026.11.28-delivery.log")
        try dir.write("2026.11.28-smtpLog.log", Self.goodSMTP)
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-delivery.log"), reason: "not a regular file (a folder)")])
        #expect(run.diagnostics.filesRead == 1)
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func otherLogKindsAndNotesAreSkipped() throws {
        let dir = try logs([
            ("2026.11.28-imapLog.log", "10:00:00.000 [10.0.0.14][1] cmd: LOGIN\n"),
            ("2026.11.28-popLog.log", "10:00:00.000 [10.0.0.14][1] cmd: USER\n"),
            ("readme.txt", "Logs copied from mail.northwind.test\n"),
            ("2026.11.28-smtpLog.log", Self.goodSMTP),
        ])
        let run = try read(dir)
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.filesSkipped == 3)
        #expect(run.diagnostics.filesRead == 1)
        #expect(run.summary.totals.authenticated == 1)
    }

    @Test func rangeSkipsOtherDaysFiles() throws {
        let dir = try logs([
            ("2026.11.27-smtpLog.log", Self.goodSMTP),
            ("2026.11.28-smtpLog.log", Self.goodSMTP + "\u{0}"),
        ])
        let run = try read(dir, range: TimeRange(day: LocalTime(year: 2026, month: 11, day: 27)))
        #expect(run.diagnostics.warnings == [])
        #expect(run.diagnostics.filesRead == 1)
        #expect(run.summary.days.map(\.date) == ["2026-11-27"])
    }
}

private extension String {
    func replacingLines(containing needle: String, with replacement: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.contains(needle) ? Substring(replacement) : $0 }
            .joined(separator: "\n")
    }
}

// MARK: - Files that change between listing and reading

@Suite struct SmarterMailVanishingInputTests {
    @Test func logDeletedBetweenListingAndReadingIsAWarning() throws {
        let dir = try logs([
            ("2026.11.28-delivery.log", "10:00:00.000 [12345678] Starting local delivery to a@northwind.test\n"),
            ("2026.11.28-smtpLog.log", "10:00:00.000 [10.0.0.1][1] cmd: EHLO x\n"),
        ])
        let (dialect, layout) = try Dialects.locate([dir.path])
        #expect(layout.logFiles.count == 2)
        unlink(dir.at("2026.11.28-smtpLog.log")) // rotated away after the listing
        var ledger = MailLedger()
        var diagnostics = Diagnostics()
        dialect.readFacts(layout, range: nil, share: .all, into: &ledger, diagnostics: &diagnostics)
        ledger.finish()
        #expect(diagnostics.warnings == [InputWarning(path: dir.at("2026.11.28-smtpLog.log"), reason: "vanished before it could be read")])
        #expect(ledger.totals.localDeliveries == 1)
        #expect(diagnostics.filesRead == 1)
    }

    /// A day zipped in place by the server's maintenance task is read as the log it was; a Logs
    /// folder holding only zipped days is a SmarterMail layout, and --date picks the zips by the
    /// day in their names.
    @Test(arguments: ZipMethod.allCases)
    func zippedDaysAreRead(_ method: ZipMethod) throws {
        let delivery27 = "10:00:00.000 [12345678] Starting local delivery to a@northwind.test\n"
        let delivery28 = "11:00:00.000 [12345679] Starting local delivery to b@northwind.test\n"
        let smtp28 = "11:00:00.000 [192.0.2.9][7] cmd: EHLO x\n"
        let plain = try logs([
            ("2026.11.27-delivery.log", delivery27),
            ("2026.11.28-delivery.log", delivery28),
            ("2026.11.28-smtpLog.log", smtp28),
        ])
        let dir = try TempFolder("smzips")
        try dir.zip("2026.11.27-delivery.log.zip", [("2026.11.27-delivery.log", delivery27)], method)
        try dir.zip("2026.11.28-delivery.log.zip", [("2026.11.28-delivery.log", delivery28)], method)
        try dir.zip("2026.11.28-smtpLog.log.zip", [("2026.11.28-smtpLog.log", smtp28)], method)
        try dir.zip("2026.11.28-imapLog.log.zip", [("2026.11.28-imapLog.log", "11:00:00.000 [192.0.2.9] IMAP\n")], method)
        let (dialect, layout) = try Dialects.locate([dir.path])
        #expect(dialect.name == "smartermail")
        #expect(layout.logFiles.sorted() == ["2026.11.27-delivery.log.zip", "2026.11.28-delivery.log.zip", "2026.11.28-smtpLog.log.zip"].map(dir.at))
        #expect(layout.skippedFiles == [dir.at("2026.11.28-imapLog.log.zip")])
        let all = try read(dir)
        #expect(all.diagnostics.warnings.isEmpty)
        #expect(!all.diagnostics.isPartial)
        #expect((all.diagnostics.filesRead, all.diagnostics.filesSkipped) == (3, 1))
        #expect(all.ledger.totals.localDeliveries == 2)
        #expect(all.summary.rendered(.text).hasPrefix("Traffic summary (smartermail): all logs read, 2026-11-27 10:00:00 to 2026-11-28 11:00:00\n"))
        #expect(all.summary.json().rendered() == (try read(plain)).summary.json().rendered())
        let day = try read(dir, range: TimeRange(day: LocalTime(year: 2026, month: 11, day: 27)))
        #expect(day.diagnostics.filesRead == 1)
        #expect(day.ledger.totals.localDeliveries == 1)
        #expect(day.summary.days.map(\.date) == ["2026-11-27"])
        // One zipped log given as a file.
        let one = try Spoolsweep.readLogs(InputSelection(paths: [dir.at("2026.11.27-delivery.log.zip")]), range: nil)
        #expect(one.server == "smartermail")
        #expect(one.ledger.totals.localDeliveries == 1)
    }

    /// A day gzipped by hand (`2026.11.28-delivery.log.gz`) is read too: a Logs folder holding
    /// only compressed days is a SmarterMail layout.
    @Test func gzippedDaysAreRead() throws {
        let dir = try logs([("2026.11.28-delivery.log", "10:00:00.000 [12345678] Starting local delivery to a@northwind.test\n")])
        try dir.zip("2026.11.27-delivery.log.zip", [("2026.11.27-delivery.log", "10:00:00.000 [12345677] Starting local delivery to b@northwind.test\n")])
        #expect(shellOutput("gzip -n '\(dir.at("2026.11.28-delivery.log"))'") != nil)
        let all = try read(dir)
        #expect(all.diagnostics.warnings.isEmpty)
        #expect(all.diagnostics.filesRead == 2)
        #expect(all.ledger.totals.localDeliveries == 2)
        #expect(all.summary.days.map(\.date) == ["2026-11-27", "2026-11-28"])
    }

    /// A damaged zip, or one with two files, is named with the reason and counted as unreadable;
    /// the rest is read, the run is partial, and the report does not say all logs were read.
    @Test func aZipThatIsNotOneReadableLogIsAWarningAndTheRestIsRead() throws {
        let dir = try logs([
            ("2026.11.28-delivery.log", "10:00:00.000 [12345678] Starting local delivery to a@northwind.test\n"),
            ("2026.11.27-smtpLog.log.zip", "PK\u{3}\u{4} this is no zip archive"),
        ])
        let log = "10:00:00.000 [12345677] Starting local delivery to b@northwind.test\n"
        try dir.zip("2026.11.27-delivery.log.zip", [("2026.11.27-delivery.log", log), ("2026.11.26-delivery.log", log)])
        let all = try read(dir)
        #expect(all.diagnostics.warnings == [
            InputWarning(path: dir.at("2026.11.27-delivery.log.zip"), reason: "zip archive holds 2 files, not one log"),
            InputWarning(path: dir.at("2026.11.27-smtpLog.log.zip"), reason: "not a readable zip archive (Not a zip archive)"),
        ])
        #expect(all.diagnostics.isPartial)
        #expect(all.diagnostics.logsUnreadable == 2)
        #expect(all.diagnostics.filesRead == 1)
        #expect(all.ledger.totals.localDeliveries == 1)
        var summary = all.summary
        summary.coverage.unreadable = all.diagnostics.logsUnreadable
        #expect(summary.rendered(.text).hasPrefix("Traffic summary (smartermail): logs read but 2 unreadable (see the warnings), 2026-11-28 10:00:00 to 2026-11-28 10:00:00\n"))
        let (reported, _) = try Spoolsweep.summary(InputSelection(paths: [dir.path]), range: nil, top: 0)
        #expect(reported.rendered(.text) == summary.rendered(.text))
        // Outside the period asked for, the damaged days are not read.
        let day = try read(dir, range: TimeRange(day: LocalTime(year: 2026, month: 11, day: 28)))
        #expect(day.diagnostics.warnings.isEmpty)
    }
}

/// Numbers read from a log are range-checked: a corrupt one is a warning naming the file and
/// the field, the run goes on, and the figures are the same whatever the threads.
@Suite struct SmarterMailLogNumberTests {
    @Test(arguments: [1, 3])
    func aSizeOverOneTebibyteIsAWarningNotATrap(_ threads: Int) throws {
        let smtp = """
        10:00:00.300 [192.0.2.10][1001] cmd: MAIL FROM:<alice@remote.test>
        10:00:00.400 [192.0.2.10][1001] cmd: RCPT TO:<bob@northwind.test>
        10:00:01 [192.0.2.10][1001] Received message size: 9223372036854775807 bytes
        10:00:01.020 [192.0.2.10][1001] rsp: 250 OK
        10:00:02.000 [192.0.2.10][1001] cmd: QUIT
        10:00:03.300 [192.0.2.11][1002] cmd: MAIL FROM:<carol@remote.test>
        10:00:03.400 [192.0.2.11][1002] cmd: RCPT TO:<bob@northwind.test>
        10:00:04 [192.0.2.11][1002] Received message size: 99999999999999999999999 bytes
        10:00:04.020 [192.0.2.11][1002] rsp: 250 OK
        10:00:05.000 [192.0.2.11][1002] cmd: QUIT

        """
        let dir = try logs([("2026.11.28-smtpLog.log", smtp)])
        var input = InputSelection(paths: [dir.path])
        input.threads = threads
        let run = try Spoolsweep.readLogs(input, range: nil)
        #expect(run.diagnostics.warnings == [InputWarning(path: dir.path + "/2026.11.28-smtpLog.log",
                                                          reason: "2 line(s) with a message size over 1 TiB (Received message size), read as 0")])
        #expect(run.ledger.totals.messages == 2 && run.ledger.totals.bytes == 0)
    }
}
