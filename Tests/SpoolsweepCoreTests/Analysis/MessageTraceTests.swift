import Glibc
import Testing
@testable import SpoolsweepCore

// `trace` on the three corpora, against their answer keys (the ground_truth.json beside each:
// read here with the project's JSON parser, never copied from spoolsweep's output).

private func answerKey(_ relative: String) -> JSON {
    var buffer: [UInt8] = []
    let path = repositoryRoot + "/fixtures/" + relative
    _ = try? ByteSource(path: path, allowMapping: false).readAll(into: &buffer, limit: 1 << 24)
    return buffer.withUnsafeBytes { JSON.parse($0) } ?? .null
}

private func trace(_ query: String, _ paths: [String], limit: Int = 100) throws -> (TraceReport, Diagnostics) {
    try Spoolsweep.trace(InputSelection(paths: paths.map { repositoryRoot + "/fixtures/" + $0 }), query: TraceQuery(query),
                         limit: limit, quarantineRoot: "/nonexistent/spoolsweep-trace-test")
}

/// The spool's files stamped with the sample's time (see `settledSmarterMailFixture`).
private let settledSmarterMail: Void = { _ = settledSmarterMailFixture }()

@Suite struct MessageTraceTests {
    @Test func queriesAreReadByTheirShape() throws {
        #expect(try TraceQuery("4jcXTw1mjpz7m3W") == .id("4jcXTw1mjpz7m3W"))
        #expect(try TraceQuery(" <a.b@c.test> ") == .messageID("a.b@c.test"))
        #expect(try TraceQuery("Jane@Northwind.test") == .address("Jane@Northwind.test"))
        #expect(throws: SpoolsweepError.badValue("trace: a Message-ID ends with '>': '<abc'")) { try TraceQuery("<abc") }
        #expect(throws: SpoolsweepError.self) { try TraceQuery("") }
        #expect(throws: SpoolsweepError.self) { try TraceQuery("a b;rm") }
        #expect(throws: SpoolsweepError.badValue("--limit: expected 1 to 1000000, got 0")) {
            try Spoolsweep.trace(InputSelection(paths: [repositoryRoot + "/fixtures/exim/log"]), query: .id("x"), limit: 0, quarantineRoot: nil)
        }
    }

    /// SmarterMail: a phishing message of the broken-into mailbox, still queued. The answer key's
    /// row gives the session, sender, account, recipient count, folder, state and size; its
    /// incidents the attacker's IP. Queued means no recipient was delivered yet: every attempt
    /// deferred, as many attempts as the `.hdr`'s retry count.
    @Test func smarterMailMessageAgreesWithTheAnswerKey() throws {
        _ = settledSmarterMail
        let key = answerKey("smartermail/ground_truth.json")
        let row = try #require(key["spool"]?["rows"]?.arrayValue?.first { $0["base"]?.stringValue == "244912742955" })
        let (report, diagnostics) = try trace("244912742955", ["smartermail"])
        #expect(diagnostics.warnings.isEmpty)
        #expect(diagnostics.findings.isEmpty) // the spool's two orphans are other messages'
        #expect(report.found == 1)
        let story = try #require(report.stories.first)
        let r = try #require(story.received)
        #expect(r.session == row["smtpSessionId"]?.stringValue)
        #expect(r.clientIP == key["incidents"]?["attacker_ip"]?.stringValue)
        #expect(r.login == row["auth"]?.stringValue)
        #expect(r.sender == row["sender"]?.stringValue)
        #expect(r.recipients.count == row["recipients"]?.intValue)
        #expect(r.helo == "WIN-8K2Q3P1M7TR") // the session's EHLO, as its .hdr also records
        let q = try #require(story.queued)
        #expect(q.queue == row["folder"]?.stringValue)
        #expect(q.state == row["state"]?.stringValue)
        #expect(q.size == row["eml_size"]?.intValue)
        #expect(q.helo == r.helo)
        #expect(story.deliveries.count == 3 * r.recipients.count)
        #expect(story.deliveries.allSatisfy { $0.outcome == .deferred && r.recipients.contains($0.recipient) })
        #expect(story.deliveries.last?.attempt == q.attempts)
        #expect(story.removed == nil && story.whereNow == "queued")
    }

    /// SmarterMail: the session id names every message of the session; the `.eml` left behind
    /// after delivery (the key's orphan) was removed by the server, and its finding is kept.
    @Test func smarterMailSessionAndTheDeliveredOrphan() throws {
        _ = settledSmarterMail
        let key = answerKey("smartermail/ground_truth.json")
        let rows = key["spool"]?["rows"]?.arrayValue ?? []
        let (session, _) = try trace("65379135", ["smartermail"])
        let queuedOfSession = Set(rows.filter { $0["smtpSessionId"]?.stringValue == "65379135" }.compactMap { $0["base"]?.stringValue })
        #expect(!queuedOfSession.isEmpty)
        #expect(Set(session.stories.filter { $0.queued != nil }.map(\.id)) == queuedOfSession)
        #expect(session.stories.allSatisfy { $0.received?.session == "65379135" && $0.received?.login == "jane@northwind.test" })

        let orphan = try #require(key["spool"]?["orphans"]?["eml_without_hdr"]?.arrayValue?.first?.stringValue)
        let id = String(orphan.split(separator: "/").last!.dropLast(4))
        let (report, diagnostics) = try trace(id, ["smartermail"])
        let story = try #require(report.stories.first)
        #expect(story.queued?.state == "Orphan")
        #expect(story.removed != nil)
        #expect(diagnostics.findings.map(\.reason) == ["message (.eml) without its envelope (.hdr)"])
    }

    /// Postfix: a forged-sender phishing message (the key's queue row: sender, SASL user, client
    /// IP, pending recipients, queue), found by its queue id and by its Message-ID.
    @Test(arguments: ["4jcXTw1mjpz7m3W", "<95FE830B162D.3ka5ip2t8x@acme-corp.test>"])
    func postfixMessageAgreesWithTheAnswerKey(_ query: String) throws {
        let row = try #require(answerKey("postfix/ground_truth.json")["queue"]?["messages"]?["4jcXTw1mjpz7m3W"])
        let (report, diagnostics) = try trace(query, ["postfix/maillog", "postfix/queue"])
        #expect(diagnostics.warnings.isEmpty)
        #expect(report.stories.map(\.id) == ["4jcXTw1mjpz7m3W"])
        let story = try #require(report.stories.first)
        let r = try #require(story.received)
        #expect(r.sender == row["sender"]?.stringValue)
        #expect(r.login == row["auth_user"]?.stringValue)
        #expect(r.clientIP == row["client_ip"]?.stringValue)
        #expect(r.messageID == "95FE830B162D.3ka5ip2t8x@acme-corp.test")
        let pending = row["pending_recipients"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!pending.isEmpty && Set(pending).isSubset(of: r.recipients))
        #expect(story.queued?.queue == row["queue"]?.stringValue)
        #expect(Set(story.deliveries.map(\.recipient)) == Set(pending))
        #expect(story.deliveries.allSatisfy { $0.outcome == .deferred })
        #expect(story.deliveries.map(\.attempt).max() == 2) // two queue runs in the log
    }

    /// Exim: an ordinary user's message to a dead smarthost (the key's queue row), by its id and
    /// its Message-ID; the `id=` and HELO come from the `<=` line.
    @Test(arguments: ["1xXVWl-0007Mm-1F", "<D8CFE483A05B.vxggbm3w6w@widgets-store.test>"])
    func eximMessageAgreesWithTheAnswerKey(_ query: String) throws {
        let row = try #require(answerKey("exim/ground_truth.json")["queue"]?["messages"]?["1xXVWl-0007Mm-1F"])
        let (report, _) = try trace(query, ["exim/log", "exim/spool"])
        #expect(report.stories.map(\.id) == ["1xXVWl-0007Mm-1F"])
        let story = try #require(report.stories.first)
        let r = try #require(story.received)
        #expect(r.sender == row["sender"]?.stringValue)
        #expect(r.login == row["auth_user"]?.stringValue)
        #expect(r.clientIP == row["client_ip"]?.stringValue)
        #expect(r.helo == "emma-desktop.widgets-store.test")
        #expect(r.recipients == row["pending_recipients"]?.arrayValue?.compactMap(\.stringValue))
        #expect(story.queued?.state == row["queue"]?.stringValue)
        #expect(story.queued?.files.map { String($0.split(separator: "/").suffix(4).joined(separator: "/")) }.first
                == row["spool_path"]?.stringValue)
        #expect(story.deliveries.map(\.outcome) == [.deferred, .deferred])
        #expect(story.deliveries.map(\.attempt) == [1, 2])
    }

    /// An address names every message it sent, received or logged in for: the compromised
    /// account's messages, as many as the key counts in the log per SASL user, on both servers.
    @Test(arguments: [("exim/ground_truth.json", ["exim/log", "exim/spool"]), ("postfix/ground_truth.json", ["postfix/maillog", "postfix/queue"])])
    func anAddressListsItsMessages(_ key: String, _ paths: [String]) throws {
        let expected = try #require(answerKey(key)["log_messages_by_sasl_user"]?["sam@acme-corp.test"]?.intValue)
        let (report, _) = try trace("sam@acme-corp.test", paths, limit: 1000)
        #expect(report.stories.filter { $0.received?.login == "sam@acme-corp.test" }.count == expected)
        #expect(report.found == report.stories.count)
        let (cut, _) = try trace("sam@acme-corp.test", paths, limit: 7)
        #expect(cut.stories.count == 7 && cut.found == report.found)
    }

    @Test func nothingFoundIsAnEmptyReport() throws {
        let (report, _) = try trace("1zzzzz-000000-00", ["exim/log", "exim/spool"])
        #expect(report.stories.isEmpty && report.found == 0)
        #expect(report.rendered(.text) == "No message matches 1zzzzz-000000-00 in the exim logs, spool or quarantine read.\n")
    }
}
