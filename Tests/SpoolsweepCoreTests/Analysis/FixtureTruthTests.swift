import Glibc
import Testing
@testable import SpoolsweepCore

// Every number below is copied from fixtures/smartermail/ground_truth.json (the answer key
// generated with the fixture), not from running spoolsweep.

private let fixture = settledSmarterMailFixture

private let input = InputSelection(paths: [fixture])
private let now = LocalTime(year: 2026, month: 11, day: 28, hour: 18)

private struct DayTruth: Sendable {
    let day: Int
    let accepted, authenticated, relayed, inbound, recipients, localDeliveries, rejections, failedSMTP: Int
    let outcomes: [String: Int]
    let failedAdmin: [String: Int]   // administrative log, per protocol
    let perHour: [Int]
}

private struct AccountTruth: Sendable {
    let account: String
    let messages, recipients, domains: Int
    let ips: [String]
    let peak: Int
    let senders: [String: Int]
}

private let days = [
    DayTruth(day: 27, accepted: 178, authenticated: 114, relayed: 4, inbound: 60, recipients: 255, localDeliveries: 153,
             rejections: 8, failedSMTP: 1, outcomes: ["Deferred": 8, "Delivered": 100],
             failedAdmin: ["IMAP": 2, "SMTP": 1, "Webmail": 1],
             perHour: [8, 4, 2, 1, 3, 0, 4, 3, 12, 12, 7, 15, 6, 19, 7, 20, 8, 16, 18, 4, 2, 3, 4, 0]),
    DayTruth(day: 28, accepted: 451, authenticated: 340, relayed: 64, inbound: 47, recipients: 860, localDeliveries: 143,
             rejections: 8, failedSMTP: 14, outcomes: ["Deferred": 605, "Delivered": 406, "Failed": 103],
             failedAdmin: ["IMAP": 2, "SMTP": 14, "Webmail": 1],
             perHour: [4, 0, 119, 127, 5, 1, 2, 7, 16, 25, 22, 28, 22, 15, 28, 15, 8, 7, 0, 0, 0, 0, 0, 0]),
]

private let accounts: [Int: [AccountTruth]] = [
    27: [
        AccountTruth(account: "ava@northwind.test", messages: 15, recipients: 26, domains: 11, ips: ["10.0.0.14"], peak: 2, senders: ["ava@northwind.test": 15]),
        AccountTruth(account: "emma@fabrikam.test", messages: 13, recipients: 22, domains: 11, ips: ["10.0.1.31"], peak: 2, senders: ["emma@fabrikam.test": 13]),
        AccountTruth(account: "jane@northwind.test", messages: 6, recipients: 6, domains: 5, ips: ["10.0.0.21"], peak: 1, senders: ["jane@northwind.test": 6]),
        AccountTruth(account: "liam@northwind.test", messages: 12, recipients: 20, domains: 8, ips: ["10.0.0.13", "198.51.100.23"], peak: 2, senders: ["liam@northwind.test": 12]),
        AccountTruth(account: "lucas@northwind.test", messages: 14, recipients: 21, domains: 8, ips: ["10.0.0.16"], peak: 2, senders: ["lucas@northwind.test": 14]),
        AccountTruth(account: "mia@northwind.test", messages: 8, recipients: 9, domains: 5, ips: ["10.0.0.15", "203.0.113.9"], peak: 2, senders: ["mia@northwind.test": 8]),
        AccountTruth(account: "noah@northwind.test", messages: 11, recipients: 15, domains: 9, ips: ["10.0.0.12"], peak: 3, senders: ["noah@northwind.test": 11]),
        AccountTruth(account: "olivia@northwind.test", messages: 12, recipients: 21, domains: 10, ips: ["10.0.0.11", "192.0.2.44"], peak: 1, senders: ["olivia@northwind.test": 12]),
        AccountTruth(account: "oscar@fabrikam.test", messages: 8, recipients: 12, domains: 7, ips: ["10.0.1.32", "192.0.2.150"], peak: 2, senders: ["oscar@fabrikam.test": 8]),
        AccountTruth(account: "zoe@fabrikam.test", messages: 15, recipients: 25, domains: 9, ips: ["10.0.1.33"], peak: 2, senders: ["zoe@fabrikam.test": 15]),
    ],
    28: [
        AccountTruth(account: "ava@northwind.test", messages: 10, recipients: 19, domains: 10, ips: ["10.0.0.14"], peak: 1, senders: ["ava@northwind.test": 10]),
        AccountTruth(account: "emma@fabrikam.test", messages: 15, recipients: 21, domains: 10, ips: ["10.0.1.31"], peak: 2, senders: ["emma@fabrikam.test": 15]),
        AccountTruth(account: "jane@northwind.test", messages: 240, recipients: 528, domains: 60, ips: ["203.0.113.77"], peak: 59, senders: ["jane@northwind.test": 170, "payroll@northwind.test": 70]),
        AccountTruth(account: "liam@northwind.test", messages: 13, recipients: 23, domains: 11, ips: ["10.0.0.13", "198.51.100.23"], peak: 2, senders: ["liam@northwind.test": 13]),
        AccountTruth(account: "lucas@northwind.test", messages: 13, recipients: 58, domains: 13, ips: ["10.0.0.16"], peak: 3, senders: ["lucas@northwind.test": 13]),
        AccountTruth(account: "mia@northwind.test", messages: 10, recipients: 19, domains: 10, ips: ["10.0.0.15", "203.0.113.9"], peak: 2, senders: ["mia@northwind.test": 10]),
        AccountTruth(account: "noah@northwind.test", messages: 8, recipients: 15, domains: 7, ips: ["10.0.0.12"], peak: 2, senders: ["noah@northwind.test": 8]),
        AccountTruth(account: "olivia@northwind.test", messages: 13, recipients: 21, domains: 11, ips: ["10.0.0.11", "192.0.2.44"], peak: 2, senders: ["olivia@northwind.test": 13]),
        AccountTruth(account: "oscar@fabrikam.test", messages: 11, recipients: 19, domains: 11, ips: ["10.0.1.32", "192.0.2.150"], peak: 3, senders: ["oscar@fabrikam.test": 11]),
        AccountTruth(account: "zoe@fabrikam.test", messages: 7, recipients: 12, domains: 6, ips: ["10.0.1.33"], peak: 2, senders: ["zoe@fabrikam.test": 7]),
    ],
]

