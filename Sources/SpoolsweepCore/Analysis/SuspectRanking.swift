/// When a sender's evidence counts as crossing a line. The defaults follow the spirit of
/// SmarterMail's abuse-detection rules (Internal Spammer: N messages in M minutes; Password
/// Brute Force): an ordinary person does not do these things.
public struct SuspectThresholds: Equatable, Sendable {
    /// Messages in a sliding window (`--rate 50/10m`).
    public var rateCount = 50
    public var rateWindow: Int64 = 600
    /// Distinct recipient domains over the period.
    public var recipientDomains = 20
    /// Failed logins from one IP before a successful login from it.
    public var failedLogins = 3
    /// Distinct IPs an account logged in from.
    public var loginIPs = 3
    /// Share of remote delivery attempts deferred or bounced, in percent, over at least 10 attempts.
    public var deferralPercent = 30
    /// Share of messages with an envelope sender other than the account, in percent (and at least 5).
    public var forgedPercent = 10

    public init() {}

    /// Parses `N/DURATION`, e.g. `100/10m`, `500/1h`, `30/90s`.
    public mutating func setRate(_ text: String) throws(SpoolsweepError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), n > 0, let unit = parts[1].last, unit.isLetter,
              let w = parseDuration(String(parts[1])) else {
            throw .badValue("--rate: expected COUNT/DURATION with a unit (s, m, h, d, w) such as 100/10m, got '\(text)'")
        }
        guard w > 0 else { throw .badValue("--rate \(text): the window must be longer than 0") }
        rateCount = n
        rateWindow = w
    }

    var rateText: String { "\(rateCount)/\(formatDuration(rateWindow))" }
}

/// The longest duration an option takes: 100 years.
public let longestDuration: Int64 = 36_500 * 86_400

/// Parses `90s`, `10m`, `2h`, `3d`, `1w` (a bare number is seconds); nil when malformed,
/// negative or longer than `longestDuration`.
public func parseDuration(_ text: String) -> Int64? {
    guard let last = text.last else { return nil }
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    var number = Substring(text), unit: Int64 = 1
    if let u = units[Character(last.lowercased())] {
        number = number.dropLast()
        unit = u
    }
    guard number.first != "-", number.first != "+", let n = Int64(number) else { return nil }
    let (seconds, overflow) = n.multipliedReportingOverflow(by: unit)
    return overflow || seconds > longestDuration ? nil : seconds
}

/// `parseDuration`, or the error naming the option.
public func checkedDuration(_ text: String, _ option: String) throws(SpoolsweepError) -> Int64 {
    guard let d = parseDuration(text) else {
        throw .badValue("\(option): expected a duration such as 90s, 30m, 2h or 3d, up to 36500d, got '\(text)'")
    }
    return d
}

func formatDuration(_ s: Int64) -> String {
    if s % 86_400 == 0 { return "\(s / 86_400)d" }
    if s % 3600 == 0 { return "\(s / 3600)h" }
    if s % 60 == 0 { return "\(s / 60)m" }
    return "\(s)s"
}

/// Messages queued now for one sender.
public struct QueuedEvidence: Equatable, Sendable {
    public var messages = 0
    public var bytes = 0
    /// The most frequent subject among the queued messages read, and how many carry it.
    public var topSubject: String?
    public var topSubjectCount = 0
    /// The most frequent `X-PHP-Originating-Script` (`uid:script.php`, which PHP's mail() adds)
    /// among them, and how many carry it: a hacked contact form's fingerprint.
    public var topScript: String?
    public var topScriptCount = 0
}

/// One sender spoolsweep thinks may be spamming, with every piece of evidence.
public struct Suspect: Sendable {
    public enum Kind: String, Sendable {
        /// An authenticated mailbox (its credentials may be stolen).
        case account
        /// A client IP relaying without authentication (an auth-bypassed web server, say).
        case relayIP = "relay_ip"
    }

    public struct Reason: Equatable, Sendable {
        /// A stable key for scripts: rate, break_in, forged_sender, recipient_domains, deferrals, login_ips, relay, queued.
        public let code: String
        /// Whether this reason crosses a threshold (it adds to the score).
        public let crosses: Bool
        public let text: String
    }

    public let key: SenderKey
    public let kind: Kind
    public let name: String
    public let score: Int
    public let reasons: [Reason]
    public let messages, recipients, recipientDomains, peakInWindow: Int
    public let peakWindowStart: LocalTime
    public let loginIPs: [String]
    public let envelopeSenders: [TrafficSummary.Named]
    public let delivered, deferred, bounced: Int
    public let queued: QueuedEvidence
    /// The hosts it sent through, when the input named its hosts (event files); else empty.
    public let hosts: [String]
    /// The `spool list` command that selects this sender's queued messages.
    public let nextCommand: String
    /// Its messages per rate window, for the listed suspects (empty for the others).
    public internal(set) var activity = Activity()
    /// The failed logins that ended in a successful one, for an account.
    public internal(set) var breakIn: (at: LocalTime, failed: Int, ip: String)?

