import Glibc
import Testing
@testable import SpoolsweepCore

/// Line shapes of the Postfix log (formats.md §2.1), read through the library entry point.
@Suite struct PostfixLogTests {
    /// Writes `text` as a log file modified at `mtime` (local time of this process) and reads it.
    func read(_ text: String, mtime: LocalTime = LocalTime(year: 2026, month: 11, day: 29, hour: 12)) throws -> (MailLedger, Diagnostics, TempFolder) {
        let dir = try TempFolder("pflog")
        let path = try dir.write("mail.log", text)
        // The file's mtime gives the year: set it so that its local time is `mtime`.
        let offset = LocalTime(unixTime: 0).seconds
        var times = [timeval(tv_sec: Int(mtime.seconds - offset), tv_usec: 0), timeval(tv_sec: Int(mtime.seconds - offset), tv_usec: 0)]
        _ = utimes(path, &times)
        let run = try Spoolsweep.readLogs(InputSelection(paths: [path]), range: nil)
        #expect(run.server == "postfix")
        return (run.ledger, run.diagnostics, dir)
    }

    static let message = """
        Nov 29 03:15:20 mail postfix/submission/smtpd[23796]: connect from unknown[127.0.0.24]
        Nov 29 03:15:20 mail postfix/submission/smtpd[23796]: 4jcXMr2WqTz7lrv: client=unknown[127.0.0.24], sasl_method=LOGIN, sasl_username=emma@widgets-store.test
        Nov 29 03:15:20 mail postfix/cleanup[23802]: 4jcXMr2WqTz7lrv: message-id=<1@widgets-store.test>
        Nov 29 03:15:20 mail postfix/qmgr[23684]: 4jcXMr2WqTz7lrv: from=<emma@widgets-store.test>, size=958, nrcpt=2 (queue active)
        Nov 29 03:15:20 mail postfix/local[23805]: 4jcXMr2WqTz7lrv: to=<olivia@acme-corp.test>, relay=local, delay=0.02, delays=0/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)
        Nov 29 03:15:21 mail postfix/smtp[23806]: 4jcXMr2WqTz7lrv: to=<x@far.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)
        Nov 29 03:20:00 mail postfix/qmgr[23684]: 4jcXMr2WqTz7lrv: removed

        """

    @Test func oneMessageFollowedByQueueID() throws {
        let (ledger, diagnostics, _) = try read(Self.message)
        #expect(diagnostics.warnings.isEmpty)
        let t = ledger.totals
        #expect(t.authenticated == 1 && t.messages == 1 && t.recipients == 2 && t.bytes == 958)
        #expect(t.localDeliveries == 1 && t.deferred == 1)
        #expect(ledger.firstFact == LocalTime(year: 2026, month: 11, day: 29, hour: 3, minute: 15, second: 20))
    }

