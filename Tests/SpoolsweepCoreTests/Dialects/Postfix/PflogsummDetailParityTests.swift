import Glibc
import Testing
@testable import SpoolsweepCore

/// `summary --detail N` against the real pflogsumm's detail sections on the Postfix corpus log,
/// for the sections both have. Rows are compared by address (pflogsumm leaves ties in Perl's
/// hash order): every sender's and recipient's message count, and their bytes as pflogsumm
/// prints them (`adj_int_units`). The deferral, bounce and reject details group their rows
/// differently (pflogsumm by service or relay, then its own trimming of the reply text;
/// spoolsweep by recipient domain, then the reply normalised: addresses `<address>`, digits `N`),
/// so their totals are compared.
struct PflogsummDetailParityTests {
    /// pflogsumm's sections, each a list of (value, name) rows, and the `(total: N)` of each group.
    struct Sections {
        var rows: [String: [(String, String)]] = [:]
        var totals: [String: [Int]] = [:]

        init(_ text: String) {
            var section = "", dashes = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.isEmpty { section = ""; continue }
                if !line.hasPrefix(" ") {
                    if line.allSatisfy({ $0 == "-" }) { dashes = true; continue }
                    section = line
                    dashes = false
                    continue
                }
                guard !section.isEmpty, dashes else { continue }
                let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if let t = line.range(of: "(total: ") {
                    let n = line[t.upperBound...].prefix { $0.isNumber }
                    totals[section, default: []].append(Int(n) ?? -1)
                } else if fields.count == 2 {
                    rows[section, default: []].append((fields[0], fields[1]))
                }
            }
        }
    }

    @Test func corpusDetailMatchesPflogsumm() throws {
        try #require(access(pflogsummPath, X_OK) == 0,
                     "pflogsumm not found: the detail sections are compared with it; install it with `apt-get install pflogsumm` (make test does)")
        let path = repositoryRoot + "/fixtures/postfix/maillog"
        let (summary, _) = try Spoolsweep.summary(InputSelection(paths: [path]), range: nil, top: 0, detail: 1000)
        let d = try #require(summary.details)
        let output = try #require(shellOutput(pflogsummPath + " '" + path + "'"), "pflogsumm failed")
        let pfl = Sections(output)

        func counts(_ rows: [SummaryDetails.Row]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: rows.map { ($0.name, String($0.count)) })
        }
        func sizes(_ rows: [SummaryDetails.Row]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: rows.map { ($0.name, pflogsummUnits($0.bytes)) })
        }
        func theirs(_ title: String) -> [String: String] {
            Dictionary(uniqueKeysWithValues: (pfl.rows[title] ?? []).map { ($0.1, $0.0) })
        }
        for (title, ours) in [("Senders by message count", counts(d.sendersByCount)), ("Senders by message size", sizes(d.sendersBySize)),
                              ("Recipients by message count", counts(d.recipientsByCount)),
                              ("Recipients by message size", sizes(d.recipientsBySize))] {
            let expected = theirs(title)
            #expect(!expected.isEmpty, "pflogsumm's \(title) not found")
            #expect(ours == expected, "\(title)")
        }
        // The order: most first (ties in any order).
        #expect(d.sendersByCount.map(\.count) == d.sendersByCount.map(\.count).sorted(by: >))
        #expect(d.recipientsBySize.map(\.bytes) == d.recipientsBySize.map(\.bytes).sorted(by: >))
        #expect(d.sendersByCount.count == 17 && d.recipientsByCount.count == 6)

        // The problems, by their totals.
        #expect(d.deferralTotal == (pfl.totals["message deferral detail"] ?? []).reduce(0, +))
        #expect(d.deferralTotal == 1034)
        #expect(d.bounceTotal == (pfl.totals["message bounce detail (by relay)"] ?? []).reduce(0, +))
        #expect(d.bounceTotal == 2)
        #expect(d.bounces == [SummaryDetails.Problem(domain: "acme-corp.test", reason: "unknown user: \"hiring\"", count: 2)])
        #expect(d.clients.reduce(0) { $0 + $1.rejected } == (pfl.totals["message reject detail"] ?? []).reduce(0, +))
        #expect(d.rejectionTotal == 6 && d.rejections.map { "\($0.count) \($0.reason)" }
                == ["4 N N.N.N <address>: Relay access denied", "2 N N.N.N <address>: Recipient address rejected: User unknown in local recipient table"])
        #expect(d.clients.first == SummaryDetails.Client(ip: "127.0.0.99", connections: 4, messages: 0, rejected: 4))

        // pflogsumm's problem sections, counted its way in the Postfix totals: each section's total
        // (its reasons are trimmed differently), and the warnings' total per process.
        let st = try #require(summary.serverTotals)
        #expect(st.problems.map(\.title) == PflogsummTotals.problemSections)
        for p in st.problems {
            #expect(p.total == (pfl.totals[p.title] ?? []).reduce(0, +), "\(p.title)")
        }
        #expect(st.problems[0].total == 6 && st.problems[4].total == 11)
        #expect(st.problems[4].groups.map(\.name) == ["smtpd"])
        #expect(st.problems[0].groups.map { "\($0.name) \($0.total)" } == ["RCPT 6"])
        #expect(st.problems[0].groups[0].rows.map { "\($0.count) \($0.reason)" }
                == ["4 N N.N.N <address>: Relay access denied", "2 N N.N.N <address>: Recipient address rejected: User unknown in local recipient table"])
        #expect(d.blocklists.isEmpty && d.greylisted == 0, "the corpus has neither")

        // Connections per client host/domain, against `pflogsumm --smtpd-stats`.
        let stats = try #require(shellOutput(pflogsummPath + " --smtpd-stats '" + path + "'"), "pflogsumm failed")
        var theirConnections: [String: Int] = [:]
        var inTable = false
        for line in stats.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Host/Domain Summary: SMTPD Connections") { inTable = true; continue }
            guard inTable else { continue }
            if line.isEmpty { if !theirConnections.isEmpty { break } else { continue } }
            let f = line.split(separator: " ")
            if f.count == 5, let n = Int(f[0]) { theirConnections[String(f[4])] = n }
        }
        #expect(theirConnections.values.reduce(0, +) == 271, "pflogsumm's per-hour connection summary")
        #expect(Dictionary(uniqueKeysWithValues: st.connections.map { ($0.name, $0.value) }) == theirConnections)
        // The connections per client IP, from the facts (smtpd's `connect from`), add up to the same.
        #expect(d.clients.reduce(0) { $0 + $1.connections } == 271)
    }

    /// Blocklist and greylisting replies are broken out of the rejects.
    @Test func blocklistsAndGreylistingAreCounted() throws {
        let dir = try TempFolder("pflogsumm-rbl")
        let log = """
            Nov 29 10:00:01 mx postfix/smtpd[10]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>
            Nov 29 10:00:02 mx postfix/postscreen[11]: NOQUEUE: reject: RCPT from [192.0.2.8]:4000: 550 5.7.1 Service unavailable; client [192.0.2.8] blocked using bl.spamcop.net; from=<a@b.test>, to=<c@d.test>, proto=ESMTP, helo=<x>
            Nov 29 10:00:03 mx postfix/smtpd[10]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>
            Nov 29 10:00:04 mx postfix/smtpd[10]: NOQUEUE: reject: RCPT from unknown[192.0.2.10]: 450 4.2.0 <c@d.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/d.test.html; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>
            Nov 29 10:00:05 mx postfix/cleanup[12]: 4ABC: hold: header Subject: invoice from unknown[192.0.2.11]; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>: Held for review
            Nov 29 10:00:06 mx postfix/smtpd[10]: fatal: no SASL authentication mechanisms
            Nov 29 10:00:07 mx postfix/smtp[13]: connect to mx.far.test[192.0.2.50]: Connection timed out (port 25)
            Nov 29 10:00:08 mx postfix/smtp[13]: connect to mx.far.test[192.0.2.50]:25: Connection timed out

            """
        let path = try dir.write("maillog", Array(log.utf8))
        let (summary, _) = try Spoolsweep.summary(InputSelection(paths: [path], server: "postfix"), range: nil, top: 0, detail: 10)
        let st = try #require(summary.serverTotals)
        let d = try #require(summary.details)
        #expect(d.blocklists.map { "\($0.name) \($0.count)" } == ["zen.spamhaus.org 2", "bl.spamcop.net 1"])
        #expect(d.greylisted == 1)
        #expect(st.problems[0].total == 4 && st.problems[2].total == 1 && st.problems[5].total == 1)
        #expect(st.problems[2].groups.map(\.name) == ["header"])
        #expect(st.problems[7].total == 1, "pflogsumm's older form only")
        #expect(st.problems[7].groups[0].rows.map(\.reason) == ["mx.far.test[N.N.N.N]: Connection timed out (port N)"])
        #expect(st.problems[5].groups[0].rows.map(\.reason) == ["no SASL authentication mechanisms"])
        let text = summary.rendered(.text)
        #expect(text.contains("\nRefusals by DNS blocklist\n  blocklist         refusals\n  zen.spamhaus.org         2\n  bl.spamcop.net           1\n  greylisting replies  1\n"))
        #expect(st.problems[0].groups[0].rows.map { "\($0.count) \($0.reason)" } == [
            "3 N N.N.N Service unavailable", "1 N N.N.N <address>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/d.test.html",
        ])
        #expect(st.problems[2].groups[0].rows.map(\.reason) == ["Held for review"])
    }

    /// The rule that makes a reply a reason shared by many messages.
    @Test func reasonsAreNormalised() {
        func normalised(_ s: String) -> String {
            var out: [UInt8] = []
            var s = s
            s.withUTF8 { MailDetails.normalise(UnsafeRawBufferPointer($0), into: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(normalised("deferred (connect to 127.0.0.1[127.0.0.1]:2599: Connection refused)") == "connect to N.N.N.N[N.N.N.N]:N: Connection refused")
        #expect(normalised("bounced (host mx.example.com[192.0.2.1] said: 550 5.1.1 <jdoe@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))")
                == "host mx.example.com[N.N.N.N] said: N N.N.N <address>: Recipient address rejected: User unknown (in reply to RCPT TO comm",
                "cut at 120 characters")
        #expect(normalised("Deferred:  451   Try again later, id=abc123 for bob@x.test") == "Deferred: N Try again later, id=abcN for <address>")
        #expect(normalised(String(repeating: "x", count: 300)).count == 120)
    }
}
