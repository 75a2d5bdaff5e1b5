/// What `watch` decides from the lines it follows: today's ledger, fed line by line through the
/// dialect's live reader, and the suspects of it, assessed exactly as `suspects --date today`
/// assesses them (the same `SuspectReport`, over a finished copy of the ledger and of the open
/// sessions and queue entries), so an alert gives the same figures and reasons as `suspects`
/// over the same lines would.
public struct WatchEngine {
    public let server: String
    public var thresholds: SuspectThresholds
    /// The paths as typed, for the commands an alert suggests.
    public var pathsText: String
    /// How long after a notice a sender still over a threshold and still sending is reminded of
    /// (0: never).
    public var remindEvery: Int64 = 900
    private var reader: any LiveLogReader
    private var localDomains: [String]
    public private(set) var ledger: MailLedger
    /// The day the ledger is of.
    public private(set) var day: Int64
    /// Senders alerted about today, by `WatchNotice.senderID`.
    public var alerted: [String: AlertMark] = [:]
    public private(set) var lines = 0, unrecognised = 0
    /// Lines taken since the last assessment.
    public private(set) var linesSinceAssessment = 0
    /// Each sender over a threshold at the last assessment, by id: its messages today.
    public private(set) var messagesOver: [String: Int] = [:]

    /// When a sender was alerted about, and how many messages it had at its last notice.
    public struct AlertMark: Equatable, Sendable {
        public var alertedAt: LocalTime
        public var lastNotice: LocalTime
        public var messages: Int
        public init(alertedAt: LocalTime, lastNotice: LocalTime, messages: Int) {
            (self.alertedAt, self.lastNotice, self.messages) = (alertedAt, lastNotice, messages)
        }
    }

    public init(server: String, reader: any LiveLogReader, thresholds: SuspectThresholds, localDomains: [String], pathsText: String, day: Int64) {
        self.server = server
        self.reader = reader
        self.thresholds = thresholds
        self.localDomains = localDomains
        self.pathsText = pathsText
        self.day = day
        ledger = Self.ledger(day: day, thresholds: thresholds, localDomains: localDomains)
    }

    private static func ledger(day: Int64, thresholds: SuspectThresholds, localDomains: [String]) -> MailLedger {
        var l = MailLedger(range: TimeRange(day: LocalTime(seconds: day * 86_400)), rateWindow: thresholds.rateWindow)
        for d in localDomains { l.noteLocal(domain: d) }
        return l
    }

    /// The files to follow today.
    public mutating func files() -> [String] { reader.files(day: day) }
    public var folders: [String] { reader.folders }

    /// Takes one line of `file`.
    public mutating func take(_ line: UnsafeRawBufferPointer, of file: String) {
        lines += 1
        linesSinceAssessment += 1
        if !reader.read(line, of: file, into: &ledger) { unrecognised += 1 }
    }

    /// A new day: a new ledger (the reader's open sessions go on), no sender alerted yet.
    public mutating func start(day: Int64) {
        guard day != self.day else { return }
        self.day = day
        ledger = Self.ledger(day: day, thresholds: thresholds, localDomains: localDomains)
        alerted = [:]
    }

    /// The suspects of the lines read so far, as `suspects` would rank them at the end of these
    /// lines (every suspect, none cut).
    public func report() -> SuspectReport {
        var reading = reader
        var l = ledger
        reading.finish(into: &l)
        l.finish()
        return SuspectReport(ledger: l, server: server, thresholds: thresholds, queued: [:], readQueued: { _, _ in },
                             top: 0, pathsText: pathsText)
    }

    /// Assesses the senders at `now`: an alert for each sender newly over a threshold, a
    /// reminder for one alerted at least `remindEvery` ago that sent more since; a sender no
    /// longer over any threshold may be alerted about again when it crosses again.
    public mutating func assess(now: LocalTime) -> [WatchNotice] {
        linesSinceAssessment = 0
        let report = report()
        var notices: [WatchNotice] = []
        messagesOver = [:]
        for s in report.suspects {
            let id = WatchNotice.senderID(s)
            messagesOver[id] = s.messages
            if var mark = alerted[id] {
                guard remindEvery > 0, now.seconds - mark.lastNotice.seconds >= remindEvery, s.messages > mark.messages else { continue }
                notices.append(WatchNotice(event: .reminder, at: now, server: server, suspect: s, thresholds: thresholds,
                                           newMessages: s.messages - mark.messages, alertedAt: mark.alertedAt))
                (mark.lastNotice, mark.messages) = (now, s.messages)
                alerted[id] = mark
            } else {
                notices.append(WatchNotice(event: .alert, at: now, server: server, suspect: s, thresholds: thresholds,
                                           newMessages: s.messages, alertedAt: now))
                alerted[id] = AlertMark(alertedAt: now, lastNotice: now, messages: s.messages)
            }
        }
        for id in alerted.keys where messagesOver[id] == nil { alerted[id] = nil }
        return notices
    }
}

/// One alert or reminder of `watch`.
public struct WatchNotice: Sendable {
    public enum Event: String, Sendable { case alert, reminder }
    public let event: Event
    public let at: LocalTime
    public let server: String
    public let suspect: Suspect
    public let thresholds: SuspectThresholds
    /// Messages since the notice before (all of them, for an alert).
    public let newMessages: Int
    public let alertedAt: LocalTime
    /// What `--hold` did about it, once done.
    public var hold: String?

    /// A sender's identity across assessments and restarts: its kind and name.
    public static func senderID(_ s: Suspect) -> String { "\(s.kind.rawValue) \(s.name)" }
    public var senderID: String { Self.senderID(suspect) }
}
