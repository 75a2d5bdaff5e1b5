/// One `key: value` line of a message envelope, as the server wrote it.
public struct EnvelopeField: Equatable, Sendable {
    public let key: String
    public let value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// A message waiting in a server's spool or queue, as read from its envelope file, in terms every
/// dialect shares.
public struct QueuedMessage: Equatable, Sendable {
    /// The server's id for it (SmarterMail: the spool base name).
    public var id: String
    /// The queue folder it sits in (`SubSpool1`, `proc`, `delay`, `Drop`...; Postfix `deferred`,
    /// `hold`...; Exim, whose spool has no queue folders, `queued` or `frozen`).
    public var queue: String
    /// The server's state word: `Written`, `Writing`, `Failed`...; Exim `queued`, `frozen`.
    public var state: String
    /// Envelope sender; empty for the null sender `<>`.
    public var sender: String = ""
    public var recipients: [String] = []
    /// The authenticated account that submitted it; nil for unauthenticated mail.
    public var account: String?
    public var clientIP: String?
    public var helo: String?
    /// The SMTP session that received it, as in the SMTP log.
    public var sessionID: String?
    /// When the server received it; the file's modification time when the envelope has none.
    public var created: LocalTime?
    /// Delivery attempts so far, and when the next one is due.
    public var attempts: Int?
    public var nextAttempt: LocalTime?
    /// The envelope file (SmarterMail `.hdr`), if any.
    public var envelopePath: String?
    /// The RFC 5322 message file (SmarterMail `.eml`), if any.
    public var contentPath: String?
    /// Size of the message content in bytes.
    public var size: Int = 0
    /// Every `key: value` line of the envelope, in file order (repeated and unknown keys kept).
    public var fields: [EnvelopeField] = []
    /// Every file that belongs to the message (envelope, content, companions): what moves when
    /// it is quarantined.
    public var files: [String] = []
    /// How `contentPath` holds the message.
    public var contentEncoding = ContentEncoding.rfc5322
    /// The server is still receiving it (SmarterMail: state `Writing`, or an `.em_` temporary):
    /// never touch it.
    public var beingWritten = false

    public init(id: String, queue: String, state: String) {
        self.id = id
        self.queue = queue
        self.state = state
    }
}

/// A queued message's story in the logs.
public struct MessageHistory: Equatable, Sendable {
    /// The SMTP session that received it: its id, client IP and login, when found in the logs.
    public var sessionID: String?
    public var clientIP: String?
    public var login: String?
    public var received: LocalTime?
    /// Delivery attempts seen, and the last remote outcome as the server wrote it.
    public var attempts = 0
    public var lastAttempt: LocalTime?
    public var lastOutcome: String?
    public init() {}
}

/// How a spool file holds a message's content: a name (what compares) and the dialect's reader
/// of that format. Each dialect defines its own next to its spool reader (Postfix's queue file
/// records, Exim's `-H`/`-D` pair), so a new server adds a format without touching this file.
public struct ContentEncoding: Sendable, Equatable {
    public let name: String
    public let format: any MessageContentFormat

    public init(name: String, format: any MessageContentFormat) {
        self.name = name
        self.format = format
    }

    public static func == (a: ContentEncoding, b: ContentEncoding) -> Bool { a.name == b.name }

    /// The RFC 5322 message as is (SmarterMail `.eml`).
    public static let rfc5322 = ContentEncoding(name: "rfc5322", format: PlainMessageFile())
}