    /// Messages counted per `step` milliseconds from `start`.
    public struct Activity: Sendable {
        public var start = LocalTime(milliseconds: 0)
        public var step: Int64 = 600_000
        public var counts: [Int] = []

        /// Over sorted receipt times, windows of `window` seconds, widened to keep at most 288
        /// bars (two days of 10-minute windows).
        init(sortedTimes t: [Int64], window: Int64) {
            guard let first = t.first, let last = t.last, window > 0 else { return }
            var step = window * 1000
            while (last - first) / step >= 288 { step *= 2 }
            let origin = first - ((first % step) + step) % step
            start = LocalTime(milliseconds: origin)
            self.step = step
            counts = Array(repeating: 0, count: Int((last - origin) / step) + 1)
            for x in t { counts[Int((x - origin) / step)] += 1 }
        }

        init() {}
    }

    public var crossesThreshold: Bool { score > 0 }
}

/// Ranks authenticated accounts and unauthenticated relaying IPs by evidence.
public struct SuspectReport: Sendable {
    public let server: String
    public let range: TimeRange?
    public let firstEntry, lastEntry: LocalTime?
    public var coverage: LogCoverage
    public let thresholds: SuspectThresholds
    /// Every sender with at least one crossed threshold, highest score first (at most `top`).
    public let suspects: [Suspect]
    /// Senders seen that crossed no threshold.
    public let quietSenders: Int
    public let blocks: [(at: LocalTime, ip: String, rule: String)]
    /// The commands to run next.
    public let nextSteps: [String]

    static let weights = ["rate": 40, "break_in": 30, "forged_sender": 20, "recipient_domains": 15, "deferrals": 15, "login_ips": 10]

    /// - Parameters:
    ///   - queued: queued messages per sender (from the spool), if a spool was read.
    ///   - readQueued: fills in the dominant subject and PHP script of a sender's queued
    ///     messages; asked only for the suspects listed, since it means reading their headers.
    ///   - pathsText: the paths as the user typed them, for the suggested commands.
    public init(
        ledger: MailLedger, server: String, thresholds: SuspectThresholds,
        queued: [SenderKey: QueuedEvidence], readQueued: (SenderKey, inout QueuedEvidence) -> Void,
        top: Int, pathsText: String
    ) {
        self.server = server
        self.thresholds = thresholds
        range = ledger.range
        firstEntry = ledger.firstFact.milliseconds == .max ? nil : ledger.firstFact
        lastEntry = ledger.lastFact.milliseconds == .min ? nil : ledger.lastFact
        coverage = ledger.coverage
        blocks = ledger.blocks.map { ($0.at, ledger.ips.string($0.ip), $0.rule) }

        // Only the suspects listed are kept (a quiet sender's assessment is dropped at once).
        func rank(_ list: inout [Suspect]) {
            list.sort { ($1.score, $1.messages, $0.name) < ($0.score, $0.messages, $1.name) }
            if top > 0 && list.count > top { list.removeLast(list.count - top) }
        }
        var crossing: [Suspect] = []
        var quiet = 0
        for (key, e) in ledger.evidence {
            let s = Self.assess(key, e, ledger: ledger, thresholds: thresholds,
                                queued: queued[key] ?? QueuedEvidence(), pathsText: pathsText)
            if !s.crossesThreshold { quiet += 1; continue }
            crossing.append(s)
            if top > 0 && crossing.count >= 2 * top + 64 { rank(&crossing) }
        }
        rank(&crossing)
        quietSenders = quiet
        suspects = crossing.map { s in
            let e = ledger.evidence[s.key]!
            var listed = s
            if s.queued.messages > 0 {
                var q = s.queued
                readQueued(s.key, &q)
                listed = Self.assess(s.key, e, ledger: ledger, thresholds: thresholds, queued: q, pathsText: pathsText)
            }
            listed.activity = Suspect.Activity(sortedTimes: e.times, window: thresholds.rateWindow)
            if case .account(let id) = s.key, let b = ledger.breakIns[id] {
                listed.breakIn = (b.at, b.failedBefore, ledger.ips.string(b.ip))
            }
            return listed
        }
        nextSteps = suspects.map(\.nextCommand) + (suspects.isEmpty ? [] : ["spoolsweep spool shape \(pathsText)".trimmingTrailingSpace])
    }

