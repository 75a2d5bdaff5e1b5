/// How a received message entered the server.
public enum Direction: Int, Sendable {
    /// Unauthenticated, every recipient in a local domain.
    case inbound
    /// Sent by an authenticated mailbox (to anyone, local or remote).
    case authenticated
    /// Unauthenticated with a remote recipient: relayed for a trusted or auth-bypassed host.
    case relayed
}

/// What a delivery attempt came to, for the counters.
public enum DeliveryClass: Int, Sendable {
    case delivered, deferred, bounced

    /// `Delivered` → delivered; `Deferred`, `Retry`... → deferred; anything else → bounced.
    static func of(outcome: UnsafeRawBufferPointer) -> DeliveryClass {
        if outcome.matchesIgnoringCase(deliveredWord) || outcome.matchesIgnoringCase(sentWord) { return .delivered }
        if outcome.matchesIgnoringCase(deferWord) || outcome.matchesIgnoringCase(retryWord)
            || outcome.matchesIgnoringCase(tempWord) { return .deferred }
        return .bounced
    }

    private static let deliveredWord: StaticString = "delivered", sentWord: StaticString = "sent"
    private static let deferWord: StaticString = "defer", retryWord: StaticString = "retry", tempWord: StaticString = "temp"
}

/// Counters for one hour or one day.
public struct TrafficCounts: Equatable, Sendable {
    public var inbound = 0, authenticated = 0, relayed = 0, recipients = 0, bytes = 0
    public var localDeliveries = 0, delivered = 0, deferred = 0, bounced = 0
    public var rejected = 0, failedLogins = 0
    public init() {}
    public var messages: Int { inbound + authenticated + relayed }

    mutating func add(_ o: TrafficCounts) {
        inbound += o.inbound; authenticated += o.authenticated; relayed += o.relayed
        recipients += o.recipients; bytes += o.bytes; localDeliveries += o.localDeliveries
        delivered += o.delivered; deferred += o.deferred; bounced += o.bounced
        rejected += o.rejected; failedLogins += o.failedLogins
    }
}

/// Traffic of one local domain: mail addressed to it (in) and sent from it (out).
public struct DomainTraffic: Equatable, Sendable {
    public var inMessages = 0, inRecipients = 0, inBytes = 0
    public var outMessages = 0, outRecipients = 0, outBytes = 0

    mutating func addSent(recipients: Int, size: Int) {
        outMessages += 1; outRecipients += recipients; outBytes += size
    }

    mutating func addReceived(firstForMessage: Bool, size: Int) {
        inRecipients += 1
        if firstForMessage { inMessages += 1; inBytes += size }
    }
}

/// Traffic of one local mailbox.
public struct MailboxTraffic: Sendable {
    public var sent = 0, sentRecipients = 0, sentBytes = 0, received = 0, receivedBytes = 0
    /// The domains of the recipients of all it sent.
    public var recipientDomains = IDSet()
    /// Of those, the domains that only unauthenticated messages (with it as envelope sender) went
    /// to; the others are its account's. One set serves both figures.
    private var unauthenticatedOnly = IDSet()

    /// The distinct recipient domains of the messages its account sent, authenticated.
    public var authenticatedDomains: Int { recipientDomains.count - unauthenticatedOnly.count }

    mutating func addSent(recipients: [Int32], size: Int, authenticated: Bool, domainOf: [Int32]) {
        sent += 1; sentRecipients += recipients.count; sentBytes += size
        for r in recipients {
            let d = domainOf[Int(r)]
            if recipientDomains.insert(d) {
                if !authenticated { unauthenticatedOnly.insert(d) }
            } else if authenticated && unauthenticatedOnly.count > 0 {
                unauthenticatedOnly.remove(d)
            }
        }
    }

    mutating func addReceived(size: Int) { received += 1; receivedBytes += size }
}

/// Who sent a message: an authenticated account, or a client IP relaying without authentication.
public enum SenderKey: Hashable, Sendable {
    case account(Int32)
    case relayIP(Int32)
}

