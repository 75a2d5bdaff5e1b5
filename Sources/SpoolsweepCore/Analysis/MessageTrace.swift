/// What `trace` looks for, from the text the user gave: `<id@host>` is a Message-ID, a text with
/// `@` an envelope address (as sender, recipient or login), anything else a server's id for a
/// message (Postfix queue id, Exim message id, SmarterMail spool name, delivery id or SMTP
/// session id).
public enum TraceQuery: Equatable, Sendable {
    case id(String)
    case messageID(String)
    case address(String)

    public init(_ text: String) throws(SpoolsweepError) {
        let t = String(decoding: Array(text.utf8).withUnsafeBytes { Array($0.trimmed) }, as: UTF8.self)
        guard !t.isEmpty, t.utf8.count <= 998, !t.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .badValue("trace: expected a queue id, a <Message-ID> or an address, got '\(text)'")
        }
        if t.hasPrefix("<") {
            guard t.hasSuffix(">"), t.utf8.count > 2 else { throw .badValue("trace: a Message-ID ends with '>': '\(text)'") }
            self = .messageID(String(t.dropFirst().dropLast()))
        } else if t.contains("@") {
            self = .address(t)
        } else {
            guard t.utf8.allSatisfy({ isDigit($0) || isLetter($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }), t.utf8.count <= 64 else {
                throw .badValue("trace: '\(text)' is neither an id (letters, digits, - _ .), a <Message-ID> nor an address")
            }
            self = .id(t)
        }
    }

    /// The kind, as the JSON report names it.
    public var kind: String {
        switch self {
        case .id: return "id"
        case .messageID: return "message_id"
        case .address: return "address"
        }
    }

    public var text: String {
        switch self {
        case .id(let s), .address(let s): return s
        case .messageID(let s): return "<\(s)>"
        }
    }

    /// Whether a queued message (or a journaled one: its envelope as recorded) is what this asks for.
    func matches(id: String, sessionID: String?, sender: String, account: String?, recipients: [String], deliveryKey: String) -> Bool {
        switch self {
        case .id(let q): return id == q || sessionID == q || deliveryKey == q
        case .messageID: return false
        case .address(let a):
            let a = a.lowercased()
            return sender.lowercased() == a || account?.lowercased() == a || recipients.contains { $0.lowercased() == a }
        }
    }
}

/// One message's story as the logs, the spool and the quarantine tell it.
public struct MessageStory: Equatable, Sendable {
    /// The server's name for it: the spool name (SmarterMail), the queue id (Postfix), the message
    /// id (Exim); for a SmarterMail message known only from the delivery log, its delivery id.
    public let id: String
    public var received: Receipt?
    public var deliveries: [Delivery] = []
    /// Delivery lines past `TraceSink.deliveriesKept`, counted and not kept.
    public var deliveriesNotShown = 0
    /// When it left the queue (delivered to all, bounced, deleted), by the log.
    public var removed: LocalTime?
    /// The message in the spool now.
    public var queued: QueuedMessage?
    /// What spoolsweep's quarantine did with it, oldest first.
    public var quarantine: [QuarantineEvent] = []

    public init(id: String) { self.id = id }

    /// The SMTP transaction (or local submission) that brought it in.
    public struct Receipt: Equatable, Sendable {
        public var time: LocalTime
        /// The SMTP session's id when it is not the message's own (SmarterMail).
        public var session: String?
        public var clientIP: String
        public var helo: String?
        public var login: String?
        public var protocolName: String
        public var sender: String
        public var recipients: [String]
        public var size: Int
        public var messageID: String?
    }

    public struct Delivery: Equatable, Sendable {
        public var time: LocalTime
        public var attempt: Int
        public var recipient: String
        public var isLocal: Bool
        public var outcome: DeliveryClass
        public var detail: String
    }

    /// The first time anything tells of it, for ordering stories.
    var firstSeen: LocalTime? {
        [received?.time, deliveries.first?.time, removed, queued?.created, quarantine.first?.time].compactMap { $0 }.min()
    }

