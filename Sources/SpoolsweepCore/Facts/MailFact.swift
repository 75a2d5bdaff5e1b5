/// What the logs say, in the mail admin's words: the one vocabulary every dialect reader emits
/// and every consumer of log data (the ledger behind `summary` and `suspects`, `--history`, a
/// recorder for tests) takes. A reader knows nothing of its consumers; it hands each fact to a
/// `MailFactSink`, as ripgrep's searcher hands matches to a `Sink`.
///
/// Facts are borrowed: their bytes (addresses, IPs, words) point into the reader's line or its
/// own buffers and are valid only during the sink call, so emitting a fact allocates nothing.
/// `OwnedMailFact` is the copied form, for tests and export. Addresses are envelope addresses
/// as `EnvelopeAddress.normalised` leaves them (no angle brackets, no blanks); case is the log's.
public enum MailFact {
    /// The server took responsibility for a message (past DATA, or queued by a local submission).
    case accepted(AcceptedMessage)
    /// A client opened an SMTP connection (Postfix smtpd's `connect from`, Exim's `SMTP connection
    /// from` with log_selector `+smtp_connection`, a SmarterMail SMTP session's first line).
    case connection(ClientConnection)
    /// The server refused one recipient at RCPT TO.
    case recipientRejected(RecipientRejection)
    /// The server refused another command or connection (MAIL FROM, DATA, a policy check).
    case rejection(Rejection)
    /// One attempt to deliver a message to one recipient, local or remote.
    case delivery(DeliveryAttempt)
    /// A login over any protocol: SMTP AUTH, webmail, IMAP, POP...
    case login(LoginAttempt)
    /// The server's intrusion detection blocked an address.
    case securityBlock(SecurityBlockFact)
    /// A message left the queue (delivered to all, bounced or deleted).
    case removed(MessageRemoved)
    /// The facts that follow were logged by the host named, a server of the kind named
    /// (`postfix`...: event files of several servers read together); a reader of one server's own
    /// logs never says it, its facts are all one host's.
    case host(HostChange)

    /// When the log says it happened (a `host` fact has no time: the earliest time there is).
    public var time: LocalTime {
        switch self {
        case .host: return LocalTime(milliseconds: .min)
        case .accepted(let f): return f.time
        case .connection(let f): return f.time
        case .recipientRejected(let f): return f.time
        case .rejection(let f): return f.time
        case .delivery(let f): return f.time
        case .login(let f): return f.time
        case .securityBlock(let f): return f.time
        case .removed(let f): return f.time
        }
    }
}

/// Bytes of a fact, valid only during the sink call.
public typealias FactBytes = UnsafeRawBufferPointer

public struct AcceptedMessage {
    /// When the server last confirmed it (the final reply after DATA; Postfix: the `client=`
    /// or pickup line that began its queue entry).
    public var time: LocalTime
    /// The server's handle for it: the SMTP session id (SmarterMail), the queue id (Postfix).
    public var key: FactBytes
    /// The client's IP (Postfix pickup: `uid=N` of the local submitter).
    public var clientIP: FactBytes
    /// The account that authenticated, if any.
    public var account: FactBytes?
    /// The envelope sender (empty for the null sender `<>`, and when unknown).
    public var sender: FactBytes
    public var recipients: RecipientList
    public var size: Int
    /// How it came in, as the server names it (`SMTP`, `ESMTPA`, `pickup`...); empty when unknown.
    public var protocolName: FactBytes
    /// The spool file it was written to, by base name without extension, when the log names it.
    public var spoolName: FactBytes?
    /// The name the client gave in HELO/EHLO, when the log names it (client-chosen text).
    public var helo: FactBytes? = nil
    /// The message's Message-ID header, without angle brackets, when the log names it.
    public var messageID: FactBytes? = nil
    /// False when nothing names the envelope sender (a SmarterMail session logged below the
    /// Detailed level, unauthenticated, its `.hdr` gone): `sender` is empty, and is not the null
    /// sender `<>`.
    public var senderKnown = true
}

/// The recipients of an accepted message: slices of one buffer, in RCPT order.
public struct RecipientList: Sequence {
    let bytes: UnsafeRawBufferPointer
    /// Where each recipient ends in `bytes`; each begins where the one before ends.
    let ends: UnsafeBufferPointer<Int32>

    public var count: Int { ends.count }

    public struct Iterator: IteratorProtocol {
        let list: RecipientList
        var i = 0, start = 0
        public mutating func next() -> FactBytes? {
            guard i < list.ends.count else { return nil }
            let end = Int(list.ends[i])
            defer { start = end; i += 1 }
            return list.bytes.slice(start..<end)
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }
}

/// The recipients a reader gathers for one message until it reports it accepted: each once
/// (addresses compare without ASCII case), in the order first named.
struct RecipientBuffer {
    private var bytes: [UInt8] = []
    private var ends: [Int32] = []