/// Unauthenticated relaying IPs: messages, recipients, envelope senders.
private let relays: [Int: (messages: Int, recipients: Int, senders: [String: Int])] = [
    27: (4, 4, ["shop@fabrikam.test": 4]),
    28: (64, 64, ["shop@fabrikam.test": 4, "webform@fabrikam.test": 60]),
]

private func range(_ day: Int) -> TimeRange { TimeRange(day: LocalTime(year: 2026, month: 11, day: day)) }

private func id(_ interner: ByteInterner, _ key: String) -> Int32? {
    var s = key
    return s.withUTF8 { interner.existingID(UnsafeRawBufferPointer($0)) }
}

private func named(_ pairs: [String: Int]) -> [TrafficSummary.Named] {
    TrafficSummary.ranked(pairs.map { ($0.key, $0.value) }, top: 0)
}

@Suite struct FixtureTruthTests {
    @Test(arguments: [27, 28])
    func dailySummaryMatchesTheAnswerKey(day: Int) throws {
        let truth = try #require(days.first { $0.day == day })
        let (summary, diagnostics) = try Spoolsweep.summary(input, range: range(day), top: 0)
        #expect(diagnostics.warnings == [])
        #expect(diagnostics.linesUnrecognised == 0)
        #expect(summary.server == "smartermail")
        #expect(summary.days.map(\.date) == ["2026-11-\(day)"])
        let c = summary.totals
        #expect(c.messages == truth.accepted)
        #expect(c.authenticated == truth.authenticated)
        #expect(c.relayed == truth.relayed)
        #expect(c.inbound == truth.inbound)
        #expect(c.recipients == truth.recipients)
        #expect(c.localDeliveries == truth.localDeliveries)
        #expect(c.rejected == truth.rejections)
        #expect(summary.outcomes == named(truth.outcomes))
        #expect(c.delivered == truth.outcomes["Delivered", default: 0])
        #expect(c.deferred == truth.outcomes["Deferred", default: 0])
        #expect(c.bounced == truth.outcomes["Failed", default: 0])
        // SMTP AUTH failures come from the SMTP log; the administrative log's SMTP lines repeat
        // them and are not counted again; its other protocols are.
        var failed = truth.failedAdmin
        failed["SMTP"] = nil
        failed["SMTP AUTH"] = truth.failedSMTP
        #expect(summary.failedLogins == named(failed))
        #expect(c.failedLogins == failed.values.reduce(0, +))
        #expect(summary.hours.map(\.messages) == truth.perHour)
    }

