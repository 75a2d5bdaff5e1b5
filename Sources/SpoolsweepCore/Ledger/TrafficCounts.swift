/// How a received message entered the server.
public enum Direction: Int, Sendable {
    /// Unauthenticated, every recipient in a local domain.
    case inbound
    /// Sent by an authenticated mailbox (to anyone, local or remote).
    case authenticated
    /// Unauthenticated with a remote recipient: relayed for a trusted or auth-bypassed host.
    case relayed
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
        recipients += o.recipients; bytes &+= o.bytes; localDeliveries += o.localDeliveries
        delivered += o.delivered; deferred += o.deferred; bounced += o.bounced
        rejected += o.rejected; failedLogins += o.failedLogins
    }

    mutating func add(_ direction: Direction) {
        switch direction {
        case .inbound: inbound += 1
        case .authenticated: authenticated += 1
        case .relayed: relayed += 1
        }
    }

    mutating func add(_ outcome: DeliveryClass) {
        switch outcome {
        case .delivered: delivered += 1
        case .deferred: deferred += 1
        case .bounced: bounced += 1
        }
    }
}

/// Counters per day and per hour of the day.
struct DayHourCounts: Sendable {
    private(set) var days: [Int64: TrafficCounts] = [:]
    private(set) var hours = [TrafficCounts](repeating: TrafficCounts(), count: 24)

    @inline(__always) mutating func count(_ t: LocalTime, _ update: (inout TrafficCounts) -> Void) {
        update(&days[t.day, default: TrafficCounts()])
        update(&hours[t.hour])
    }

    mutating func add(_ other: DayHourCounts) {
        for (day, c) in other.days { days[day, default: TrafficCounts()].add(c) }
        for h in 0..<24 { hours[h].add(other.hours[h]) }
    }
}

/// Traffic of one local domain: mail addressed to it (in) and sent from it (out).
public struct DomainTraffic: Equatable, Sendable {
    public var inMessages = 0, inRecipients = 0, inBytes = 0
    public var outMessages = 0, outRecipients = 0, outBytes = 0

    mutating func addSent(recipients: Int, size: Int) {
        outMessages += 1; outRecipients += recipients; outBytes &+= size
    }

    mutating func addReceived(firstForMessage: Bool, size: Int) {
        inRecipients += 1
        if firstForMessage { inMessages += 1; inBytes &+= size }
    }

    mutating func add(_ o: DomainTraffic) {
        inMessages += o.inMessages; inRecipients += o.inRecipients; inBytes &+= o.inBytes
        outMessages += o.outMessages; outRecipients += o.outRecipients; outBytes &+= o.outBytes
    }
}

/// What one mailbox sent (as the authenticated account, or as the envelope sender of
/// unauthenticated mail).
public struct SentTraffic: Equatable, Sendable {
    public var messages = 0, recipients = 0, bytes = 0

    mutating func add(_ o: SentTraffic) { messages += o.messages; recipients += o.recipients; bytes &+= o.bytes }
}

/// The distinct recipient domains one mailbox's messages reached: all of them, and of those the
/// ones only its unauthenticated messages reached (the rest are its account's).
struct MailboxDomains: Sendable {
    var all = IDSet(), unauthenticatedOnly = IDSet()

    var authenticatedCount: Int { all.count - unauthenticatedOnly.count }

    mutating func add(_ d: Int32, authenticated: Bool) {
        if all.insert(d) {
            if !authenticated { unauthenticatedOnly.insert(d) }
        } else if authenticated && unauthenticatedOnly.count > 0 {
            unauthenticatedOnly.remove(d)
        }
    }

    mutating func add(_ domains: [Int32], authenticated: Bool) {
        for d in domains { add(d, authenticated: authenticated) }
    }

    /// Adds another ledger's sets, its domain ids mapped through `domain`.
    mutating func add(_ o: MailboxDomains, domain: [Int32]) {
        for d in o.all.elements { add(domain[Int(d)], authenticated: !o.unauthenticatedOnly.contains(d)) }
    }
}

/// Traffic of one local mailbox.
public struct MailboxTraffic: Equatable, Sendable {
    public var sent = 0, sentRecipients = 0, sentBytes = 0, received = 0, receivedBytes = 0
    /// The distinct domains of the recipients of all it sent.
    public var recipientDomains = 0

    mutating func add(sent s: SentTraffic) { sent += s.messages; sentRecipients += s.recipients; sentBytes &+= s.bytes }
}
