import Glibc
import Testing
@testable import SpoolsweepCore

/// `spoolsweep summary`'s "Postfix totals (as pflogsumm counts them)" against the real pflogsumm
/// (Debian's `pflogsumm` 1.1.5, /usr/sbin/pflogsumm), run on the corpus log and on a generated
/// one. Every grand total, every per-hour cell and every row of the two "Host/Domain Summary"
/// tables (pflogsumm prints all their rows by default: `-h` is unset, i.e. -1, "all"; `-h 0`
/// would print none) must be the same, except where pflogsumm is known to be wrong: a message
/// re-injected by a content filter, which pflogsumm counts twice (received, bytes received, and a
/// message and its bytes for its sending domain) and whose hand-off to the filter it counts as a
/// delivery (delivered, bytes delivered, and a sent, bytes and delay for the recipient's domain).
/// Those differences are computed by the generator and checked exactly.
///
/// Delays are compared as pflogsumm prints them (`%5.1f` in s, m or h), from the same doubles:
/// Perl's string-to-number is correctly rounded and pflogsumm sums a domain's delays in log
/// order, as spoolsweep does. Where a content filter's hand-offs must be added back, the
/// generator gives those domains delays that are multiples of 1/4, so that the sum is exact in
/// any order. Rows that tie on (sent, bytes) come out of pflogsumm in Perl's hash order, which
/// changes from run to run: rows are matched by domain, and the order is checked on the keys
/// pflogsumm sorts by.
struct PflogsummParityTests {
    /// Without pflogsumm every test fails, saying how to install it (never a silent skip).
    init() throws {
        try #require(access(pflogsummPath, X_OK) == 0,
                     "pflogsumm not found: the Postfix totals are compared with it; install it with `apt-get install pflogsumm` (make test does)")
    }

    /// The labels of pflogsumm's "Grand Totals", in its order.
    static let fields = ["received", "delivered", "forwarded", "deferred", "deferrals", "bounced", "rejected",
                         "reject warnings", "held", "discarded", "bytes received", "bytes delivered", "senders",
                         "sending hosts/domains", "recipients", "recipient hosts/domains"]

    @Test func corpusLogMatchesPflogsumm() throws {
        let dir = try TempFolder("pflogsumm")
        let path = try dir.write("maillog", try readAll(repositoryRoot + "/fixtures/postfix/maillog"))
        setModificationTime(path, LocalTime(year: 2026, month: 11, day: 29, hour: 23))
        let (ours, pfl) = try bothSummaries(path)
        // No content filter in this log: every figure is pflogsumm's.
        #expect(ours["content-filter re-injections"] == nil)
        compare(ours, pfl, differences: Differences())
        // The figures themselves (pflogsumm.txt in the corpus).
        #expect(ours["received"] == 256 && ours["delivered"] == 24 && ours["deferred"] == 236 && ours["deferrals"] == 1034)
        #expect(ours["bounced"] == 2 && ours["rejected"] == 6 && ours["senders"] == 17 && ours["sending hosts/domains"] == 5)
        #expect(ours["recipients"] == 6 && ours["recipient hosts/domains"] == 2 && ours["bytes delivered"] == 266801)
        #expect(pfl.grand["bytes received"] == "1772k")

        // Host/Domain Summary: 2 domains delivered to, 35 only deferred; 5 sending domains.
        compareDomains(ours, pfl, differences: Differences())
        #expect(pfl.deliveryDomains.count == 37 && ours.deliveryDomains.count == 37)
        #expect(pfl.receivedDomains.count == 5 && ours.receivedDomains.count == 5)
        let first = try #require(ours.deliveryDomains.first)
        #expect(first.domain == "acme-corp.test" && first.sent == 23 && first.bytes == 266069 && first.deferrals == 0)
        #expect(formatDelay(first.averageDelay) == "0.0 s" && formatDelay(first.maxDelay) == "0.1 s")
        let inboxly = try #require(ours.deliveryDomains.first { $0.domain == "inboxly.test" })
        #expect(inboxly.sent == 0 && inboxly.bytes == 0 && inboxly.deferrals == 131 && formatDelay(inboxly.maxDelay) == "6.0 m")
        #expect(ours.deliveryDomains.filter { $0.sent == 0 }.count == 35)
        #expect(ours.receivedDomains.map(\.domain) == ["acme-corp.test", "widgets-store.test", "northwind.test", "ledgerline.test", "inboxly.test"])
        #expect(ours.receivedDomains.map(\.messages) == [203, 45, 4, 2, 2])
        #expect(ours.receivedDomains.map(\.bytes) == [1519680, 251674, 2128, 40701, 1100])
    }

    @Test func generatedLogMatchesPflogsummExceptContentFilterDoubleCounting() throws {
        var generator = LogGenerator()
        generator.generate(messages: 320)
        let dir = try TempFolder("pflogsumm")
        let path = try dir.write("mail.log", generator.lines.joined(separator: "\n") + "\n")
        setModificationTime(path, LocalTime(year: 2026, month: 11, day: 29, hour: 23))
        let (ours, pfl) = try bothSummaries(path)

        // The generated log exercises every counter.
        for name in Self.fields {
            #expect((ours[name] ?? 0) > 0, "\(name) is 0 in the generated log")
        }
        #expect(pfl.perHourTitle == "Per-Hour Traffic Summary")
        #expect(ours.hours[10][0] > 0 && ours.hours[11][0] > 0, "two hours of traffic")

        // The one deliberate difference: content-filter re-injections counted once.
        let d = generator.differences
        #expect(d.reinjections >= 5)
        #expect(ours["content-filter re-injections"] == d.reinjections)
        compare(ours, pfl, differences: d)

        // The Host/Domain tables: several recipient domains delivered to and deferred for, one
        // only deferred, a bare local address, delays in s, m and h; sending domains from
        // addresses, client hosts and IPs, and pickup's bare user.
        compareDomains(ours, pfl, differences: d)
        let rows = ours.deliveryDomains
        #expect(rows.count >= 9 && pfl.deliveryDomains.count == rows.count)
        #expect(rows.filter { $0.sent > 0 && $0.deferrals > 0 }.count >= 4)
        #expect(rows.contains { $0.domain == "never-up.example" && $0.sent == 0 && $0.deferrals > 0 })
        #expect(rows.contains { $0.domain == "root" && $0.sent > 0 })
        #expect(rows.contains { formatDelay($0.maxDelay).hasSuffix(" h") })
        #expect(rows.contains { formatDelay($0.averageDelay).hasSuffix(" m") })
        #expect(rows.contains { formatDelay($0.averageDelay).hasSuffix(" s") && $0.averageDelay > 0 })
        #expect(Set(d.handoffsByDomain.keys) == ["scanned.example", "cf-two.test"])
        let received = ours.receivedDomains.map(\.domain)
        #expect(received.count >= 8 && pfl.receivedDomains.count == received.count)
        for expected in ["example.com", "shop.example.net", "mx1.example", "www-data", "198.51.100.7", "2001:db8::25",
                         "example.co.uk", "host.example.de"] {
            #expect(received.contains(expected), "sending domain \(expected)")
        }
    }

    // MARK: - Comparing

    func compare(_ ours: ServerTotals, _ pfl: PflogsummReport, differences d: Differences,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ours.counts.prefix(Self.fields.count).map(\.name) == Self.fields, sourceLocation: sourceLocation)
        let extra = ["received": d.reinjections, "delivered": d.handoffs,
                     "bytes received": d.reinjectedBytes, "bytes delivered": d.handoffBytes]
        for name in Self.fields {
            let value = (ours[name] ?? -1) + extra[name, default: 0]
            #expect(pflogsummUnits(value) == pfl.grand[name],
                    "\(name): spoolsweep \(ours[name] ?? -1) (+\(extra[name, default: 0]) content filter), pflogsumm \(pfl.grand[name] ?? "missing")",
                    sourceLocation: sourceLocation)
        }
        #expect(ours.hourColumns == ["received", "delivered", "deferred", "bounced", "rejected"], sourceLocation: sourceLocation)
        #expect(pfl.hours.count == 24, sourceLocation: sourceLocation)
        for h in 0..<min(24, pfl.hours.count) {
            var row = ours.hours[h]
            row[0] += d.reinjectedPerHour[h]
            row[1] += d.handoffsPerHour[h]
            #expect(row.map(pflogsummUnits) == pfl.hours[h], "hour \(h)", sourceLocation: sourceLocation)
        }
    }

    /// Every row of pflogsumm's two Host/Domain tables against spoolsweep's (plus what pflogsumm
    /// counts for a content filter): the same domains, counts, bytes, defers and delays, and the
    /// same order of (count, bytes).
    func compareDomains(_ ours: ServerTotals, _ pfl: PflogsummReport, differences d: Differences,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        // Delivery: sent, bytes, defers, avg delay, max delay.
        struct Delivery { var sent = 0, bytes = 0, defers = 0, totalDelay = 0.0, maxDelay = 0.0 }
        var expected: [String: Delivery] = [:]
        for r in ours.deliveryDomains {
            #expect(expected[r.domain] == nil, "\(r.domain) twice", sourceLocation: sourceLocation)
            expected[r.domain] = Delivery(sent: r.sent, bytes: r.bytes, defers: r.deferrals, totalDelay: r.totalDelay, maxDelay: r.maxDelay)
        }
        for (domain, h) in d.handoffsByDomain {
            var e = expected[domain, default: Delivery()]
            e.sent += h.count; e.bytes += h.bytes; e.totalDelay += h.delay; e.maxDelay = max(e.maxDelay, h.maxDelay)
            expected[domain] = e
        }
        let pflDelivery = Dictionary(pfl.deliveryDomains.map { ($0.domain, $0.fields) }, uniquingKeysWith: { a, _ in a })
        #expect(pflDelivery.count == pfl.deliveryDomains.count, "a domain twice in pflogsumm's table", sourceLocation: sourceLocation)
        #expect(Set(pflDelivery.keys) == Set(expected.keys), "delivery domains", sourceLocation: sourceLocation)
        for (domain, e) in expected {
            let average = e.sent > 0 ? e.totalDelay / Double(e.sent) : 0
            let row = [pflogsummUnits(e.sent), pflogsummUnits(e.bytes), pflogsummUnits(e.defers), formatDelay(average), formatDelay(e.maxDelay)]
            #expect(row == pflDelivery[domain], "delivery to \(domain)", sourceLocation: sourceLocation)
        }
        // pflogsumm's order: most sent, then most bytes; spoolsweep's breaks its ties.
        let expectedOrder = expected.values.map { [$0.sent, $0.bytes] }.sorted { $0.lexicographicallyPrecedes($1) }.reversed()
            .map { $0.map(pflogsummUnits) }
        #expect(pfl.deliveryDomains.map { Array($0.fields.prefix(2)) } == Array(expectedOrder), "delivery order", sourceLocation: sourceLocation)
        let ourKeys = ours.deliveryDomains.map { ($0.sent, $0.bytes, $0.deferrals) }
        #expect(zip(ourKeys, ourKeys.dropFirst()).allSatisfy { $0 >= $1 }, "spoolsweep's delivery order", sourceLocation: sourceLocation)

        // Received: messages, bytes.
        var received: [String: [Int]] = [:]
        for r in ours.receivedDomains {
            #expect(received[r.domain] == nil && r.messages > 0, "\(r.domain)", sourceLocation: sourceLocation)
            received[r.domain] = [r.messages, r.bytes]
        }
        for (domain, x) in d.reinjectedBySenderDomain {
            let base = received[domain, default: [0, 0]]
            received[domain] = [base[0] + x.count, base[1] + x.bytes]
        }
        let pflReceived = Dictionary(pfl.receivedDomains.map { ($0.domain, $0.fields) }, uniquingKeysWith: { a, _ in a })
        #expect(pflReceived.count == pfl.receivedDomains.count, "a domain twice in pflogsumm's table", sourceLocation: sourceLocation)
        #expect(Set(pflReceived.keys) == Set(received.keys), "sending domains", sourceLocation: sourceLocation)
        for (domain, e) in received {
            #expect(e.map(pflogsummUnits) == pflReceived[domain], "received from \(domain)", sourceLocation: sourceLocation)
        }
        let receivedOrder = received.values.sorted { $0.lexicographicallyPrecedes($1) }.reversed().map { $0.map(pflogsummUnits) }
        #expect(pfl.receivedDomains.map(\.fields) == Array(receivedOrder), "received order", sourceLocation: sourceLocation)
        let ourReceived = ours.receivedDomains.map { ($0.messages, $0.bytes) }
        #expect(zip(ourReceived, ourReceived.dropFirst()).allSatisfy { $0 >= $1 }, "spoolsweep's received order", sourceLocation: sourceLocation)
    }

    func bothSummaries(_ path: String) throws -> (ServerTotals, PflogsummReport) {
        let (summary, _) = try Spoolsweep.summary(InputSelection(paths: [path]), range: nil, top: 0)
        let ours = try #require(summary.serverTotals)
        #expect(ours.title == "Postfix totals (as pflogsumm counts them)")
        let output = try #require(shellOutput(pflogsummPath + " '" + path + "'"), "pflogsumm failed")
        let pfl = PflogsummReport(output)
        #expect(pfl.grand.count == Self.fields.count, "pflogsumm's Grand Totals not found:\n\(output)")
        return (ours, pfl)
    }

    // MARK: - The generated log

    /// What pflogsumm counts and spoolsweep deliberately does not.
    struct Differences {
        var reinjections = 0, reinjectedBytes = 0, handoffs = 0, handoffBytes = 0
        var reinjectedPerHour = [Int](repeating: 0, count: 24), handoffsPerHour = [Int](repeating: 0, count: 24)
        /// Per recipient domain: hand-offs pflogsumm counts as sent, their bytes, delays and max delay.
        var handoffsByDomain: [String: (count: Int, bytes: Int, delay: Double, maxDelay: Double)] = [:]
        /// Per sending domain: re-injections pflogsumm counts as received, and their bytes.
        var reinjectedBySenderDomain: [String: (count: Int, bytes: Int)] = [:]
    }

    /// A deterministic Postfix log: smtpd and pickup submissions, deliveries sent / deferred /
    /// bounced / expired, local and forwarded deliveries, NOQUEUE rejects and reject warnings,
    /// cleanup holds, discards and milter rejects, and a content filter that re-injects messages
    /// under a new queue id. One day (Nov 29), 10:20 to about 11:50. Recipient domains in mixed
    /// case, one never reachable (only deferrals), a bare local address; delays from 0.01 s to
    /// over an hour.
    struct LogGenerator {
        var lines: [String] = []
        var differences = Differences()
        private var seed: UInt32 = 20261129
        private var clock = 10 * 3600 + 20 * 60
        private var queueNumber: UInt64 = 0x3C1F2A0000

        static let senders = ["alice@Example.COM", "Alice@example.com", "bob@shop.example.net", "billing@Invoices.Example.org",
                              "news-1234@lists.example.co.uk", "carol@host.example.de", "dave@sub.mail.example.com"]
        static let clients = ["mail.example.com[192.0.2.10]", "unknown[198.51.100.7]", "smtp.out.example.co.uk[203.0.113.5]",
                              "relay.Example.NET[192.0.2.99]", "host.example.de[192.0.2.44]", "unknown[2001:db8::25]"]
        static let remote = ["u1@Dest.example", "U1@dest.example", "info@far-away.test", "sales@other.test",
                             "ops@Other.Test", "x@y.example.org", "team@lists.example.co.uk"]
        static let local = ["jane@mx1.example", "joe@MX1.example", "postmaster@mx1.example", "root"]
        /// Recipients of the content filter's messages only: their delays are multiples of 1/4.
        static let scanned = ["ann@Scanned.example", "bo@scanned.example", "cy@cf-two.test", "di@CF-Two.test"]
        static let unreachable = "nobody@Never-Up.example"

        /// pflogsumm's domain of an address: after the first "@", lower-cased.
        static func domain(_ address: String) -> String {
            guard let at = address.firstIndex(of: "@") else { return address }
            return String(address[address.index(after: at)...]).lowercased()
        }

        mutating func random(_ n: Int) -> Int {
            seed = seed &* 1_103_515_245 &+ 12345
            return Int(seed >> 16) % n
        }

        mutating func pick(_ list: [String]) -> String { list[random(list.count)] }

        var hour: Int { clock / 3600 }

        mutating func log(_ program: String, _ text: String) {
            clock += random(2)
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            lines.append("Nov 29 \(two(clock / 3600)):\(two(clock / 60 % 60)):\(two(clock % 60)) mx1 postfix/\(program)[\(3000 + random(90))]: \(text)")
        }

        mutating func newQueueID() -> String {
            queueNumber += UInt64(1 + random(9))
            return String(queueNumber, radix: 16, uppercase: true)
        }

        mutating func generate(messages: Int) {
            var filtered = 0
            for i in 0..<messages {
                clock += random(12)
                if i % 13 == 5 {
                    let client = pick(Self.clients)
                    log("smtpd", "NOQUEUE: reject: RCPT from \(client): 554 5.7.1 <x@relay.test>: Relay access denied; from=<\(pick(Self.senders))> to=<x@relay.test> proto=ESMTP helo=<h.test>")
                }
                if i % 41 == 7 {
                    log("smtpd", "NOQUEUE: reject_warning: RCPT from \(pick(Self.clients)): 450 4.7.1 <h>: Helo command rejected: Host not found; from=<a@b.test> to=<jane@mx1.example> proto=ESMTP helo=<h>")
                }
                let qid = newQueueID()
                let pickup = i % 9 == 4
                if pickup {
                    log("pickup", "\(qid): uid=33 from=<www-data>")
                } else {
                    log("smtpd", "connect from \(pick(Self.clients))")
                    log("smtpd", "\(qid): client=\(pick(Self.clients))" + (i % 3 == 0 ? ", sasl_method=LOGIN, sasl_username=alice" : ""))
                }
                log("cleanup", "\(qid): message-id=<\(i)@gen.test>")
                switch i % 37 {
                case 11:
                    log("cleanup", "\(qid): hold: header Subject: invoice from unknown[198.51.100.7]; from=<a@b.test> to=<jane@mx1.example> proto=ESMTP helo=<h>: Held")
                    continue
                case 23:
                    log("cleanup", "\(qid): discard: body spam from unknown[198.51.100.7]; from=<a@b.test> to=<jane@mx1.example> proto=ESMTP helo=<h>: Discarded")
                    continue
                case 30:
                    log("cleanup", "\(qid): milter-reject: END-OF-MESSAGE from unknown[198.51.100.7]: 5.7.1 Spam; from=<a@b.test> to=<jane@mx1.example> proto=ESMTP helo=<h>")
                    log("smtpd", "disconnect from unknown[198.51.100.7]")
                    continue
                default: break
                }
                let sender = pickup ? (i % 2 == 0 ? "www-data@mx1.example" : "www-data") : i % 17 == 2 ? "" : pick(Self.senders)
                let size = 400 + random(1500)
                let count = 1 + random(3)
                log("qmgr", "\(qid): from=<\(sender)>, size=\(size), nrcpt=\(count) (queue active)")
                if !pickup, !sender.isEmpty, i % 8 == 1 {
                    filtered += 1
                    contentFilter(qid, sender: sender, size: size, recipients: count, copyRemovedFirst: filtered == 3)
                    continue
                }
                var recipients: [String] = []
                while recipients.count < count {
                    let r = i % 10 == 3 && recipients.isEmpty ? Self.unreachable : random(4) == 0 ? pick(Self.local) : pick(Self.remote)
                    if !recipients.contains(r) { recipients.append(r) }
                }
                var expired = false, bounced = false
                for r in recipients {
                    let roll = r == Self.unreachable ? 75 : random(100)
                    if r.hasSuffix("mx1.example") || r.hasSuffix("MX1.example") || !r.contains("@") {
                        if roll < 20 {
                            let copy = newQueueID()
                            log("local", "\(qid): to=<\(r)>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (forwarded as \(copy))")
                            log("qmgr", "\(copy): from=<\(sender)>, size=\(size + 90), nrcpt=1 (queue active)")
                            log("smtp", "\(copy): to=<fwd@far-away.test>, relay=mx.far-away.test[192.0.2.81]:25, delay=0.4, delays=0/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4hZ9x2mKq)")
                            log("qmgr", "\(copy): removed")
                        } else {
                            let orig = roll < 40 ? "orig_to=<postmaster>, " : ""
                            log("local", "\(qid): to=<\(r)>, \(orig)relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered to mailbox)")
                        }
                    } else if roll < 55 {
                        let connUse = roll < 10 ? "conn_use=2, " : ""
                        let delay = random(3) == 0 ? "1.2" : "\(random(4)).\(random(10))\(random(10))"
                        log("smtp", "\(qid): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, \(connUse)delay=\(delay), delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9QxY7\(random(9))zz)")
                    } else if roll < 80 {
                        for _ in 0...random(3) {
                            let delay = random(5) == 0 ? "\(3600 + random(20000)).\(random(10))" : "\(30 + random(600))"
                            log("smtp", "\(qid): to=<\(r)>, relay=none, delay=\(delay), delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mx.dest.test[192.0.2.80]:25: Connection timed out)")
                            log("qmgr", "\(qid): from=<\(sender)>, size=\(size), nrcpt=\(count) (queue active)")
                        }
                        if roll < 68 {
                            log("smtp", "\(qid): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, delay=\(700 + random(3000)), delays=600/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)")
                        } else {
                            expired = true
                        }
                    } else {
                        log("smtp", "\(qid): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, status=bounced (host mx.dest.test[192.0.2.80] said: 550 5.1.1 <\(r)>: User unknown (in reply to RCPT TO command))")
                        bounced = true
                    }
                }
                if expired { log("qmgr", "\(qid): from=<\(sender)>, status=expired, returned to sender") }
                if (expired || bounced) && !sender.isEmpty {
                    let ndr = newQueueID()
                    log("bounce", "\(qid): sender non-delivery notification: \(ndr)")
                    log("cleanup", "\(ndr): message-id=<\(ndr)@mx1.example>")
                    log("qmgr", "\(ndr): from=<>, size=\(2000 + random(900)), nrcpt=1 (queue active)")
                    log("smtp", "\(ndr): to=<\(sender)>, relay=mx.back.test[192.0.2.90]:25, delay=0.3, delays=0/0/0.1/0.2, dsn=2.0.0, status=sent (250 OK)")
                    log("qmgr", "\(ndr): removed")
                }
                log("qmgr", "\(qid): removed")
                if !pickup { log("smtpd", "disconnect from unknown[198.51.100.7]") }
            }
        }

        /// A hands its message to a content filter on 127.0.0.1:10024, which re-injects it through
        /// the smtpd on 10025 as B; B is delivered. pflogsumm counts B's receipt and bytes again and
        /// each hand-off line as a delivery (with A's size).
        mutating func contentFilter(_ a: String, sender: String, size: Int, recipients count: Int, copyRemovedFirst: Bool) {
            var recipients: [String] = []
            while recipients.count < count {
                let r = pick(Self.scanned)
                if !recipients.contains(r) { recipients.append(r) }
            }
            let b = newQueueID()
            let copySize = size + 350
            log("smtpd", "connect from localhost[127.0.0.1]")
            log("smtpd", "\(b): client=localhost[127.0.0.1]")
            differences.reinjections += 1
            differences.reinjectedPerHour[hour] += 1
            differences.reinjectedBytes += copySize
            differences.reinjectedBySenderDomain[Self.domain(sender), default: (0, 0)].count += 1
            differences.reinjectedBySenderDomain[Self.domain(sender), default: (0, 0)].bytes += copySize
            log("cleanup", "\(b): message-id=<\(b)@gen.test>")
            log("qmgr", "\(b): from=<\(sender)>, size=\(copySize), nrcpt=\(count) (queue active)")
            func deliverCopy() {
                for r in recipients {
                    log("smtp", "\(b): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, delay=\([1.5, 0.25, 2.0][random(3)]), delays=0.1/0/0.4/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)")
                }
                log("qmgr", "\(b): removed")
            }
            if copyRemovedFirst { deliverCopy() }
            for r in recipients {
                let delay = [0.25, 0.5, 0.75, 3.0][random(4)]
                log("smtp", "\(a): to=<\(r)>, relay=127.0.0.1[127.0.0.1]:10024, delay=\(delay), delays=0.1/0/0/0.7, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as \(b))")
                differences.handoffs += 1
                differences.handoffsPerHour[hour] += 1
                differences.handoffBytes += size
                var h = differences.handoffsByDomain[Self.domain(r), default: (0, 0, 0, 0)]
                h.count += 1; h.bytes += size; h.delay += delay; h.maxDelay = max(h.maxDelay, delay)
                differences.handoffsByDomain[Self.domain(r)] = h
            }
            log("qmgr", "\(a): removed")
            log("smtpd", "disconnect from localhost[127.0.0.1]")
            if !copyRemovedFirst { deliverCopy() }
        }
    }
}