    @Test(arguments: [27, 28])
    func accountsAndRelaysMatchTheAnswerKey(day: Int) throws {
        let run = try Spoolsweep.readLogs(input, range: range(day))
        let ledger = run.ledger
        let expected = try #require(accounts[day])
        let seenAccounts = ledger.evidence.keys.compactMap { key -> String? in
            if case .account(let a) = key { return ledger.addresses.string(a) }
            return nil
        }.sorted()
        #expect(seenAccounts == expected.map(\.account))
        for truth in expected {
            let a = try #require(id(ledger.addresses, truth.account))
            let e = try #require(ledger.evidence[.account(a)])
            #expect(e.messages == truth.messages, "\(truth.account)")
            #expect(e.recipients == truth.recipients, "\(truth.account)")
            #expect(e.recipientDomains == truth.domains, "\(truth.account)")
            #expect(e.peakInWindow == truth.peak, "\(truth.account)")
            let senders = Dictionary(uniqueKeysWithValues: e.envelopeSenders.map { (ledger.addresses.string($0.key), $0.value) })
            #expect(senders == truth.senders, "\(truth.account)")
            let ips = (ledger.loginIPsByAccount[a]?.elements ?? []).map { ledger.ips.string($0) }.sorted()
            #expect(ips == truth.ips, "\(truth.account)")
        }
        let relay = try #require(relays[day])
        let relayIPs = ledger.evidence.keys.compactMap { key -> String? in
            if case .relayIP(let ip) = key { return ledger.ips.string(ip) }
            return nil
        }
        #expect(relayIPs == ["198.51.100.80"])
        let ip = try #require(id(ledger.ips, "198.51.100.80"))
        let e = try #require(ledger.evidence[.relayIP(ip)])
        #expect(e.messages == relay.messages)
        #expect(e.recipients == relay.recipients)
        let senders = Dictionary(uniqueKeysWithValues: e.envelopeSenders.map { (ledger.addresses.string($0.key), $0.value) })
        #expect(senders == relay.senders)
    }

