import Glibc
import Testing
@testable import SpoolsweepCore

/// `spoolsweep summary`'s "Postfix totals (as pflogsumm counts them)" against the real pflogsumm
/// (Debian's `pflogsumm` 1.1.5, /usr/sbin/pflogsumm), run on the corpus log and on a generated
/// one. Every grand total and every per-hour cell must be the same, except where pflogsumm is
/// known to be wrong: a message re-injected by a content filter, which pflogsumm counts twice
/// (received, bytes received) and whose hand-off to the filter it counts as a delivery
/// (delivered, bytes delivered). Those differences are computed by the generator and checked
/// exactly.
@Suite(.enabled(if: access(pflogsummPath, X_OK) == 0,
                "SKIPPED: /usr/sbin/pflogsumm is not installed (apt-get install pflogsumm); pflogsumm parity not checked"))
struct PflogsummParityTests {
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

    func bothSummaries(_ path: String) throws -> (ServerTotals, PflogsummReport) {
        let (summary, _) = try Spoolsweep.summary(InputSelection(paths: [path]), range: nil, top: 0)
        let ours = try #require(summary.serverTotals)
        #expect(ours.title == "Postfix totals (as pflogsumm counts them)")
        let output = try #require(run(pflogsummPath + " '" + path + "'"), "pflogsumm failed")
        let pfl = PflogsummReport(output)
        #expect(pfl.grand.count == Self.fields.count, "pflogsumm's Grand Totals not found:\n\(output)")
        return (ours, pfl)
    }

    // MARK: - The generated log

    /// What pflogsumm counts and spoolsweep deliberately does not.
    struct Differences {
        var reinjections = 0, reinjectedBytes = 0, handoffs = 0, handoffBytes = 0
        var reinjectedPerHour = [Int](repeating: 0, count: 24), handoffsPerHour = [Int](repeating: 0, count: 24)
    }

    /// A deterministic Postfix log: smtpd and pickup submissions, deliveries sent / deferred /
    /// bounced / expired, local and forwarded deliveries, NOQUEUE rejects and reject warnings,
    /// cleanup holds, discards and milter rejects, and a content filter that re-injects messages
    /// under a new queue id. One day (Nov 29), 10:20 to about 11:50.
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
        static let local = ["jane@mx1.example", "joe@MX1.example", "postmaster@mx1.example"]

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
                let sender = pickup ? "www-data@mx1.example" : i % 17 == 2 ? "" : pick(Self.senders)
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
                    let r = random(4) == 0 ? pick(Self.local) : pick(Self.remote)
                    if !recipients.contains(r) { recipients.append(r) }
                }
                var expired = false, bounced = false
                for r in recipients {
                    let roll = random(100)
                    if r.hasSuffix("mx1.example") || r.hasSuffix("MX1.example") {
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
                        log("smtp", "\(qid): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, \(connUse)delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9QxY7\(random(9))zz)")
                    } else if roll < 80 {
                        for _ in 0...random(3) {
                            log("smtp", "\(qid): to=<\(r)>, relay=none, delay=\(30 + random(600)), delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mx.dest.test[192.0.2.80]:25: Connection timed out)")
                            log("qmgr", "\(qid): from=<\(sender)>, size=\(size), nrcpt=\(count) (queue active)")
                        }
                        if roll < 68 {
                            log("smtp", "\(qid): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, delay=700, delays=600/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)")
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
                let r = pick(Self.remote)
                if !recipients.contains(r) { recipients.append(r) }
            }
            let b = newQueueID()
            let copySize = size + 350
            log("smtpd", "connect from localhost[127.0.0.1]")
            log("smtpd", "\(b): client=localhost[127.0.0.1]")
            differences.reinjections += 1
            differences.reinjectedPerHour[hour] += 1
            differences.reinjectedBytes += copySize
            log("cleanup", "\(b): message-id=<\(b)@gen.test>")
            log("qmgr", "\(b): from=<\(sender)>, size=\(copySize), nrcpt=\(count) (queue active)")
            func deliverCopy() {
                for r in recipients {
                    log("smtp", "\(b): to=<\(r)>, relay=mx.dest.test[192.0.2.80]:25, delay=0.9, delays=0.1/0/0.4/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)")
                }
                log("qmgr", "\(b): removed")
            }
            if copyRemovedFirst { deliverCopy() }
            for r in recipients {
                log("smtp", "\(a): to=<\(r)>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.8, delays=0.1/0/0/0.7, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as \(b))")
                differences.handoffs += 1
                differences.handoffsPerHour[hour] += 1
                differences.handoffBytes += size
            }
            log("qmgr", "\(a): removed")
            log("smtpd", "disconnect from localhost[127.0.0.1]")
            if !copyRemovedFirst { deliverCopy() }
        }
    }
}

// MARK: - pflogsumm's report

let pflogsummPath = "/usr/sbin/pflogsumm"

/// pflogsumm's "Grand Totals" (label → printed value, e.g. "1772k") and per-hour rows.
struct PflogsummReport {
    var grand: [String: String] = [:]
    var hours: [[String]] = []
    var perHourTitle = ""

    init(_ output: String) {
        var section = ""
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("Grand Totals") || line.hasPrefix("Per-Hour Traffic") || line.hasPrefix("Per-Day") || line.hasPrefix("Host/Domain") {
                section = line
                if line.hasPrefix("Per-Hour") { perHourTitle = line.trimmingBlanks }
                continue
            }
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
            }
        }
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

/// `<repo>`, found from this file's path (<repo>/Tests/SpoolsweepCoreTests/Dialects/Postfix/).
private let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(5)
    return parts.joined(separator: "/")
}()

/// A command's standard output, or nil when it fails.
private func run(_ command: String) -> String? {
    guard let pipe = popen(command + " 2>/dev/null", "r") else { return nil }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    guard pclose(pipe) == 0 else { return nil }
    return String(decoding: out, as: UTF8.self)
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