/// The two halves of an exact delay column: reading `delay=` as Perl does (correctly rounded, as
/// strtod), and printing as pflogsumm's `%5.1f` does (C's printf).
struct PflogsummDelayTests {
    /// `perlNumber` gives the double `Double(String)` (correctly rounded) gives.
    @Test func delayValuesAreReadExactly() {
        var texts = ["0", "700", "0.35", "0.1", "1.2", "0.07", "2515", ".5", "5.", "0.000001", "123456.789012345", "3600.5"]
        var seed: UInt64 = 11
        for _ in 0..<20000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let whole = Int(seed >> 44), decimals = Int(seed >> 40 & 7), fraction = Int(seed >> 8 & 0xFFFFFF)
            var f = String(fraction)
            f = String(f.prefix(decimals))
            texts.append(decimals == 0 ? "\(whole)" : "\(whole).\(f)")
        }
        for text in texts {
            let expected = Double(text.hasSuffix(".") ? text + "0" : text.hasPrefix(".") ? "0" + text : text)!
            let read = Array(text.utf8).withUnsafeBytes { PflogsummTotals.perlNumber($0) }
            if read != expected { #expect(read == expected, "\(text)"); return }
        }
        #expect(Array("1.25, relay".utf8).withUnsafeBytes { PflogsummTotals.perlNumber($0) } == 1.25)
        #expect(Array("abc".utf8).withUnsafeBytes { PflogsummTotals.perlNumber($0) } == 0)
    }
    /// `formatDelay` gives the digits C's `%.1f` gives (ties to even on the exact binary value).
    @Test func delayDigitsAreCs() {
        var values: [Double] = [0, 0.05, 0.15, 0.25, 0.35, 0.45, 2.45, 0.95, 59.95, 60, 60.000001, 3600, 3600.5, 1e7]
        for k in 0..<20000 { values.append(Double(k) / 100); values.append(Double(k) / 1000 + 0.0005) }
        var seed: UInt64 = 7
        for _ in 0..<20000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let n = 1 + Int(seed >> 60)
            values.append(Double(seed >> 40) / 100 / Double(n))
        }
        for v in values {
            let (x, unit) = v > 3600 ? (v / 3600, "h") : v > 60 ? (v / 60, "m") : (v, "s")
            var buffer = [CChar](repeating: 0, count: 64)
            _ = withVaList([x]) { vsnprintf(&buffer, 64, "%.1f", $0) }
            let c = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if formatDelay(v) != c + " " + unit { #expect(formatDelay(v) == c + " " + unit, "\(v)"); return }
        }
    }
}

