/// How a queued message is named in its server's facts, for `--history`.
public struct HistoryKeys: Sendable {
    /// The key of the accepted-message fact of the session or queue entry that received it.
    public var session: String?
    /// Its spool file's base name, as an accepted-message fact names it.
    public var spoolName: String?
    /// The key of its delivery facts, without an attempt suffix (`-N`).
    public var delivery: String
    public init(session: String?, spoolName: String?, delivery: String) {
        self.session = session; self.spoolName = spoolName; self.delivery = delivery
    }
}

/// `--history`: what the logs' facts say about each of some queued messages (keyed by
/// `QueuedMessage.id`): the session that received it, its delivery attempts and last outcome.
struct MessageHistorySink: MailFactSink {
    /// Whether delivery facts number their attempts (else one attempt is the delivery facts of
    /// one second).
    private let numbered: Bool
    /// Keys asked about, interned as written (Postfix's long queue ids differ by case); each
    /// id's messages.
    private var keys = ByteInterner(foldCase: false)
    private var bySession: [Int32: [String]] = [:], bySpoolName: [Int32: String] = [:], byDelivery: [Int32: [String]] = [:]
    private var lastAttemptSecond: [String: Int64] = [:]
    private(set) var history: [String: MessageHistory] = [:]

    init(_ messages: [QueuedMessage], keys of: (QueuedMessage) -> HistoryKeys, numbered: Bool) {
        self.numbered = numbered
        for m in messages {
            let k = of(m)
            if let s = k.session { bySession[keys.id(s), default: []].append(m.id) }
            if let s = k.spoolName { bySpoolName[keys.id(s)] = m.id }
            byDelivery[keys.id(k.delivery), default: []].append(m.id)
        }
    }

    mutating func take(_ fact: MailFact) {
        switch fact {
        case .accepted(let a):
            guard let id = keys.existingID(a.key), let ids = bySession[id] else { return }
            let session = a.key.printable
            for m in ids {
                // A queue entry (Postfix) is the message itself, not a session of its own.
                history[m, default: MessageHistory()].sessionID = session == m ? nil : session
                history[m]!.clientIP = a.clientIP.printable
                if let account = a.account { history[m]!.login = account.printable }
            }
            // The session's own message (SmarterMail names the spool file; Postfix's key is the message).
            let own = a.spoolName.flatMap { keys.existingID($0) }.flatMap { bySpoolName[$0] } ?? (a.spoolName == nil && ids.count == 1 ? ids[0] : nil)
            if let own { history[own, default: MessageHistory()].received = a.time }
        case .delivery(let d):
            guard let id = keys.existingID(d.key), let ids = byDelivery[id] else { return }
            for m in ids {
                var attempt = d.attempt
                if !numbered {
                    // One line per recipient per attempt: lines in the same second are one attempt.
                    attempt = (history[m]?.attempts ?? 0) + (lastAttemptSecond[m] == d.time.seconds ? 0 : 1)
                    lastAttemptSecond[m] = d.time.seconds
                }
                history[m, default: MessageHistory()].attempts = max(history[m]?.attempts ?? 0, attempt)
                history[m]!.lastOutcome = d.detail.printable
                history[m]!.lastAttempt = d.time
            }
        default: break
        }
    }
}