    /// Where it is now, in a word: `queued`, `quarantined`, `purged`, `removed`, or `unknown`.
    public var whereNow: String {
        if queued != nil { return "queued" }
        if let last = quarantine.last(where: { $0.done }) {
            switch last.operation {
            case .purge: return "purged"
            case .quarantine: return "quarantined"
            case .restore: break
            }
        }
        return removed != nil ? "removed" : "unknown"
    }
}

/// One journaled quarantine, restore or purge of a message.
public struct QuarantineEvent: Equatable, Sendable {
    public var time: LocalTime
    public var operation: JournalOperation
    public var run: String
    public var batch: String
    /// The server's command it went through (`postsuper`, `exim`), nil when files moved.
    public var via: String?
    /// Done, or why not (`failed: ...`, `interrupted`).
    public var outcome: String
    /// The files recorded, relative to the spool, with their size and SHA-256.
    public var files: [RecordedFile]
    public var done: Bool { outcome == "done" }

    public struct RecordedFile: Equatable, Sendable {
        public var path: String
        public var size: Int
        public var sha256: String

        public init(path: String, size: Int, sha256: String) { (self.path, self.size, self.sha256) = (path, size, sha256) }

        /// A journaled file as recorded.
        init(_ file: JournalFile) { self.init(path: file.path.description, size: file.facts.size, sha256: file.facts.sha256) }

        /// The `files` of an audit or history record (`JournalFile.recorded`).
        static func list(_ json: JSON?) -> [RecordedFile] {
            (json?.arrayValue ?? []).compactMap { f in
                f["path"]?.stringValue.map { RecordedFile(path: $0, size: f["size"]?.intValue ?? 0, sha256: f["sha256"]?.stringValue ?? "") }
            }
        }
    }
}

/// How a dialect names one message in its facts, for a trace.
struct TraceKeys: Sendable {
    /// From a message's name (spool name, queue id, Exim id) the key of its delivery facts.
    let deliveryKey: @Sendable (String) -> String

    init(_ dialect: any MailServerDialect) {
        deliveryKey = { id in dialect.historyKeys(of: QueuedMessage(id: id, queue: "", state: "")).delivery }
    }
}

/// The first pass of `trace`: which messages the query names, from the accepted-message and
/// delivery facts (an address or a Message-ID becomes the ids of its messages; an SMTP session's
/// id, its messages'). Keeps ids only.
struct TraceResolver: MailFactSink {
    let query: TraceQuery
    let keys: TraceKeys
    /// Found ids, in the order first seen, and the delivery keys of those from accepted facts.
    private(set) var ids: [String] = []
    private var known: Set<String> = []
    private var fromDeliveries: [String] = []
    private var deliveryKeysOfAccepted: Set<String> = []
    private var queryBytes: [UInt8]

    init(_ query: TraceQuery, keys: TraceKeys) {
        self.query = query
        self.keys = keys
        switch query {
        case .id(let s), .address(let s), .messageID(let s): queryBytes = Array(s.utf8)
        }
    }

    private func isQuery(_ b: FactBytes?, caseless: Bool) -> Bool {
        guard let b else { return false }
        return queryBytes.withUnsafeBytes { q in caseless ? equalIgnoringCase(b, q) : b.elementsEqual(q) }
    }

    private mutating func found(_ id: String) {
        if known.insert(id).inserted { ids.append(id) }
    }