    @Test func phishingRunAcceptTimes() throws {
        // phishing_first_accept 02:40:07.898 and phishing_last_accept 03:22:02.932 (the `rsp: 250 OK` after DATA).
        let run = try Spoolsweep.readLogs(input, range: range(28))
        let jane = try #require(id(run.ledger.addresses, "jane@northwind.test"))
        let e = try #require(run.ledger.evidence[.account(jane)])
        let day = LocalTime(year: 2026, month: 11, day: 28).milliseconds
        #expect(e.firstSeen == LocalTime(milliseconds: day + ((2 * 60 + 40) * 60 + 7) * 1000 + 898),
                "first accept at .\(e.firstSeen.milliseconds % 1000)")
        #expect(e.lastSeen == LocalTime(milliseconds: day + ((3 * 60 + 22) * 60 + 2) * 1000 + 932),
                "last accept at .\(e.lastSeen.milliseconds % 1000)")
    }

    @Test(arguments: [nil, 28] as [Int?])
    func suspectsRankTheCompromisedAccountThenTheWebForm(day: Int?) throws {
        let (report, diagnostics) = try Spoolsweep.suspects(
            input, range: day.map(range), thresholds: SuspectThresholds(), top: 0, pathsText: "fixtures/smartermail")
        // The spool's two orphans (incidents: hdr_without_eml, eml_without_hdr) are findings; no warning.
        #expect(diagnostics.warnings.isEmpty)
        #expect(diagnostics.findings == [
            InputWarning(path: fixture + "/Spool/SubSpool2/868583812463.eml", reason: "message (.eml) without its envelope (.hdr)"),
            InputWarning(path: fixture + "/Spool/SubSpool3/30909693.hdr", reason: "envelope (.hdr) without its message (.eml)"),
        ])
        try #require(report.suspects.count >= 2)
        let jane = report.suspects[0]
        #expect(jane.name == "jane@northwind.test")
        #expect(jane.kind == .account)
        #expect(jane.peakInWindow == 59)
        #expect(jane.messages == (day == nil ? 246 : 240))
        #expect(jane.envelopeSenders.first { $0.name == "payroll@northwind.test" }?.count == 70)
        #expect(jane.queued.messages == 72)
        #expect(jane.queued.topSubject == "Your mailbox storage is full - verify your account")
        #expect(jane.queued.topSubjectCount == 72)
        let breakIn = try #require(jane.reasons.first { $0.code == "break_in" })
        #expect(breakIn.crosses)
        #expect(breakIn.text.hasPrefix("14 failed logins from 203.0.113.77, then a successful login from that IP at 2026-11-28 02:31:13"))
        #expect(jane.reasons.first { $0.code == "rate" }?.crosses == true)
        #expect(jane.nextCommand == "spoolsweep spool list --auth '^jane@northwind\\.test$' fixtures/smartermail")

        let relay = report.suspects[1]
        #expect(relay.name == "198.51.100.80")
        #expect(relay.kind == .relayIP)
        #expect(relay.queued.messages == 18)
        #expect(relay.queued.topSubject == "Contact form: You have won a $500 gift card")
        #expect(report.blocks.map { $0.ip } == ["203.0.113.77"])
    }

    @Test func spoolMatchesTheAnswerKey() throws {
        let (messages, diagnostics) = try Spoolsweep.readSpool(input)
        #expect(diagnostics.warnings.isEmpty)
        #expect(diagnostics.findings == [
            InputWarning(path: fixture + "/Spool/SubSpool2/868583812463.eml", reason: "message (.eml) without its envelope (.hdr)"),
            InputWarning(path: fixture + "/Spool/SubSpool3/30909693.hdr", reason: "envelope (.hdr) without its message (.eml)"),
        ])
        // hdr_files 111, plus the .eml-only orphan and the two Drop files.
        #expect(messages.count == 114)
        let envelopes = messages.filter { $0.envelopePath != nil }
        #expect(envelopes.count == 111)
        var byState: [String: Int] = [:], byFolder: [String: Int] = [:], byAccount: [String: Int] = [:], bySender: [String: Int] = [:]
        for m in envelopes {
            byState[m.state, default: 0] += 1
            byFolder[m.queue, default: 0] += 1
            if let a = m.account { byAccount[a, default: 0] += 1 }
            bySender[m.sender.isEmpty ? "<>" : m.sender, default: 0] += 1
        }
        #expect(byState == ["Failed": 1, "Writing": 3, "Written": 107])
        #expect(byFolder == ["SubSpool1": 37, "SubSpool2": 38, "SubSpool3": 33, "delay": 2, "proc": 1])
        #expect(byAccount == ["ava@northwind.test": 1, "emma@fabrikam.test": 2, "jane@northwind.test": 72, "liam@northwind.test": 1,
                              "lucas@northwind.test": 2, "mia@northwind.test": 1, "noah@northwind.test": 2, "olivia@northwind.test": 3,
                              "oscar@fabrikam.test": 1, "zoe@fabrikam.test": 1])
        #expect(bySender == ["jane@northwind.test": 49, "payroll@northwind.test": 23, "webform@fabrikam.test": 18,
                             "olivia@northwind.test": 3, "<>": 2, "emma@fabrikam.test": 2, "lucas@northwind.test": 2,
                             "noah@northwind.test": 2, "ava@northwind.test": 1, "billing@litware.test": 1, "hana@contoso.test": 1,
                             "liam@northwind.test": 1, "marco@wingtip.test": 1, "mia@northwind.test": 1, "news@relecloud.test": 1,
                             "oscar@fabrikam.test": 1, "uma@litware.test": 1, "zoe@fabrikam.test": 1])
        #expect(messages.filter { $0.queue == "Drop" }.map(\.id).sorted() == ["52141372", "83870244"])
        let newsletter = try #require(messages.first { $0.id == "125862202478" })
        #expect(newsletter.recipients.count == 40)
        #expect(newsletter.size == 38713)
        #expect(newsletter.sessionID == "14169889")
        #expect(newsletter.created == LocalTime(year: 2026, month: 11, day: 28, hour: 16, minute: 31, second: 13))
    }

    @Test func selectingByAccountFindsThePhishingRun() throws {
        let filter = try SpoolFilter(account: "^jane@northwind\\.test$")
        let (selected, _) = try Spoolsweep.selectSpool(input, filter: filter, now: now, wantsSubject: true)
        #expect(selected.count == 72)   // phishing_queued
        #expect(Set(selected.map(\.subject)) == ["Your mailbox storage is full - verify your account"])
        let forged = try SpoolFilter(sender: "^payroll@northwind\\.test$", account: "^jane@northwind\\.test$")
        #expect(try Spoolsweep.selectSpool(input, filter: forged, now: now, wantsSubject: false).selected.count == 23)
    }

    @Test func selectingByBodyFindsTheContactFormSpam() throws {
        let filter = try SpoolFilter(body: "claim\\.gift-card-prize")
        let (selected, diagnostics) = try Spoolsweep.selectSpool(input, filter: filter, now: now, wantsSubject: false)
        #expect(selected.count == 18)   // contact_form_queued
        #expect(Set(selected.map(\.message.sender)) == ["webform@fabrikam.test"])
        #expect(Set(selected.map(\.message.clientIP)) == ["198.51.100.80"])
        #expect(diagnostics.warnings.isEmpty && diagnostics.findings.count == 2)
    }
}