/// Everything suspicious or telling about one sender, gathered while reading.
public struct SenderEvidence: Sendable {
    public var messages = 0, recipients = 0
    /// How many distinct domains its recipients were in.
    public private(set) var recipientDomains = 0
    /// A relay IP's recipient domains (an account's are counted by its mailbox's traffic).
    private var relayDomains = IDSet()
    /// Envelope senders used, with their message counts.
    public var envelopeSenders: [Int32: Int] = [:]
    public var firstSeen = LocalTime(milliseconds: .max), lastSeen = LocalTime(milliseconds: .min)
    /// The most messages in any window of the configured length, and where that window began.
    public var peakInWindow = 0
    public var peakWindowStart = LocalTime(seconds: 0)
    fileprivate var window = TimeWindow()

    /// `accountDomains`: an account's recipient domains so far, from its mailbox's traffic; nil
    /// for a relay IP, whose domains are gathered here.
    fileprivate mutating func record(
        at t: LocalTime, sender: Int32, recipients: [Int32], window length: Int64, domainOf: [Int32], accountDomains: Int?
    ) {
        messages += 1
        self.recipients += recipients.count
        if let accountDomains {
            recipientDomains = accountDomains
        } else {
            for r in recipients { relayDomains.insert(domainOf[Int(r)]) }
            recipientDomains = relayDomains.count
        }
        envelopeSenders[sender, default: 0] += 1
        if t < firstSeen { firstSeen = t }
        if t > lastSeen { lastSeen = t }
        let (inWindow, oldest) = window.add(t.milliseconds, length: length * 1000)
        if inWindow > peakInWindow {
            peakInWindow = inWindow
            peakWindowStart = LocalTime(milliseconds: oldest)
        }
    }
}

/// Timestamps within a sliding window, oldest first.
struct TimeWindow: Sendable {
    private var times: [Int64] = []
    private var head = 0

    /// Adds `t` and returns how many times fall in `(t - length, t]` and the oldest of them.
    mutating func add(_ t: Int64, length: Int64) -> (count: Int, oldest: Int64) {
        times.append(t)
        while times[head] <= t - length { head += 1 }
        if head >= 64 && head * 2 > times.count { // keeps little more than the window
            times.removeFirst(head); head = 0
        }
        return (times.count - head, times[head])
    }
}

/// A login seen in any log: SMTP AUTH, webmail, IMAP, POP...
public struct LoginFacts: Sendable {
    public var failures = 0
    public var successes = 0
    public var lastFailure = LocalTime(seconds: 0)

    /// Counts an attempt; returns the failures so far.
    mutating func record(success: Bool, at t: LocalTime) -> Int {
        if success {
            successes += 1
        } else {
            failures += 1
            lastFailure = t
        }
        return failures
    }
}

/// Failed logins from one IP that ended in a successful login to an account.
public struct BreakIn: Sendable, Equatable {
    public let ip: Int32
    public let failedBefore: Int
    public let at: LocalTime
}

/// An address blocked by the server's intrusion detection.
public struct SecurityBlock: Sendable, Equatable {
    public let at: LocalTime
    public let ip: Int32
    public let rule: String
}

/// Totals a server dialect counts in its own reference tool's way (named counts in that tool's
/// order, and a per-hour table), shown beside spoolsweep's own.
public struct ServerTotals: Sendable, Equatable {
    public struct Count: Sendable, Equatable {
        public let name: String
        public let value: Int
        public init(_ name: String, _ value: Int) { self.name = name; self.value = value }
    }

    public var title: String
    public var counts: [Count]
    /// Column names of `hours`; `hours` has 24 rows, one value per column.
    public var hourColumns: [String]
    public var hours: [[Int]]
    /// How to read the counts, and where and why they differ from the reference tool's.
    public var notes: [String]
    /// Deliveries per recipient host/domain, most sent first (empty: the tool keeps none).
    public var deliveryDomains: [DeliveryDomain] = []
    /// Messages received per sending host/domain, most first (empty: the tool keeps none).
    public var receivedDomains: [ReceivedDomain] = []

