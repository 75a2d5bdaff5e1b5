import Testing
@testable import SpoolsweepCore

private let base: Int64 = 1_800_000_000

private func accepted(_ second: Int64, from sender: String, as account: String? = nil, ip: String = "192.0.2.7",
                      to recipients: [String], size: Int = 100) -> OwnedMailFact {
    .accepted(time: LocalTime(seconds: base + second), key: "s\(second)", clientIP: ip, account: account, sender: sender,
              recipients: recipients, size: size, protocolName: "SMTP", spoolName: nil)
}

private func localDelivery(_ second: Int64, to recipient: String) -> OwnedMailFact {
    .delivery(time: LocalTime(seconds: base + second), key: "d\(second)", sender: nil, recipient: recipient, isLocal: true,
              outcome: .delivered, word: "local", detail: "local", attempt: 0)
}

private func login(_ second: Int64, ip: String, account: String? = nil, success: Bool) -> OwnedMailFact {
    .login(time: LocalTime(seconds: base + second), ip: ip, protocolName: "SMTP AUTH", account: account, success: success)
}

private func ledger(_ facts: [OwnedMailFact], window: Int64 = 600) -> MailLedger {
    var ledger = MailLedger(rateWindow: window)
    for f in facts { f.replay(into: &ledger) }
    ledger.finish()
    return ledger
}

private func id(_ ledger: MailLedger, _ address: String) -> Int32 {
    var s = address
    return s.withUTF8 { ledger.addresses.existingID(UnsafeRawBufferPointer($0)) }!
}

@Suite struct MailLedgerTests {
    /// A mailbox's recipient domains count every message it sent; its account's (a suspect's
    /// figure) only the authenticated ones, also when a domain first reached unauthenticated is
    /// later reached authenticated.
    @Test func accountDomainsCountOnlyAuthenticatedMessages() {
        var facts: [OwnedMailFact] = []
        func figures() -> (mailbox: Int, account: Int) {
            let l = ledger(facts)
            let joe = id(l, "joe@example.com")
            return (l.mailboxes[joe]!.recipientDomains, l.evidence[.account(joe)]!.recipientDomains)
        }
        func send(_ authenticated: Bool, to recipients: [String], at second: Int64) {
            facts.append(accepted(second, from: "joe@example.com", as: authenticated ? "joe@example.com" : nil, to: recipients))
        }
        send(true, to: ["a@x.test", "b@x.test"], at: 0)
        #expect(figures() == (1, 1))
        send(false, to: ["c@y.test", "d@z.test"], at: 1)
        #expect(figures() == (3, 1))
        send(true, to: ["e@y.test"], at: 2)
        #expect(figures() == (3, 2))
        send(true, to: ["f@y.test", "g@w.test"], at: 3)
        #expect(figures() == (4, 3))
        send(false, to: ["h@v.test", "i@w.test"], at: 4)
        #expect(figures() == (5, 3))
    }

    /// The peak counts messages by when they were received, however late each was reported:
    /// three messages in one minute, the second reported an hour after the others.
    @Test func peakRateCountsLateReportsInTheirOwnWindow() {
        let a = "ann@northwind.test"
        let facts = [
            accepted(0, from: a, as: a, to: ["x@r.test"]),
            accepted(40, from: a, as: a, to: ["x@r.test"]),
            accepted(7200, from: a, as: a, to: ["x@r.test"]),
            accepted(20, from: a, as: a, to: ["x@r.test"]), // reported last (its session ended late)
        ]
        let l = ledger(facts, window: 60)
        let e = l.evidence[.account(id(l, a))]!
        #expect(e.peakInWindow == 3)
        #expect(e.peakWindowStart == LocalTime(seconds: base))
        #expect(e.messages == 4)
    }

    /// Whether unauthenticated mail is inbound or relayed is decided at the end: a message to a
    /// domain that a later local delivery shows to be local is inbound, not relayed.
    @Test func directionIsDecidedOnceEveryFactIsIn() {
        let facts = [
            accepted(0, from: "x@remote.test", ip: "203.0.113.5", to: ["bob@northwind.test"]),
            accepted(1, from: "x@remote.test", ip: "203.0.113.5", to: ["bob@northwind.test", "y@elsewhere.test"]),
            localDelivery(2, to: "bob@northwind.test"),
        ]
        let l = ledger(facts)
        #expect(l.totals.inbound == 1)
        #expect(l.totals.relayed == 1)
        var ip = "203.0.113.5"
        let relay = l.evidence[.relayIP(ip.withUTF8 { l.ips.existingID(UnsafeRawBufferPointer($0)) }!)]!
        #expect(relay.messages == 1)
        #expect(relay.recipientDomains == 2)
        #expect(l.mailboxes[id(l, "bob@northwind.test")]!.received == 2)
        #expect(l.domainTraffic.count == 1)
    }

