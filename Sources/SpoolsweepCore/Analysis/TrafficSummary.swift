/// What the logs read cover, for a report's header: whether every log asked for could be read,
/// and, when the period asked for holds no line, the days the logs do cover.
public struct LogCoverage: Equatable, Sendable {
    /// Logs that could not be read to their end (`Diagnostics.logsUnreadable`).
    public var unreadable = 0
    public var days: ClosedRange<Int64>?

    public init() {}

    /// `2026-11-27 to 2026-11-28`, or one date.
    static func text(_ days: ClosedRange<Int64>) -> String {
        let (first, last) = (LocalTime(seconds: days.lowerBound * 86_400).dateString, LocalTime(seconds: days.upperBound * 86_400).dateString)
        return first == last ? first : "\(first) to \(last)"
    }
}

/// The daily traffic summary: what the server received, sent, delivered, deferred and refused,
/// in total, per day, per hour, per local domain and per local mailbox.
public struct TrafficSummary: Sendable {
    public struct Named: Equatable, Sendable {
        public let name: String
        public let count: Int
    }

    public struct DayRow: Sendable {
        public let date: String
        public let counts: TrafficCounts
    }

    public struct DomainRow: Sendable {
        public let domain: String
        public let traffic: DomainTraffic
    }

    public struct MailboxRow: Sendable {
        public let mailbox: String
        public let sent, sentRecipients, sentBytes, recipientDomains, received, receivedBytes: Int
    }

    /// The server dialect the logs came from.
    public let server: String
    /// The period asked for (nil: all the logs read), and the first and last entry seen.
    public let range: TimeRange?
    public let firstEntry: LocalTime?
    public let lastEntry: LocalTime?
    public var coverage: LogCoverage
    public let totals: TrafficCounts
    /// Remote delivery outcomes as the server wrote them, most frequent first.
    public let outcomes: [Named]
    public let failedLogins: [Named]
    public let days: [DayRow]
    /// Each host's totals, when the input named its hosts (event files); else empty.
    public let hosts: [(host: String, counts: TrafficCounts)]
    public let hours: [TrafficCounts]
    public let domains: [DomainRow]
    /// Local mailboxes, most messages sent first (at most `top`).
    public let mailboxes: [MailboxRow]
    public let mailboxCount: Int
    public let topSenders: [Named]
    public let topRecipients: [Named]
    public let top: Int
    /// The dialect's totals counted its reference tool's way (nil: none).
    public let serverTotals: ServerTotals?
    /// pflogsumm's detail sections from the facts (`--detail N`; nil: not asked for).
    public var details: SummaryDetails?

    /// Builds the summary of `ledger`; `top` limits the mailbox, sender and recipient lists (0: all).
    public init(ledger: MailLedger, server: String, top: Int) {
        self.server = server
        self.top = top
        range = ledger.range
        firstEntry = ledger.firstFact.milliseconds == .max ? nil : ledger.firstFact
        lastEntry = ledger.lastFact.milliseconds == .min ? nil : ledger.lastFact
        coverage = ledger.coverage
        totals = ledger.totals
        serverTotals = ledger.serverTotals
        outcomes = Self.ranked(ledger.outcomes.map { (ledger.outcomeNames.string($0.key), $0.value) }, top: 0)
        failedLogins = Self.ranked(ledger.failedLoginsByProtocol.map { ($0.key, $0.value) }, top: 0)
        days = ledger.days.keys.sorted().map { DayRow(date: LocalTime(seconds: $0 * 86_400).dateString, counts: ledger.days[$0]!) }
        hours = ledger.hours
        hosts = ledger.hostTotals
        domains = ledger.domainTraffic.map { DomainRow(domain: ledger.domains.string($0.key), traffic: $0.value) }
            .sorted { $0.domain < $1.domain }
        let allMailboxes = ledger.mailboxes.map { (id, m) in
            MailboxRow(mailbox: ledger.addresses.string(id), sent: m.sent, sentRecipients: m.sentRecipients,
                       sentBytes: m.sentBytes, recipientDomains: m.recipientDomains,
                       received: m.received, receivedBytes: m.receivedBytes)
        }.sorted { ($1.sent, $1.received, $0.mailbox) < ($0.sent, $0.received, $1.mailbox) }
        mailboxCount = allMailboxes.count
        mailboxes = top > 0 ? Array(allMailboxes.prefix(top)) : allMailboxes
        topSenders = ledger.topAddresses(ledger.envelopeSenderCounts, top: top)
            .map { Named(name: Self.addressName(ledger, $0.address), count: $0.count) }
        topRecipients = ledger.topAddresses(ledger.recipientCounts, top: top)
            .map { Named(name: Self.addressName(ledger, $0.address), count: $0.count) }
    }

    static func addressName(_ ledger: MailLedger, _ id: Int32) -> String {
        let s = ledger.addresses.string(id)
        return s.isEmpty ? "<>" : s
    }

    /// Most first, then by name; at most `top` (0: all).
    static func ranked(_ items: [(String, Int)], top: Int) -> [Named] {
        let sorted = items.sorted { ($1.1, $0.0) < ($0.1, $1.0) }.map { Named(name: $0.0, count: $0.1) }
        return top > 0 ? Array(sorted.prefix(top)) : sorted
    }
}
