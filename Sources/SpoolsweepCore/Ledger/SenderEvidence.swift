/// Who sent a message: an authenticated account, or a client IP relaying without authentication.
public enum SenderKey: Hashable, Sendable {
    case account(Int32)
    case relayIP(Int32)
}

/// Everything suspicious or telling about one sender.
public struct SenderEvidence: Sendable {
    public var messages = 0, recipients = 0
    /// How many distinct domains its recipients were in.
    public internal(set) var recipientDomains = 0
    /// Envelope senders used, with their message counts.
    public var envelopeSenders: [Int32: Int] = [:]
    public var firstSeen = LocalTime(milliseconds: .max), lastSeen = LocalTime(milliseconds: .min)
    /// The most messages in any window of the configured length, and where that window began
    /// (its first message's time). Set when the ledger is finished.
    public internal(set) var peakInWindow = 0
    public internal(set) var peakWindowStart = LocalTime(seconds: 0)
    /// When each of its messages was received, in the order they were reported (which is not
    /// time order: a reader reports a message when its session or queue entry ends).
    var times: [Int64] = []
    /// The hosts it sent through (ids of `MailLedger.hosts`).
    public internal(set) var hosts = IDSet()

    mutating func record(at t: LocalTime, sender: Int32, recipients: Int, host: Int32) {
        messages += 1
        hosts.insert(host)
        self.recipients += recipients
        envelopeSenders[sender, default: 0] += 1
        if t < firstSeen { firstSeen = t }
        if t > lastSeen { lastSeen = t }
        times.append(t.milliseconds)
    }

    /// Adds `other`'s messages, its envelope senders' ids mapped through `address`, its hosts'
    /// through `host`.
    mutating func add(_ other: SenderEvidence, address: (Int32) -> Int32, host: (Int32) -> Int32) {
        messages += other.messages
        for h in other.hosts.elements { hosts.insert(host(h)) }
        recipients += other.recipients
        for (s, n) in other.envelopeSenders { envelopeSenders[address(s), default: 0] += n }
        if other.firstSeen < firstSeen { firstSeen = other.firstSeen }
        if other.lastSeen > lastSeen { lastSeen = other.lastSeen }
        times += other.times
    }

    /// The peak over `window` milliseconds, from the receipt times however late each message
    /// was reported: the times are sorted, then a window slides over them.
    mutating func computePeak(window: Int64) {
        if !RateWindow.isSorted(times) { times.sort() }
        (peakInWindow, peakWindowStart) = RateWindow.peak(sortedTimes: times, window: window)
    }
}

/// The most messages within any sliding window of a sender's receipt times.
enum RateWindow {
    static func isSorted(_ t: [Int64]) -> Bool {
        var i = 1
        while i < t.count { if t[i] < t[i - 1] { return false }; i += 1 }
        return true
    }

    /// Over windows `(t - window, t]` ending at each time: the largest count and the earliest
    /// time inside the first window that reaches it.
    static func peak(sortedTimes t: [Int64], window: Int64) -> (Int, LocalTime) {
        var best = 0, start = LocalTime(seconds: 0), head = 0
        for j in t.indices {
            while t[head] <= t[j] - window { head += 1 }
            if j - head + 1 > best { best = j - head + 1; start = LocalTime(milliseconds: t[head]) }
        }
        return (best, start)
    }
}