    /// One recipient host/domain: messages delivered to it, their bytes, deferral lines, and the
    /// delays (seconds) the server logged: the sum over deliveries, the most over deliveries and
    /// deferrals.
    public struct DeliveryDomain: Sendable, Equatable {
        public let domain: String
        public let sent, bytes, deferrals: Int
        public let totalDelay, maxDelay: Double
        /// The mean delay of the deliveries (0 when none).
        public var averageDelay: Double { sent > 0 ? totalDelay / Double(sent) : 0 }
        public init(domain: String, sent: Int, bytes: Int, deferrals: Int, totalDelay: Double, maxDelay: Double) {
            self.domain = domain; self.sent = sent; self.bytes = bytes; self.deferrals = deferrals
            self.totalDelay = totalDelay; self.maxDelay = maxDelay
        }
    }

    /// One sending host/domain: messages received from it and their bytes.
    public struct ReceivedDomain: Sendable, Equatable {
        public let domain: String
        public let messages, bytes: Int
        public init(domain: String, messages: Int, bytes: Int) { self.domain = domain; self.messages = messages; self.bytes = bytes }
    }

    public init(title: String, counts: [Count], hourColumns: [String], hours: [[Int]], notes: [String] = []) {
        self.title = title; self.counts = counts; self.hourColumns = hourColumns; self.hours = hours; self.notes = notes
    }

    public subscript(name: String) -> Int? { counts.first { $0.name == name }?.value }
}

/// The one aggregate of a run's log facts. Dialect parsers feed it facts; the summary and the
/// suspect ranking are views of it. Every table is keyed by interned ids, so memory grows with
/// the number of distinct addresses, not with the size of the logs.
public struct MailLedger: Sendable {
    /// Only facts inside this range count (nil: everything).
    public var range: TimeRange?
    /// The sliding window for peak rates.
    public var rateWindow: Int64

    public var addresses = ByteInterner(foldCase: true)
    public var domains = ByteInterner(foldCase: true)
    public var ips = ByteInterner(foldCase: false)
    public var outcomeNames = ByteInterner(foldCase: false)
    private var domainOfAddress: [Int32] = []
    public private(set) var localDomains = IDSet()

    public private(set) var days: [Int64: TrafficCounts] = [:]
    public private(set) var hours = [TrafficCounts](repeating: TrafficCounts(), count: 24)
    public private(set) var outcomes: [Int32: Int] = [:]
    public private(set) var failedLoginsByProtocol: [String: Int] = [:]
    public private(set) var domainTraffic: [Int32: DomainTraffic] = [:]
    public private(set) var mailboxes: [Int32: MailboxTraffic] = [:]
    /// Messages per envelope sender and per recipient, indexed by address id (flat arrays: one
    /// counter per distinct address, however many there are).
    public private(set) var envelopeSenderCounts: [Int32] = []
    public private(set) var recipientCounts: [Int32] = []
    public private(set) var evidence: [SenderKey: SenderEvidence] = [:]
    /// Remote delivery outcomes per envelope sender.
    public private(set) var outcomesBySender: [Int32: (delivered: Int, deferred: Int, bounced: Int)] = [:]
    public private(set) var logins: [Int32: LoginFacts] = [:]
    public private(set) var loginIPsByAccount: [Int32: Set<Int32>] = [:]
    public private(set) var breakIns: [Int32: BreakIn] = [:]
    public private(set) var blocks: [SecurityBlock] = []
    /// The local domains of the message being counted (kept to reuse its storage).
    private var seenDomains: [Int32] = []
    /// The dialect's own totals, when it keeps any (nil: none).
    public var serverTotals: ServerTotals?
    /// Earliest and latest fact time, for the report header.
    public private(set) var firstFact = LocalTime(milliseconds: .max), lastFact = LocalTime(milliseconds: .min)

    public init(range: TimeRange? = nil, rateWindow: Int64 = 600) {
        self.range = range
        self.rateWindow = rateWindow
    }

    // MARK: - Addresses and domains

