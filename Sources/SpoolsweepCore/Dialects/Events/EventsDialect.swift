/// spoolsweep's own event files (`spoolsweep events`, schema version 1: `*.ndjson`, `*.jsonl`,
/// compressed (`.gz`, `.zst`) or not) read back as logs, so that `summary` and `suspects` given the events of
/// several hosts print the picture of them all. Each event is handed on as the fact it was
/// written from; its time is the server's wall clock it carries (the offset is not applied, as
/// for the logs themselves).
public struct EventsDialect: MailServerDialect {
    public let name = "events"
    public let spoolStates: [String] = []
    public let standardLocations: [String] = []
    public let lookedFor = "spoolsweep event files (*.ndjson, *.jsonl, .gz, .zst or not) whose lines are {\"v\":1,...}"

    public init() {}

    static let suffixes = [".ndjson", ".ndjson.gz", ".ndjson.zst", ".jsonl", ".jsonl.gz", ".jsonl.zst"]

    /// Event files given by name, or the event files of a folder; nil unless every path is one.
    public func locate(_ paths: [String]) -> ServerLayout? {
        var layout = ServerLayout(server: name)
        func isEventFile(_ path: String) -> Bool {
            let l = path.lowercased()
            guard Self.suffixes.contains(where: l.hasSuffix) else { return false }
            // Uncompressed: the first line says so. Compressed: the name does.
            guard Compression(path: l) == nil else { return true }
            guard let head = LogFiles.head(path) else { return LogFiles.isEmpty(path) }
            return head.starts(with: Array(#"{"v":"#.utf8))
        }
        for path in paths {
            switch FileSystem.kind(path) {
            case .file:
                guard isEventFile(path) else { return nil }
                layout.logFiles.append(path)
            case .folder:
                let files = (FileSystem.list(path) ?? []).sorted().map { FileSystem.join(path, $0) }
                    .filter { FileSystem.kind($0) == .file && isEventFile($0) }
                guard !files.isEmpty else { return nil }
                layout.logFiles += files
            default:
                return nil
            }
        }
        return layout.logFiles.isEmpty ? nil : layout
    }

    public func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)? { nil }

    /// Every share reads every line and keeps its own keys' facts: a message's by its key, a
    /// login's, a refusal's or a block's by IP.
    @_specialize(where Sink == MailLedger)
    public func readFacts<Sink: MailFactSink>(
        _ layout: ServerLayout, range: TimeRange?, share: LogShare, into sink: inout Sink, diagnostics: inout Diagnostics
    ) {
        let reader = LineReader()
        var event = EventLine()
        var replay = EventReplay()
        for path in layout.logFiles {
            var unrecognised = 0, otherVersions = 0, queued = 0
            do {
                let stats = try reader.forEachLine(path: path) { line in
                    if line.bytes.isEmpty { return }
                    guard event.parse(line.bytes) else { unrecognised += 1; return }
                    switch replay.fact(event, line: line.bytes, share: share, into: &sink) {
                    case .taken, .notThisShare: break
                    case .queued: queued += 1
                    case .otherVersion: otherVersions += 1
                    case .malformed: unrecognised += 1
                    }
                }
                guard share.reportsFiles else { continue }
                diagnostics.report(stats, path: path, unrecognised: 0)
                diagnostics.tally(path, "line(s) not spoolsweep events (not one JSON object, a field missing or out of range), skipped", unrecognised)
                diagnostics.tally(path, "line(s) of an event schema other than version 1, skipped", otherVersions)
                if queued > 0 { diagnostics.note(path, "\(queued) queued event(s) (a spool as it was) not counted as log traffic") }
            } catch {
                if share.reportsFiles { diagnostics.unreadable(path, error.reason) }
            }
        }
    }

    public var keepsServerTotals: Bool { false }
    public func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals? { nil }

    public func historyKeys(of message: QueuedMessage) -> HistoryKeys {
        HistoryKeys(session: message.id, spoolName: nil, delivery: message.id)
    }

    public var numbersDeliveryAttempts: Bool { true }

    /// Event files hold no spool.
    public func readSpool(_ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void) {}
}

/// Turns a parsed event back into the fact it was written from.
struct EventReplay {
    enum Outcome { case taken, notThisShare, queued, otherVersion, malformed }