    /// A break-in counts the failures from an IP reported before the success from it; on a tie
    /// between IPs, the earlier success.
    @Test func breakInIsTheSuccessAfterTheMostFailures() {
        let a = "ann@northwind.test"
        let facts = [
            login(0, ip: "198.51.100.1", success: false),
            login(1, ip: "198.51.100.1", success: false),
            login(2, ip: "198.51.100.2", success: false),
            login(3, ip: "198.51.100.2", success: false),
            login(4, ip: "198.51.100.2", account: a, success: true),
            login(5, ip: "198.51.100.1", account: a, success: true),
            login(6, ip: "198.51.100.1", success: false),
            login(7, ip: "198.51.100.1", account: a, success: true),
        ]
        let l = ledger(facts)
        let b = l.breakIns[id(l, a)]!
        #expect(l.ips.string(b.ip) == "198.51.100.1")
        #expect(b.failedBefore == 3)
        #expect(b.at == LocalTime(seconds: base + 7))
        #expect(l.loginIPsByAccount[id(l, a)]?.count == 2)
        // Cut anywhere, the parts merged in order give the same.
        for cut in 0...facts.count {
            var first = ledger(Array(facts[..<cut]))
            first.merge(ledger(Array(facts[cut...])))
            first.finish()
            let m = first.breakIns[id(first, a)]!
            #expect(first.ips.string(m.ip) == "198.51.100.1" && m.failedBefore == 3 && m.at == b.at, "cut at \(cut)")
        }
    }
}

/// `--detail`'s refusals by DNS blocklist and greylisting replies, from any server's reply, and
/// the connections per client.
@Suite struct MailDetailsTests {
    @Test func blocklistsAreNamedByTheRuleForEveryServer() {
        let t = LocalTime(seconds: base)
        func refused(_ reason: String, code: Int = 550) -> OwnedMailFact {
            .rejection(time: t, clientIP: "192.0.2.9", code: code, reason: reason)
        }
        var l = MailLedger()
        l.keepsDetails = true
        for f: OwnedMailFact in [
            // Postfix smtpd, Exim's Debian ACL, the Exim specification's, any "listed in".
            refused("554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; https://x.test"),
            refused("192.0.2.9 is listed at zen.spamhaus.org (127.0.0.2: listed)"),
            refused("rejected because 192.0.2.9 is in a black list at bl.spamcop.net"),
            refused("554 Your IP is listed in b.barracudacentral.org."),
            // SmarterMail's SMTP spam blocking names no list.
            refused("554 Mail rejected due to SMTP Spam Blocking"),
            // Greylisting is a temporary refusal, counted apart.
            .recipientRejected(time: t, clientIP: "192.0.2.10", recipient: "b@acme.test", code: 450, reason: "Greylisted, try later"),
            .recipientRejected(time: t, clientIP: "192.0.2.10", recipient: "c@acme.test", code: 451, reason: "greylisted"),
            refused("550 relay not permitted"),
            .connection(time: t, clientIP: "192.0.2.9"),
            .connection(time: t, clientIP: "192.0.2.9"),
            .connection(time: t, clientIP: "192.0.2.10"),
        ] { f.replay(into: &l) }
        l.finish()
        let d = SummaryDetails(l, limit: 10)
        #expect(d.blocklists.map { "\($0.name) \($0.count)" }
                == ["zen.spamhaus.org 2", "(SMTP spam blocking) 1", "b.barracudacentral.org 1", "bl.spamcop.net 1"])
        #expect(d.greylisted == 2)
        #expect(d.clients == [SummaryDetails.Client(ip: "192.0.2.9", connections: 2, messages: 0, rejected: 6),
                              SummaryDetails.Client(ip: "192.0.2.10", connections: 1, messages: 0, rejected: 0)])
    }
}