    /// Adds `r` unless it is there already.
    mutating func add(_ r: UnsafeRawBufferPointer) {
        let known = bytes.withUnsafeBytes { all in
            var start = 0
            for end in ends {
                if equalIgnoringCase(all.slice(start..<Int(end)), r) { return true }
                start = Int(end)
            }
            return false
        }
        if !known { bytes.append(contentsOf: r); ends.append(Int32(bytes.count)) }
    }

    /// The recipients as a fact's list, valid during `body`.
    func withList<R>(_ body: (RecipientList) -> R) -> R {
        bytes.withUnsafeBytes { b in ends.withUnsafeBufferPointer { e in body(RecipientList(bytes: b, ends: e)) } }
    }
}

public struct ClientConnection {
    public var time: LocalTime
    public var clientIP: FactBytes
}

public struct RecipientRejection {
    public var time: LocalTime
    public var clientIP: FactBytes
    public var recipient: FactBytes
    /// The reply code; 5xx is permanent.
    public var code: Int
    /// The server's reply or reason, when the log gives it.
    public var reason: FactBytes? = nil
}

public struct Rejection {
    public var time: LocalTime
    public var clientIP: FactBytes
    /// The reply code when the log gives one (0: not given; the server refused for good).
    public var code: Int
    /// The server's reply or reason, when the log gives it.
    public var reason: FactBytes? = nil
    /// A refusal that stands (5xx, or no code given), as against a temporary 4xx one.
    public var isPermanent: Bool { code == 0 || code >= 500 }
}

public struct DeliveryAttempt {
    public var time: LocalTime
    /// The message's handle in the delivery log: SmarterMail's delivery id without its attempt
    /// suffix (`05313455` of `[05313455-2]`), the Postfix queue id, the Exim message id.
    public var key: FactBytes
    /// The envelope sender, when the reader knows it.
    public var sender: FactBytes?
    public var recipient: FactBytes
    /// Delivered into a local mailbox (not handed to another server).
    public var isLocal: Bool
    public var outcome: DeliveryClass
    /// The server's word for the outcome: `sent`, `deferred`, `bounced`, `Delivered`...
    public var word: FactBytes
    /// The whole outcome text with the reason, as the log wrote it (may equal `word`).
    public var detail: FactBytes
    /// The attempt number the log gives (SmarterMail's `-N`; 0 when none).
    public var attempt: Int
    /// The message's size, when the reader knows it at the delivery (Postfix: its `size=`).
    public var size: Int? = nil
}

public struct LoginAttempt {
    public var time: LocalTime
    public var ip: FactBytes
    /// `SMTP AUTH`, `Webmail`, `IMAP`, `POP`...
    public var protocolName: FactBytes
    /// The account that logged in; for a failure the name tried, where the log gives it (Exim's
    /// `set_id=`): not an account that exists.
    public var account: FactBytes?
    public var success: Bool
}

public struct SecurityBlockFact {
    public var time: LocalTime
    public var ip: FactBytes
    /// The rule that fired, e.g. `Password Brute Force by IP`.
    public var rule: FactBytes
}

public struct HostChange {
    public var name: FactBytes
    public var server: FactBytes
}

public struct MessageRemoved {
    public var time: LocalTime
    public var key: FactBytes
}

/// A consumer of facts. `take` is called once per fact, in the reader's order; the fact's bytes
/// are valid only during the call.
public protocol MailFactSink {
    mutating func take(_ fact: MailFact)
}

/// What a delivery attempt came to, for the counters.
public enum DeliveryClass: Int, Sendable, CaseIterable {
    case delivered, deferred, bounced

    /// `Delivered`, `sent` → delivered; `Deferred`, `Retry`, `temp...` → deferred; anything else → bounced.
    public static func of(outcome: UnsafeRawBufferPointer) -> DeliveryClass {
        if outcome.matchesIgnoringCase(deliveredWord) || outcome.matchesIgnoringCase(sentWord) { return .delivered }
        if outcome.matchesIgnoringCase(deferWord) || outcome.matchesIgnoringCase(retryWord)
            || outcome.matchesIgnoringCase(tempWord) { return .deferred }
        return .bounced
    }

    public var name: String {
        switch self {
        case .delivered: return "delivered"
        case .deferred: return "deferred"
        case .bounced: return "bounced"
        }
    }

    private static let deliveredWord: StaticString = "delivered", sentWord: StaticString = "sent"
    private static let deferWord: StaticString = "defer", retryWord: StaticString = "retry", tempWord: StaticString = "temp"
}