    private static let v = EventLine.index("v"), type = EventLine.index("type"), time = EventLine.index("time")
    private static let key = EventLine.index("key"), clientIP = EventLine.index("client_ip")
    private static let account = EventLine.index("account"), sender = EventLine.index("sender")
    private static let senderKnown = EventLine.index("sender_known"), size = EventLine.index("size")
    private static let proto = EventLine.index("protocol"), spoolFile = EventLine.index("spool_file")
    private static let helo = EventLine.index("helo"), messageID = EventLine.index("message_id")
    private static let recipient = EventLine.index("recipient"), code = EventLine.index("code")
    private static let local = EventLine.index("local"), outcome = EventLine.index("outcome"), word = EventLine.index("word")
    private static let detail = EventLine.index("detail"), attempt = EventLine.index("attempt"), ip = EventLine.index("ip")
    private static let success = EventLine.index("success"), rule = EventLine.index("rule"), reason = EventLine.index("reason")

    private static let empty: [UInt8] = [], host = EventLine.index("host"), server = EventLine.index("server")
    /// The host and server of the facts handed on last ("" at first: a ledger's first host).
    private var lastHost: [UInt8] = [], lastServer: [UInt8] = []

    mutating func fact<Sink: MailFactSink>(_ e: EventLine, line: UnsafeRawBufferPointer, share: LogShare, into sink: inout Sink) -> Outcome {
        guard case .number(let version) = e.values[Self.v] else { return .malformed }
        guard version == 1 else { return .otherVersion }
        // Every share learns of every change of host, whatever facts it keeps.
        e.bytes(e.values[Self.host], line: line) { name in e.bytes(e.values[Self.server], line: line) { server in
            Self.empty.withUnsafeBytes { none in
                let (name, server) = (name ?? none, server ?? none)
                guard !lastHost.elementsEqual(name) || !lastServer.elementsEqual(server) else { return }
                (lastHost, lastServer) = (Array(name), Array(server))
                sink.take(.host(HostChange(name: name, server: server)))
            }
        } }
        var result = Outcome.malformed
        e.bytes(e.values[Self.type], line: line) { type in
            guard let type else { return }
            if type.matches("queued") && type.count == 6 { result = .queued; return }
            e.bytes(e.values[Self.time], line: line) { timeText in
                guard let timeText, let t = Self.wallClock(timeText) else { return }
                result = emit(type, t, e, line: line, share: share, into: &sink)
            }
        }
        return result
    }

