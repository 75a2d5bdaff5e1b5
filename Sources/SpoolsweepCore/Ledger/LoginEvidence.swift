/// Logins from one IP, over any protocol: SMTP AUTH, webmail, IMAP, POP...
public struct LoginFacts: Sendable {
    public var failures = 0
    public var successes = 0
    public var lastFailure = LocalTime(milliseconds: .min)

    /// Counts an attempt; returns the failures so far.
    mutating func record(success: Bool, at t: LocalTime) -> Int {
        if success {
            successes += 1
        } else {
            failures += 1
            if t > lastFailure { lastFailure = t }
        }
        return failures
    }

    mutating func add(_ o: LoginFacts) {
        failures += o.failures
        successes += o.successes
        if o.lastFailure > lastFailure { lastFailure = o.lastFailure }
    }
}

/// Failed logins from one IP that ended in a successful login to an account.
public struct BreakIn: Sendable, Equatable {
    public let ip: Int32
    /// Failures from that IP reported before the success.
    public let failedBefore: Int
    public let at: LocalTime

    /// The stronger of two: more failures before the success; on a tie the earlier success,
    /// then the lower IP id, so that the choice never depends on the reading order.
    func isStronger(than other: BreakIn, ipName: (Int32) -> String) -> Bool {
        if failedBefore != other.failedBefore { return failedBefore > other.failedBefore }
        if at != other.at { return at < other.at }
        return ipName(ip) < ipName(other.ip)
    }
}

/// An address blocked by the server's intrusion detection.
public struct SecurityBlock: Sendable, Equatable {
    public let at: LocalTime
    public let ip: Int32
    public let rule: String
}

/// A success from one IP to one account: the failures from that IP reported before it, and its
/// time (milliseconds).
struct Success: Sendable {
    var failedBefore: Int32
    var at: Int64
}

/// The first success of an account from an IP (16 bytes).
struct FirstSuccess: Sendable {
    var account: Int32, ip: Int32
    var at: Int64
}
