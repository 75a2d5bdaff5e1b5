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
        let reader = LineReader()
        for path in layout.logFiles {
            let badBefore = log.badSizes
            guard readFile(path, reader: reader, share: share, diagnostics: &diagnostics, { log.read($0, share: share, into: &sink) }) else { continue }
            diagnostics.tally(path, Diagnostics.oversizedReason("size="), log.badSizes - badBefore)
        }
        log.finish(into: &sink)
    }

    /// On one thread, the facts in one pass; on more, the files in pieces (`LogPieces`).
    public func readLedger(_ layout: ServerLayout, range: TimeRange?, threads: Int, template: MailLedger) -> (MailLedger, Diagnostics) {
        guard threads > 1 else { return readLedgerInShares(layout, range: range, threads: 1, template: template) }
        return readPieces(layout, template: template, threads: threads) { LogPieces.cut($0, into: threads) }
    }

    /// The logs read in the pieces `cut` makes of each mapped file, on `threads` threads.
    func readPieces(
        _ layout: ServerLayout, template: MailLedger, threads: Int, cut: (UnsafeRawBufferPointer) -> [Range<Int>]
    ) -> (MailLedger, Diagnostics) {
        var diagnostics = Diagnostics()
        var readers = PieceReaders(log: PostfixLogReader())
        let paths = layout.logFiles, years = paths.map(Self.year(of:))
        let reader = LineReader()
        // The `size=` warnings of each file: what the readers counted while reading it.
        var badBefore = 0
        func tallySizes(_ file: Int, _ log: PostfixLogReader, _ diagnostics: inout Diagnostics) {
            diagnostics.tally(paths[file], Diagnostics.oversizedReason("size="), log.badSizes - badBefore)
            badBefore = log.badSizes
        }
        var ledger = LogPieces.read(
            paths: paths, threads: threads, template: template, readers: &readers, diagnostics: &diagnostics, cut: cut,
            pieceReaders: { first in PieceReaders(log: PostfixLogReader(carrying: !first)) },
            readLine: { piece, ledger, file, line, unrecognised in
                if piece.entries == nil { piece.entries = PostfixEntry.Reader(year: years[file].year, lastMonth: years[file].month) }
                Self.entry(line, &piece.entries!, &unrecognised, share: .all) { piece.log.read($0, share: .all, into: &ledger) }
            },
            takeOver: { readers, piece, ledger in readers.log.takeOver(piece.log, into: &ledger) },
            readWhole: { file, readers, ledger, diagnostics in
                if readFile(paths[file], reader: reader, share: .all, diagnostics: &diagnostics, { readers.log.read($0, share: .all, into: &ledger) }) {
                    tallySizes(file, readers.log, &diagnostics)
                }
            },
            fileDone: { file, stats, unrecognised, readers, diagnostics in
                diagnostics.report(stats, path: paths[file], unrecognised: unrecognised)
                tallySizes(file, readers.log, &diagnostics)
            })
        readers.log.finish(into: &ledger)
        ledger.finish()
        return (ledger, diagnostics)
    }

    /// A piece's reader, and the reader of its lines' timestamps (the year of the piece's file).
    private struct PieceReaders {
        var log: PostfixLogReader
        var entries: PostfixEntry.Reader?
    }

    public var keepsServerTotals: Bool { true }
    public var readsInPieces: Bool { true }

    /// pflogsumm's grand totals, per-hour and per-domain tables, counted pflogsumm's way.
    public func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals? {
        var totals = PflogsummTotals()
        var unused = Diagnostics() // the same files as the facts': their problems are reported there
        let reader = LineReader()
        for path in layout.logFiles {
            _ = readFile(path, reader: reader, share: .all, diagnostics: &unused) { e in
                if range?.contains(e.time) ?? true { totals.read(e) }
            }
        }
        return totals.serverTotals
    }

    /// Classic timestamps have no year: the file's modification time gives it.
    private static func year(of path: String) -> (year: Int, month: Int) {
        let stamp = LocalTime(unixTime: FileSystem.status(path)?.mtime ?? Int(time(nil)))
        let (year, month, _) = LocalTime.civil(stamp.day)
        return (year, month)
    }

    /// Calls `body` with every Postfix entry of the file at `path`; false when it could not be
    /// read (reported in the share that reports on files).
    private func readFile(
        _ path: String, reader: LineReader, share: LogShare, diagnostics: inout Diagnostics, _ body: (PostfixEntry) -> Void
    ) -> Bool {
        let year = Self.year(of: path)
        var entries = PostfixEntry.Reader(year: year.year, lastMonth: year.month)
        var unrecognised = 0
        do {
            let stats = try reader.forEachLine(path: path) { Self.entry($0, &entries, &unrecognised, share: share, body) }
            if share.reportsFiles { diagnostics.report(stats, path: path, unrecognised: unrecognised) }
            return true
        } catch {
            if share.reportsFiles { diagnostics.unreadable(path, error.reason) }
            return false
        }
    }

    /// Hands `line`'s entry to `body`, or counts it as unrecognised.
    @inline(__always)
    private static func entry(
        _ line: Line, _ entries: inout PostfixEntry.Reader, _ unrecognised: inout Int, share: LogShare, _ body: (PostfixEntry) -> Void
    ) {
        if line.isContinuation || line.bytes.isEmpty { return }
        guard let entry = entries.entry(line.bytes) else {
            // Other programs share syslog's mail log: only unreadable lines count.
            if share.reportsFiles && !isOtherProgram(line.bytes) { unrecognised += 1 }
            return
        }
        body(entry)
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