    mutating func take(_ fact: MailFact) {
        switch fact {
        case .accepted(let a):
            let matched: Bool
            switch query {
            case .id:
                matched = isQuery(a.key, caseless: false) || isQuery(a.spoolName, caseless: false)
                    || a.spoolName.map { keys.deliveryKey($0.printable) == String(decoding: queryBytes, as: UTF8.self) } == true
            case .messageID: matched = isQuery(a.messageID, caseless: false)
            case .address: matched = isQuery(a.sender, caseless: true) || isQuery(a.account, caseless: true) || a.recipients.contains { isQuery($0, caseless: true) }
            }
            guard matched else { return }
            let id = (a.spoolName ?? a.key).printable
            deliveryKeysOfAccepted.insert(keys.deliveryKey(id))
            found(id)
        case .delivery(let d):
            let matched: Bool
            switch query {
            case .id: matched = isQuery(d.key, caseless: false)
            case .messageID: matched = false
            case .address: matched = isQuery(d.recipient, caseless: true) || isQuery(d.sender, caseless: true)
            }
            if matched { fromDeliveries.append(d.key.printable) }
        default: break
        }
    }

    /// The ids found: those of accepted messages, then those known only from delivery facts
    /// (unless an accepted message has the same delivery key).
    var resolved: [String] {
        var out = ids, seen = known
        for key in fromDeliveries where !deliveryKeysOfAccepted.contains(key) && seen.insert(key).inserted { out.append(key) }
        return out
    }
}

/// The second pass of `trace`: keeps the facts of the messages named (the receipt, every delivery
/// attempt, the removal), and nothing else.
struct TraceSink: MailFactSink {
    /// Delivery lines kept per message; the rest are counted.
    static let deliveriesKept = 500
    private let numbered: Bool
    private var byID = ByteInterner(foldCase: false)
    private var byDeliveryKey = ByteInterner(foldCase: false)
    /// Story index of each interned id and delivery key.
    private var storyOfID: [Int32: Int] = [:], storiesOfDeliveryKey: [Int32: [Int]] = [:]
    private(set) var stories: [MessageStory]
    private var lastAttemptSecond: [Int: Int64] = [:], attempts: [Int: Int] = [:]

    init(ids: [String], keys: TraceKeys, numbered: Bool) {
        self.numbered = numbered
        stories = ids.map(MessageStory.init)
        for (i, id) in ids.enumerated() {
            storyOfID[byID.id(id)] = i
            storiesOfDeliveryKey[byDeliveryKey.id(keys.deliveryKey(id)), default: []].append(i)
        }
    }

    mutating func take(_ fact: MailFact) {
        switch fact {
        case .accepted(let a):
            guard let name = byID.existingID(a.spoolName ?? a.key), let i = storyOfID[name], stories[i].received == nil else { return }
            let session = a.key.printable
            stories[i].received = MessageStory.Receipt(
                time: a.time, session: session == stories[i].id ? nil : session, clientIP: a.clientIP.printable,
                helo: a.helo?.printable, login: a.account?.printable, protocolName: a.protocolName.printable,
                sender: a.sender.printable, recipients: a.recipients.map(\.printable), size: a.size, messageID: a.messageID?.printable)
        case .delivery(let d):
            guard let k = byDeliveryKey.existingID(d.key), let indices = storiesOfDeliveryKey[k] else { return }
            for i in indices {
                var attempt = d.attempt
                if !numbered {
                    // One line per recipient per attempt: lines in the same second are one attempt.
                    attempt = (attempts[i] ?? 0) + (lastAttemptSecond[i] == d.time.seconds ? 0 : 1)
                    lastAttemptSecond[i] = d.time.seconds
                }
                attempts[i] = max(attempts[i] ?? 0, attempt)
                guard stories[i].deliveries.count < Self.deliveriesKept else { stories[i].deliveriesNotShown += 1; continue }
                stories[i].deliveries.append(MessageStory.Delivery(
                    time: d.time, attempt: attempt, recipient: d.recipient.printable, isLocal: d.isLocal,
                    outcome: d.outcome, detail: d.detail.printable))
            }
        case .removed(let r):
            guard let k = byDeliveryKey.existingID(r.key), let indices = storiesOfDeliveryKey[k] else { return }
            for i in indices where stories[i].removed == nil || stories[i].removed! < r.time { stories[i].removed = r.time }
        default: break
        }
    }
}