    /// The facts the reader emits for one message: the login at `client=`, each delivery with
    /// its queue id and sender, the removal, and the accepted message (at removal, with the time
    /// it was received and the recipients the deliveries named); smtpd's connection; refused RCPTs
    /// of other clients with their replies, smtpd's and postscreen's.
    @Test func factsOfOneMessage() throws {
        let dir = try TempFolder("pflog")
        let path = try dir.write("mail.log", Self.message + """
            Nov 29 03:21:00 mail postfix/smtpd[23900]: NOQUEUE: reject: RCPT from unknown[127.0.0.99]: 554 5.7.1 <x@far.test>: Relay access denied; from=<a@b.test> to=<x@far.test> proto=ESMTP helo=<probe>
            Nov 29 03:21:01 mail postfix/postscreen[23901]: CONNECT from [192.0.2.8]:4000 to [192.0.2.1]:25
            Nov 29 03:21:02 mail postfix/postscreen[23901]: NOQUEUE: reject: RCPT from [192.0.2.8]:4000: 550 5.7.1 Service unavailable; client [192.0.2.8] blocked using bl.spamcop.net; from=<a@b.test>, to=<c@d.test>, proto=ESMTP, helo=<x>
            Nov 29 03:21:03 mail postfix/smtpd[23900]: disconnect from unknown[127.0.0.99] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4

            """)
        let facts = try Spoolsweep.facts(InputSelection(paths: [path])).facts
        let at = { (m: Int, s: Int) in LocalTime(year: 2026, month: 11, day: 29, hour: 3, minute: m, second: s) }
        #expect(facts == [
            .connection(time: at(15, 20), clientIP: "127.0.0.24"),
            .login(time: at(15, 20), ip: "127.0.0.24", protocolName: "SMTP AUTH", account: "emma@widgets-store.test", success: true),
            .delivery(time: at(15, 20), key: "4jcXMr2WqTz7lrv", sender: "emma@widgets-store.test", recipient: "olivia@acme-corp.test",
                      isLocal: true, outcome: .delivered, word: "sent", detail: "sent (delivered to mailbox)", attempt: 0),
            .delivery(time: at(15, 21), key: "4jcXMr2WqTz7lrv", sender: "emma@widgets-store.test", recipient: "x@far.test",
                      isLocal: false, outcome: .deferred, word: "deferred",
                      detail: "deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)", attempt: 0),
            .accepted(time: at(15, 20), key: "4jcXMr2WqTz7lrv", clientIP: "127.0.0.24", account: "emma@widgets-store.test",
                      sender: "emma@widgets-store.test", recipients: ["olivia@acme-corp.test", "x@far.test"], size: 958,
                      protocolName: "SMTP", spoolName: nil, messageID: "1@widgets-store.test"),
            .removed(time: at(20, 0), key: "4jcXMr2WqTz7lrv"),
            .recipientRejected(time: at(21, 0), clientIP: "127.0.0.99", recipient: "x@far.test", code: 554,
                               reason: "554 5.7.1 <x@far.test>: Relay access denied"),
            // postscreen's client is `[ip]:port: `; its CONNECT is not smtpd's connection.
            .recipientRejected(time: at(21, 2), clientIP: "192.0.2.8", recipient: "c@d.test", code: 550,
                               reason: "550 5.7.1 Service unavailable; client [192.0.2.8] blocked using bl.spamcop.net"),
        ])
    }

    /// A `size=` over 1 TiB (here the largest Int64) is a warning, read as absent; no total
    /// overflows, pflogsumm's included.
    @Test func aSizeOverOneTebibyteIsAWarningNotATrap() throws {
        let (ledger, diagnostics, dir) = try read(Self.message.replacingAll("size=958", "size=9223372036854775807"))
        #expect(diagnostics.warnings == [InputWarning(path: dir.path + "/mail.log", reason: "1 line(s) with a message size over 1 TiB (size=), read as 0")])
        #expect(ledger.totals.messages == 1 && ledger.totals.bytes == 0)
        let summary = try Spoolsweep.summary(InputSelection(paths: [dir.path + "/mail.log"]), range: nil, top: 0).0
        #expect(summary.serverTotals?["bytes received"] == 0)
    }

    @Test func rfc3339TimestampsAndInstanceTags() throws {
        let text = Self.message
            .replacingAll("Nov 29 03:15:20", "2026-11-29T03:15:20.250000+01:00")
            .replacingAll("postfix/submission/smtpd", "postfix-smo/submission/smtpd")
        let (ledger, _, _) = try read(text)
        #expect(ledger.totals.messages == 1)
        #expect(ledger.firstFact == LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: 29, hour: 3, minute: 15, second: 20).milliseconds + 250))
    }

    @Test func decemberLinesInAFileWrittenInJanuaryBelongToTheYearBefore() throws {
        let text = Self.message.replacingAll("Nov 29", "Dec 31")
        let (ledger, _, _) = try read(text, mtime: LocalTime(year: 2027, month: 1, day: 1, hour: 6))
        #expect(ledger.firstFact.dateString == "2026-12-31")
    }

    @Test func rejectsLoginsPickupAndExpiry() throws {
        let text = """
            Nov 29 03:15:32 mail postfix/smtpd[23837]: NOQUEUE: reject: RCPT from unknown[127.0.0.99]: 554 5.7.1 <a@remote.test>: Relay access denied; from=<> to=<a@remote.test> proto=ESMTP helo=<probe>
            Nov 29 03:16:09 mail postfix/submission/smtpd[23796]: 4jcXNn4wVqz7lsd: reject: RCPT from unknown[127.0.0.22]: 550 5.1.1 <r@acme-corp.test>: Recipient address rejected; from=<noah@acme-corp.test> to=<r@acme-corp.test> proto=ESMTP helo=<noah>
            Nov 29 03:19:01 mail postfix/submission/smtpd[24000]: warning: unknown[127.0.0.44]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=sam@acme-corp.test
            Nov 29 03:19:02 mail postfix/submission/smtpd[24000]: warning: unknown[127.0.0.44]: SASL PLAIN authentication failed: Connection lost to authentication server, sasl_username=(unavailable)
            Nov 29 03:19:55 mail postfix/submission/smtpd[24000]: 4jcXR1aaaaz7lt0: client=unknown[127.0.0.44], sasl_method=PLAIN, sasl_username=sam@acme-corp.test
            Nov 29 03:19:55 mail postfix/qmgr[23684]: 4jcXR1aaaaz7lt0: from=<billing@acme-corp.test>, size=1700, nrcpt=1 (queue active)
            Nov 29 03:17:00 mail postfix/pickup[23683]: 4jcXPm3nrpz7lt4: uid=33 from=<www-data>
            Nov 29 03:17:00 mail postfix/qmgr[23684]: 4jcXPm3nrpz7lt4: from=<www-data@mail.acme-corp.test>, size=500, nrcpt=1 (queue active)
            Nov 29 03:17:01 mail postfix/smtp[23806]: 4jcXPm3nrpz7lt4: to=<victim@far.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect refused)
            Nov 29 03:30:00 mail postfix/qmgr[23684]: 4jcXPm3nrpz7lt4: from=<www-data@mail.acme-corp.test>, status=expired, returned to sender

            """
        let (ledger, diagnostics, _) = try read(text)
        #expect(diagnostics.warnings.isEmpty)
        let t = ledger.totals
        #expect(t.rejected == 2)
        #expect(t.failedLogins == 2)
        let sam = try #require(id("sam@acme-corp.test", in: ledger.addresses))
        #expect(ledger.breakIns[sam]?.failedBefore == 2)
        // Both messages are still queued at the end of the log: they count, with what is known.
        #expect(t.messages == 2)
        #expect(t.authenticated == 1 && t.relayed == 1)
        #expect(ledger.outcomes.map { ledger.outcomeNames.string($0.key) }.sorted() == ["deferred", "expired"])
        let pickup = try #require(id("uid=33", in: ledger.ips))
        #expect(ledger.evidence[.relayIP(pickup)]?.messages == 1)
    }

    @Test func otherProgramsInTheMailLogAreNotWarnedAbout() throws {
        let text = "Nov 29 03:15:00 mail dovecot: auth: Debug: loading modules\n" + Self.message + "garbage line\n"
        let (ledger, diagnostics, dir) = try read(text)
        #expect(ledger.totals.messages == 1)
        #expect(diagnostics.warnings == [InputWarning(path: dir.at("mail.log"), reason: "1 line(s) not recognised (no time stamp), skipped")])
    }

    func id(_ key: String, in interner: ByteInterner) -> Int32? {
        var k = key
        return k.withUTF8 { interner.existingID(UnsafeRawBufferPointer($0)) }
    }
}