// MARK: - pflogsumm's report

let pflogsummPath = "/usr/sbin/pflogsumm"

/// pflogsumm's "Grand Totals" (label → printed value, e.g. "1772k"), per-hour rows, and the rows
/// of its two Host/Domain tables as printed, in its order.
struct PflogsummReport {
    var grand: [String: String] = [:]
    var hours: [[String]] = []
    var perHourTitle = ""
    struct DomainRow {
        var domain: String
        /// Delivery: sent, bytes, defers, "avg dly unit", "max dly unit"; received: count, bytes.
        var fields: [String]
    }
    var deliveryDomains: [DomainRow] = []
    var receivedDomains: [DomainRow] = []

    init(_ output: String) {
        var section = ""
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("Grand Totals") || line.hasPrefix("Per-Hour Traffic") || line.hasPrefix("Per-Day") || line.hasPrefix("Host/Domain") {
                section = line
                if line.hasPrefix("Per-Hour") { perHourTitle = line.trimmingBlanks }
                continue
            }
            // The next title ends a Host/Domain table.
            if section.hasPrefix("Host/Domain"), let c = line.first, c.isLetter { section = "" }
            let tokens = line.split(separator: " ").map(String.init)
            guard let first = tokens.first, let c = first.first, c.isNumber else { continue }
            if section.hasPrefix("Grand Totals") {
                // " %6d%s  label" (+ " (N deferrals)", " (20%)")
                let label = tokens.dropFirst().prefix { !$0.hasPrefix("(") }.joined(separator: " ")
                grand[label] = first
                if label == "deferred" {
                    if let open = tokens.firstIndex(where: { $0.hasPrefix("(") }) {
                        grand["deferrals"] = String(tokens[open].dropFirst())
                    } else {
                        grand["deferrals"] = "0" // printed only when there are any
                    }
                }
            } else if section.hasPrefix("Per-Hour"), first.count == 9, first.contains("-"), tokens.count == 6 {
                hours.append(Array(tokens.dropFirst()))
            } else if section.hasPrefix("Host/Domain Summary: Message Delivery"), let (f, domain) = Self.split(line, 7) {
                // " %6d%s  %6d%s  %6d%s  %5.1f %s  %5.1f %s  %s"
                deliveryDomains.append(DomainRow(domain: domain, fields: Array(f[0..<3]) + [f[3] + " " + f[4], f[5] + " " + f[6]]))
            } else if section.hasPrefix("Host/Domain Summary: Messages Received"), let (f, domain) = Self.split(line, 2) {
                // " %6d%s  %6d%s  %s"
                receivedDomains.append(DomainRow(domain: domain, fields: f))
            }
        }
    }
}