    static func assess(
        _ key: SenderKey, _ e: SenderEvidence, ledger: MailLedger, thresholds th: SuspectThresholds,
        queued: QueuedEvidence, pathsText: String
    ) -> Suspect {
        var reasons: [Suspect.Reason] = []
        func add(_ code: String, _ crosses: Bool, _ text: String) {
            reasons.append(Suspect.Reason(code: code, crosses: crosses, text: text))
        }
        let kind: Suspect.Kind
        let name: String
        var loginIPs: [String] = []
        switch key {
        case .account(let id):
            kind = .account
            name = ledger.addresses.string(id)
        case .relayIP(let id):
            kind = .relayIP
            name = ledger.ips.string(id)
        }

        add("rate", e.peakInWindow >= th.rateCount,
            "\(counted(e.peakInWindow, "message")) in \(formatDuration(th.rateWindow)) from \(e.peakWindowStart) (threshold \(th.rateCount))")

        if case .account(let id) = key {
            if let b = ledger.breakIns[id] {
                let ip = ledger.ips.string(b.ip)
                var text = "\(counted(b.failedBefore, "failed login")) from \(ip), then a successful login from that IP at \(b.at)"
                if let block = ledger.blocks.first(where: { $0.ip == b.ip }) {
                    text += "; intrusion detection blocked \(ip) at \(block.at) (\(block.rule))"
                }
                add("break_in", b.failedBefore >= th.failedLogins, text)
            }
            let forged = e.envelopeSenders.filter { $0.key != id }
            let forgedCount = forged.values.reduce(0, +)
            if forgedCount > 0 {
                let list = TrafficSummary.ranked(forged.map { (TrafficSummary.addressName(ledger, $0.key), $0.value) }, top: 5)
                    .map { "\($0.name) (\($0.count))" }.joined(separator: ", ")
                add("forged_sender", forgedCount >= 5 && forgedCount * 100 >= e.messages * th.forgedPercent,
                    "\(forgedCount) of \(e.messages) messages with an envelope sender other than the account: \(list)")
            }
            loginIPs = (ledger.loginIPsByAccount[id]?.elements ?? []).map { ledger.ips.string($0) }.sorted()
            if !loginIPs.isEmpty {
                add("login_ips", loginIPs.count >= th.loginIPs,
                    "logged in from \(loginIPs.count) IP\(loginIPs.count == 1 ? "" : "s"): \(loginIPs.prefix(10).joined(separator: ", "))")
            }
        } else {
            let senders = TrafficSummary.ranked(e.envelopeSenders.map { (TrafficSummary.addressName(ledger, $0.key), $0.value) }, top: 5)
            add("relay", false, "relays without authentication (trusted or auth-bypassed IP), as "
                + senders.map { "\($0.name) (\($0.count))" }.joined(separator: ", "))
        }

        add("recipient_domains", e.recipientDomains >= th.recipientDomains,
            "\(counted(e.messages, "message")) to \(counted(e.recipients, "recipient")) in \(counted(e.recipientDomains, "domain")) (threshold \(th.recipientDomains) domains)")

        var delivered = 0, deferred = 0, bounced = 0
        for sender in e.envelopeSenders.keys {
            if let o = ledger.outcomesBySender[sender] {
                delivered += o.delivered; deferred += o.deferred; bounced += o.bounced
            }
        }
        let attempts = delivered + deferred + bounced
        if attempts > 0 {
            let percent = (deferred + bounced) * 100 / attempts
            add("deferrals", attempts >= 10 && percent >= th.deferralPercent,
                "\(percent)% of \(attempts) remote delivery attempts deferred or bounced (\(deferred) deferred, \(bounced) bounced; threshold \(th.deferralPercent)%)")
        }
        // Event files of several hosts: which ones it sent through.
        let hosts = ledger.hosts.count > 1 ? e.hosts.elements.map { ledger.hosts.string($0) }.sorted() : []
        if !hosts.isEmpty {
            add("hosts", false, "sent through \(counted(hosts.count, "host")): \(hosts.joined(separator: ", "))")
        }
        if queued.messages > 0 {
            var text = "\(queued.messages) message\(queued.messages == 1 ? "" : "s") queued now (\(formatBytes(queued.bytes)))"
            if let s = queued.topSubject { text += ", most with subject \"\(s)\" (\(queued.topSubjectCount))" }
            if let script = queued.topScript {
                text += "; \(queued.topScriptCount) sent by the PHP script \"\(script)\" (X-PHP-Originating-Script)"
            }
            add("queued", false, text)
        }

        let score = reasons.filter(\.crosses).reduce(0) { $0 + (weights[$1.code] ?? 0) }
        let selector = kind == .account ? "--auth" : "--ip"
        let next = "spoolsweep spool list \(selector) \(shellQuote("^" + pcreEscape(name) + "$")) \(pathsText)".trimmingTrailingSpace
        return Suspect(
            key: key, kind: kind, name: name, score: score, reasons: reasons.sorted { $0.crosses && !$1.crosses },
            messages: e.messages, recipients: e.recipients, recipientDomains: e.recipientDomains,
            peakInWindow: e.peakInWindow, peakWindowStart: e.peakWindowStart, loginIPs: loginIPs,
            envelopeSenders: TrafficSummary.ranked(e.envelopeSenders.map { (TrafficSummary.addressName(ledger, $0.key), $0.value) }, top: 0),
            delivered: delivered, deferred: deferred, bounced: bounced, queued: queued, hosts: hosts,
            nextCommand: next)
    }
}

/// A PCRE2 pattern matching `text` literally.
public func pcreEscape(_ text: String) -> String {
    var out = ""
    for c in text {
        if "\\^$.|?*+()[]{}/".contains(c) { out.append("\\") }
        out.append(c)
    }
    return out
}

/// `text` quoted for a POSIX shell when it needs quoting.
public func shellQuote(_ text: String) -> String {
    let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "@%+=:,./-_".contains($0)) }
    if safe && !text.isEmpty { return text }
    return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

extension String {
    var trimmingTrailingSpace: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