private extension String {
    func replacingAll(_ a: String, _ b: String) -> String { split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
}

@Suite struct QueueIDTests {
    /// Queue ids of eight bytes or more are packed a word at a time: the same key, and the same
    /// validity, as packing them byte by byte.
    @Test func queueIDsPackAsByteByByte() {
        func reference(_ s: [UInt8]) -> (UInt64, UInt64, Bool) {
            var a: UInt64 = 0, b: UInt64 = 0
            var ok = s.count >= 6 && s.count <= 16
            for (i, c) in s.enumerated() where ok {
                guard isDigit(c) || isLetter(c) else { ok = false; break }
                if i < 8 { a = a << 8 | UInt64(c) } else { b = b << 8 | UInt64(c) }
            }
            return (a, b | UInt64(s.count) << 60, ok)
        }
        let alphabet = Array("0123456789ABCDEFabcdefzZ".utf8)
        for length in 1...18 {
            for position in 0..<length {
                for c in 0...255 {
                    var s = (0..<length).map { alphabet[($0 * 7 + length) % alphabet.count] }
                    s[position] = UInt8(c)
                    let id = s.withUnsafeBytes { UnsafeRawBufferPointer.QueueID($0) }
                    let (a, b, ok) = reference(s)
                    #expect(id.a == a && id.b == b && id.isValid == ok)
                }
            }
        }
    }
}