    /// The id of an address (case-folded, angle brackets and blanks removed).
    public mutating func address(_ raw: UnsafeRawBufferPointer) -> Int32 {
        var a = raw.trimmed
        if a.count >= 2, a[0] == 0x3C, a[a.count - 1] == 0x3E { a = a.slice(1..<(a.count - 1)) }
        let id = addresses.id(a)
        if Int(id) >= domainOfAddress.count {
            let at = a.lastIndex(of: 0x40).map { $0 + 1 } ?? a.count
            domainOfAddress.append(domains.id(a.slice(at..<a.count)))
        }
        return id
    }

    public mutating func address(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { address(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) public func domain(ofAddress id: Int32) -> Int32 { domainOfAddress[Int(id)] }

    public func isLocal(address id: Int32) -> Bool { localDomains.contains(domainOfAddress[Int(id)]) }

    /// Marks the domain of `address` as one this server hosts.
    public mutating func noteLocal(address id: Int32) { localDomains.insert(domainOfAddress[Int(id)]) }

    public mutating func noteLocal(domain: String) {
        var d = domain
        let id = d.withUTF8 { domains.id(UnsafeRawBufferPointer($0)) }
        localDomains.insert(id)
    }

    public mutating func ip(_ raw: UnsafeRawBufferPointer) -> Int32 { ips.id(raw) }

    // MARK: - Facts

    @inline(__always) private mutating func admit(_ t: LocalTime) -> Bool {
        if let range, !range.contains(t) { return false }
        if t < firstFact { firstFact = t }
        if t > lastFact { lastFact = t }
        return true
    }

    private mutating func count(_ t: LocalTime, _ update: (inout TrafficCounts) -> Void) {
        update(&days[t.day, default: TrafficCounts()])
        update(&hours[t.hour])
    }

    /// A message the server accepted (past DATA).
    public mutating func message(
        at t: LocalTime, clientIP: Int32, account: Int32?, sender: Int32, recipients: [Int32], size: Int
    ) {
        guard admit(t) else { return }
        if let account { noteLocal(address: account) }
        let direction: Direction
        if account != nil {
            direction = .authenticated
        } else if recipients.contains(where: { !isLocal(address: $0) }) {
            direction = .relayed
        } else {
            direction = .inbound
        }
        count(t) { c in
            switch direction {
            case .inbound: c.inbound += 1
            case .authenticated: c.authenticated += 1
            case .relayed: c.relayed += 1
            }
            c.recipients += recipients.count
            c.bytes += size
        }
        MailLedger.bump(&envelopeSenderCounts, sender)

        // The mailbox that sent it: the account when authenticated, else the envelope sender.
        let mailbox = account ?? sender
        let mailboxDomain = domain(ofAddress: mailbox)
        let domainOf = domainOfAddress
        if localDomains.contains(mailboxDomain) {
            domainTraffic[mailboxDomain, default: DomainTraffic()].addSent(recipients: recipients.count, size: size)
            mailboxes[mailbox, default: MailboxTraffic()].addSent(
                recipients: recipients, size: size, authenticated: account != nil, domainOf: domainOf)
        }
        seenDomains.removeAll(keepingCapacity: true)
        for r in recipients {
            MailLedger.bump(&recipientCounts, r)
            let d = domainOf[Int(r)]
            guard localDomains.contains(d) else { continue }
            mailboxes[r, default: MailboxTraffic()].addReceived(size: size)
            let first = !seenDomains.contains(d)
            if first { seenDomains.append(d) }
            domainTraffic[d, default: DomainTraffic()].addReceived(firstForMessage: first, size: size)
        }

        let key: SenderKey
        switch direction {
        case .inbound: return
        case .authenticated: key = .account(account!)
        case .relayed: key = .relayIP(clientIP)
        }
        // Mutated in place: a copy would duplicate the sender's sets on every message.
        evidence[key, default: SenderEvidence()].record(
            at: t, sender: sender, recipients: recipients, window: rateWindow, domainOf: domainOf,
            accountDomains: account.map { mailboxes[$0]?.authenticatedDomains ?? 0 })
    }

    /// A delivery attempt: local, or remote with the server's outcome word.
    public mutating func delivery(
        at t: LocalTime, sender: Int32?, recipient: Int32, local: Bool, outcome: UnsafeRawBufferPointer
    ) {
        guard admit(t) else { return }
        if local {
            noteLocal(address: recipient)
            count(t) { $0.localDeliveries += 1 }
            return
        }
        outcomes[outcomeNames.id(outcome), default: 0] += 1
        let cls = DeliveryClass.of(outcome: outcome)
        count(t) { c in
            switch cls {
            case .delivered: c.delivered += 1
            case .deferred: c.deferred += 1
            case .bounced: c.bounced += 1
            }
        }
        if let sender {
            // Counted in place: one lookup.
            switch cls {
            case .delivered: outcomesBySender[sender, default: (0, 0, 0)].delivered += 1
            case .deferred: outcomesBySender[sender, default: (0, 0, 0)].deferred += 1
            case .bounced: outcomesBySender[sender, default: (0, 0, 0)].bounced += 1
            }
        }
    }

    /// A command the server refused with a permanent (5xx) reply.
    public mutating func rejection(at t: LocalTime) {
        guard admit(t) else { return }
        count(t) { $0.rejected += 1 }
    }

    /// A login attempt over any protocol.
    public mutating func login(at t: LocalTime, ip: Int32, protocol proto: String, account: Int32?, success: Bool) {
        guard admit(t) else { return }
        let failures = logins[ip, default: LoginFacts()].record(success: success, at: t) // in place: one lookup
        if success {
            if let account {
                noteLocal(address: account)
                loginIPsByAccount[account, default: []].insert(ip)
                // Keep the strongest: the most failures from one IP before a success.
                if failures > 0, failures > (breakIns[account]?.failedBefore ?? 0) {
                    breakIns[account] = BreakIn(ip: ip, failedBefore: failures, at: t)
                }
            }
        } else {
            failedLoginsByProtocol[proto, default: 0] += 1
            count(t) { $0.failedLogins += 1 }
        }
    }

    /// An IP the server's intrusion detection blocked.
    public mutating func block(at t: LocalTime, ip: Int32, rule: String) {
        guard admit(t) else { return }
        blocks.append(SecurityBlock(at: t, ip: ip, rule: rule))
    }

    @inline(__always) private static func bump(_ counts: inout [Int32], _ id: Int32) {
        let i = Int(id)
        if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i + 1 - counts.count)) }
        counts[i] &+= 1
    }

    /// The `top` addresses with the highest counts (0: all), most first, ties in address order;
    /// only the winners are turned into strings.
    public func topAddresses(_ counts: [Int32], top: Int) -> [(address: Int32, count: Int)] {
        let before = { (a: Int32, b: Int32) -> Bool in
            let ca = counts[Int(a)], cb = counts[Int(b)]
            if ca != cb { return ca > cb }
            return addresses.withBytes(a) { x in addresses.withBytes(b) { y in x.lexicographicallyPrecedes(y) } }
        }
        let seen = counts.indices.lazy.filter { counts[$0] > 0 }.map { Int32($0) }
        guard top > 0 else { return seen.sorted(by: before).map { ($0, Int(counts[Int($0)])) } }
        // Keep the best `top` in order; most candidates lose to the worst kept at once.
        var best: [Int32] = []
        for candidate in seen {
            if best.count == top {
                guard before(candidate, best[top - 1]) else { continue }
                best.removeLast()
            }
            best.insert(candidate, at: best.firstIndex { before(candidate, $0) } ?? best.count)
        }
        return best.map { ($0, Int(counts[Int($0)])) }
    }

    /// Totals over every day read.
    public var totals: TrafficCounts {
        var all = TrafficCounts()
        for c in days.values { all.add(c) }
        return all
    }
}

extension UnsafeRawBufferPointer {
    func lastIndex(of byte: UInt8) -> Int? {
        var i = count - 1
        while i >= 0 { if self[i] == byte { return i }; i -= 1 }
        return nil
    }
}
