import Glibc

/// Postfix: its log (syslog's `mail.log`/`maillog`, or its own `maillog_file`), rotated copies
/// read oldest first, and its queue directory (`incoming active deferred hold corrupt maildrop`).
public struct PostfixDialect: MailServerDialect {
    public let name = "postfix"
    public var spoolStates: [String] { PostfixQueueWalker.queueNames }
    public let standardLocations = ["/var/log/mail.log", "/var/log/maillog", "/var/spool/postfix"]
    public let lookedFor = "a Postfix log (mail.log, maillog, rotated .1 copies) or a queue directory with deferred/, hold/, active/... (or postfix/deferred ...)"

    static let queues: Set<String> = ["incoming", "active", "deferred", "hold", "corrupt", "maildrop"]

    /// Moving files behind a running Postfix's back is unsafe: changes go through postsuper.
    public func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)? {
        PostsuperControl(queueDirectory: spoolRoot, command: settings.command, configDirectory: settings.configDirectory)
    }

    public init() {}

    // MARK: - Finding the files

    public func locate(_ paths: [String]) -> ServerLayout? {
        var layout = ServerLayout(server: name)
        for path in paths {
            switch FileSystem.kind(path) {
            case .file:
                // An empty log (just rotated) is known by its name alone.
                guard Self.looksLikePostfixLog(path) || Self.isEmptyLog(path) else { return nil }
                layout.logFiles.append(path)
            case .folder:
                if let queue = Self.queueDirectory(path) {
                    layout.spoolRoots.append(queue)
                    continue
                }
                let logs = (FileSystem.list(path) ?? []).filter(Self.isLogName).map { FileSystem.join(path, $0) }
                    .filter { FileSystem.kind($0) == .file && (Self.looksLikePostfixLog($0) || Self.isEmptyLog($0)) }
                guard !logs.isEmpty else { return nil }
                layout.logFiles += logs
            default:
                return nil
            }
        }
        layout.logFiles = LogFiles.rotationOrder(layout.logFiles)
        return layout.logFiles.isEmpty && layout.spoolRoots.isEmpty ? nil : layout
    }

    /// The queue directory at or just below `path` (a copy may keep the `postfix/` level): a
    /// folder with at least two of Postfix's queue folders (a copy, or a git checkout, may lack
    /// the empty ones).
    static func queueDirectory(_ path: String) -> String? {
        let known: Set<String> = ["incoming", "active", "deferred", "hold", "corrupt", "maildrop", "defer", "bounce", "trace"]
        for candidate in [path, FileSystem.join(path, "postfix")] {
            let names = Set(FileSystem.list(candidate) ?? []).intersection(known)
            if names.count >= 2 && !names.isDisjoint(with: queues) { return candidate }
        }
        return nil
    }

    static func isLogName(_ name: String) -> Bool {
        let l = name.lowercased()
        return l.hasPrefix("mail.log") || l.hasPrefix("maillog") || l.hasPrefix("mail.") || l.hasSuffix(".log")
    }

    /// An empty file named as a log (`mail.log` just after logrotate): read, and warned about.
    static func isEmptyLog(_ path: String) -> Bool { isLogName(FileSystem.baseName(path)) && LogFiles.isEmpty(path) }

    /// Whether the file's first line is a Postfix log line.
    static func looksLikePostfixLog(_ path: String) -> Bool {
        guard let head = LogFiles.head(path) else { return false }
        let firstLine = head[0..<(head.firstIndex(of: 0x0A) ?? head.count)]
        return firstLine.withUnsafeBytes {
            var reader = PostfixEntry.Reader(year: 2000, lastMonth: 12)
            return reader.entry($0) != nil
        }
            || String(decoding: head, as: UTF8.self).contains(" postfix/")
    }


    // MARK: - Logs

    /// Every share reads every line and keeps its own keys' facts: a message's by queue id, a
    /// login's by client IP.
    @_specialize(where Sink == MailLedger)
    public func readFacts<Sink: MailFactSink>(
        _ layout: ServerLayout, range: TimeRange?, share: LogShare, into sink: inout Sink, diagnostics: inout Diagnostics
    ) {
        var log = PostfixLogReader()
        var badBefore = 0
        forEachEntry(layout, share: share, diagnostics: &diagnostics) { log.read($0, share: share, into: &sink) } endOfFile: { path, diagnostics in
            diagnostics.tally(path, Diagnostics.oversizedReason("size="), log.badSizes - badBefore)
            badBefore = log.badSizes
        }
        log.finish(into: &sink)
    }

    public var keepsServerTotals: Bool { true }

    /// pflogsumm's grand totals, per-hour and per-domain tables, counted pflogsumm's way.
    public func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals? {
        var totals = PflogsummTotals()
        var unused = Diagnostics() // the same files as the facts': their problems are reported there
        forEachEntry(layout, share: .all, diagnostics: &unused) { e in
            if range?.contains(e.time) ?? true { totals.read(e) }
        } endOfFile: { _, _ in }
        return totals.serverTotals
    }

    /// Calls `body` with every Postfix entry of the layout's logs, oldest file first, and
    /// `endOfFile` after each file that could be read (in every share).
    private func forEachEntry(
        _ layout: ServerLayout, share: LogShare, diagnostics: inout Diagnostics, _ body: (PostfixEntry) -> Void,
        endOfFile: (String, inout Diagnostics) -> Void
    ) {
        let reader = LineReader()
        for path in layout.logFiles {
            // Classic timestamps have no year: the file's modification time gives it.
            let stamp = LocalTime(unixTime: FileSystem.status(path)?.mtime ?? Int(time(nil)))
            let (year, month, _) = LocalTime.civil(stamp.day)
            var entries = PostfixEntry.Reader(year: year, lastMonth: month)
            var unrecognised = 0
            do {
                let stats = try reader.forEachLine(path: path) { line in
                    if line.isContinuation || line.bytes.isEmpty { return }
                    guard let entry = entries.entry(line.bytes) else {
                        // Other programs share syslog's mail log: only unreadable lines count.
                        if share.reportsFiles && !Self.isOtherProgram(line.bytes) { unrecognised += 1 }
                        return
                    }
                    body(entry)
                }
                if share.reportsFiles { diagnostics.report(stats, path: path, unrecognised: unrecognised) }
                endOfFile(path, &diagnostics)
            } catch {
                if share.reportsFiles { diagnostics.unreadable(path, error.reason) }
            }
        }
    }

    /// A syslog line of another program (dovecot, opendkim...): a timestamp and a host, no postfix tag.
    static func isOtherProgram(_ s: UnsafeRawBufferPointer) -> Bool {
        s.count > 16 && (isLetter(s[0]) && s[3] == 0x20 || isDigit(s[0]) && s.count > 20 && s[10] == 0x54)
    }

    /// A message's queue id names its queue entry and its deliveries.
    public func historyKeys(of message: QueuedMessage) -> HistoryKeys {
        HistoryKeys(session: message.id, spoolName: nil, delivery: message.id)
    }

    public var numbersDeliveryAttempts: Bool { false }

    // MARK: - Queue

    public func readSpool(
        _ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void
    ) {
        var walker = PostfixQueueWalker(diagnostics: diagnostics)
        walker.threads = threads
        for root in layout.spoolRoots {
            walker.walk(queueDirectory: root, visit: visit)
        }
        diagnostics = walker.diagnostics
    }
}