    private func emit<Sink: MailFactSink>(
        _ type: UnsafeRawBufferPointer, _ t: LocalTime, _ e: EventLine, line: UnsafeRawBufferPointer,
        share: LogShare, into sink: inout Sink
    ) -> Outcome {
        func text(_ i: Int, _ body: (UnsafeRawBufferPointer?) -> Void) { e.bytes(e.values[i], line: line, body) }
        func number(_ i: Int) -> Int? { if case .number(let n) = e.values[i] { return n }; return nil }
        func flag(_ i: Int) -> Bool? { if case .bool(let b) = e.values[i] { return b }; return nil }
        func named(_ w: StaticString) -> Bool { type.count == w.utf8CodeUnitCount && type.matches(w) }
        var outcome = Outcome.malformed
        // Each kind needs its strings; a missing one (not null, absent) makes the line malformed.
        if named("accepted") {
            text(Self.key) { key in text(Self.clientIP) { ip in text(Self.sender) { sender in text(Self.proto) { proto in
                guard let key, let ip, let sender, let size = number(Self.size), size >= 0 else { return }
                guard share.owns(key) else { outcome = .notThisShare; return }
                text(Self.account) { account in text(Self.spoolFile) { spool in text(Self.helo) { helo in text(Self.messageID) { id in
                    e.list.withUnsafeBytes { all in
                        e.listEnds.withUnsafeBufferPointer { ends in
                            Self.empty.withUnsafeBytes { none in
                                sink.take(.accepted(AcceptedMessage(
                                    time: t, key: key, clientIP: ip, account: account, sender: sender,
                                    recipients: RecipientList(bytes: all, ends: ends), size: size, protocolName: proto ?? none,
                                    spoolName: spool, helo: helo, messageID: id, senderKnown: flag(Self.senderKnown) ?? true)))
                            }
                        }
                    }
                    outcome = .taken
                } } } }
            } } } }
        } else if named("delivery") {
            text(Self.key) { key in text(Self.recipient) { r in text(Self.word) { word in text(Self.detail) { detail in
                guard let key, let r, let word, let local = flag(Self.local) else { return }
                guard share.owns(key) else { outcome = .notThisShare; return }
                text(Self.outcome) { o in
                    guard let o else { return }
                    let c: DeliveryClass = o.matches("delivered") ? .delivered : o.matches("deferred") ? .deferred : .bounced
                    text(Self.sender) { sender in
                        sink.take(.delivery(DeliveryAttempt(time: t, key: key, sender: sender, recipient: r, isLocal: local, outcome: c,
                                                            word: word, detail: detail ?? word, attempt: max(0, number(Self.attempt) ?? 0))))
                        outcome = .taken
                    }
                }
            } } } }
        } else if named("login") {
            text(Self.ip) { ip in text(Self.proto) { proto in
                guard let ip, let proto, let ok = flag(Self.success) else { return }
                guard share.owns(ip) else { outcome = .notThisShare; return }
                text(Self.account) { account in
                    sink.take(.login(LoginAttempt(time: t, ip: ip, protocolName: proto, account: account, success: ok)))
                    outcome = .taken
                }
            } }
        } else if named("recipient_rejected") || named("rejected") {
            let recipientRejected = named("recipient_rejected")
            text(Self.clientIP) { ip in text(Self.recipient) { r in text(Self.reason) { reason in
                guard let ip, let code = number(Self.code), (0...999).contains(code), !recipientRejected || r != nil else { return }
                guard share.owns(ip) else { outcome = .notThisShare; return }
                if recipientRejected, let r {
                    sink.take(.recipientRejected(RecipientRejection(time: t, clientIP: ip, recipient: r, code: code, reason: reason)))
                } else {
                    sink.take(.rejection(Rejection(time: t, clientIP: ip, code: code, reason: reason)))
                }
                outcome = .taken
            } } }
        } else if named("connection") {
            text(Self.clientIP) { ip in
                guard let ip else { return }
                guard share.owns(ip) else { outcome = .notThisShare; return }
                sink.take(.connection(ClientConnection(time: t, clientIP: ip)))
                outcome = .taken
            }
        } else if named("security_block") {
            text(Self.ip) { ip in text(Self.rule) { rule in
                guard let ip, let rule else { return }
                guard share.owns(ip) else { outcome = .notThisShare; return }
                sink.take(.securityBlock(SecurityBlockFact(time: t, ip: ip, rule: rule)))
                outcome = .taken
            } }
        } else if named("removed") {
            text(Self.key) { key in
                guard let key else { return }
                guard share.owns(key) else { outcome = .notThisShare; return }
                sink.take(.removed(MessageRemoved(time: t, key: key)))
                outcome = .taken
            }
        }
        return outcome
    }

    /// The wall clock of `2026-11-28T09:14:02.045+01:00` (the offset is not applied), checked.
    static func wallClock(_ b: UnsafeRawBufferPointer) -> LocalTime? {
        guard b.count >= 23, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x2E else { return nil }
        func n(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) { guard isDigit(b[i]) else { return nil }; v = v * 10 + Int(b[i] - 0x30) }
            return v
        }
        guard let y = n(0, 4), let mo = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let s = n(17, 2),
              let ms = n(20, 3), (1...12).contains(mo), d >= 1, d <= LocalTime.daysIn(month: mo, year: y), h < 24, mi < 60, s < 61
        else { return nil }
        return LocalTime(milliseconds: LocalTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).milliseconds + Int64(ms))
    }
}