extension PflogsummReport {
    /// The first `n` blank-separated fields of a row, and the rest after the blanks that follow
    /// them (the host/domain, which may be empty).
    static func split(_ line: String, _ n: Int) -> ([String], String)? {
        var rest = Substring(line)
        var fields: [String] = []
        for _ in 0..<n {
            rest = rest.drop { $0 == " " }
            let field = rest.prefix { $0 != " " }
            guard let c = field.first, c.isNumber || !fields.isEmpty else { return nil }
            fields.append(String(field))
            rest = rest.dropFirst(field.count)
        }
        guard rest.hasPrefix("  ") else { return nil }
        return (fields, String(rest.drop { $0 == " " }))
    }
}

/// An integer as pflogsumm prints it (`adj_int_units`): above 512k in k, above 512m in m.
func pflogsummUnits(_ v: Int) -> String {
    v > 536_870_912 ? "\(v / 1_048_576)m" : v > 524_288 ? "\(v / 1024)k" : "\(v)"
}

extension String {
    fileprivate var trimmingBlanks: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

private func readAll(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw SetupError("fopen \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    return out
}

/// Sets the file's mtime so that its local time is `t` (the year of classic syslog timestamps).
private func setModificationTime(_ path: String, _ t: LocalTime) {
    let offset = LocalTime(unixTime: 0).seconds
    var times = [timeval(tv_sec: Int(t.seconds - offset), tv_usec: 0), timeval(tv_sec: Int(t.seconds - offset), tv_usec: 0)]
    _ = utimes(path, &times)
}
