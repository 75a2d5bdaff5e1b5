import Glibc

/// Exim: its main log (`mainlog` on Debian, `exim_mainlog` on cPanel, `main.log` on Red Hat;
/// rotated `.1` and `.N.gz` copies read oldest first) and its spool directory (the folder holding
/// `input/` and `msglog/`: `/var/spool/exim4`, `/var/spool/exim`). `rejectlog` repeats the
/// mainlog's rejections with their headers and `paniclog` holds no mail traffic: both are
/// listed as skipped, not read.
public struct EximDialect: MailServerDialect {
    public let name = "exim"
    public let spoolStates = ["queued", "frozen"]
    public let standardLocations = [
        "/var/log/exim4/mainlog", "/var/log/exim_mainlog", "/var/log/exim/main.log", "/var/spool/exim4", "/var/spool/exim",
    ]
    public let lookedFor = "an Exim log (mainlog, exim_mainlog, main.log, rotated .1/.N.gz copies) or a spool directory with input/ (and msglog/)"

    public init() {}

    // MARK: - Finding the files

    public func locate(_ paths: [String]) -> ServerLayout? {
        var layout = ServerLayout(server: name)
        for path in paths {
            switch FileSystem.kind(path) {
            case .file:
                // An empty log (just rotated) is known by its name alone.
                guard Self.looksLikeEximLog(path) || Self.isEmptyLog(path) else { return nil }
                if Self.isSideLog(FileSystem.baseName(path)) { layout.skippedFiles.append(path) } else { layout.logFiles.append(path) }
            case .folder:
                if let spool = Self.spoolDirectory(path) {
                    layout.spoolRoots.append(spool)
                    continue
                }
                var found = false
                for n in FileSystem.list(path) ?? [] where Self.isLogName(n) {
                    let p = FileSystem.join(path, n)
                    guard FileSystem.kind(p) == .file, Self.looksLikeEximLog(p) || Self.isEmptyLog(p) else { continue }
                    if Self.isSideLog(n) { layout.skippedFiles.append(p) } else { layout.logFiles.append(p) }
                    found = true
                }
                guard found else { return nil }
            default:
                return nil
            }
        }
        layout.logFiles = LogFiles.rotationOrder(layout.logFiles)
        return layout.logFiles.isEmpty && layout.spoolRoots.isEmpty ? nil : layout
    }

    /// The spool directory at or around `path`: a folder holding `input/` (with `msglog/` or
    /// message files), `path` itself when it is `input/`, or an `exim4/`/`exim/` child holding one.
    static func spoolDirectory(_ path: String) -> String? {
        func isSpool(_ folder: String) -> Bool {
            let input = FileSystem.join(folder, "input")
            guard FileSystem.kind(input) == .folder else { return false }
            if FileSystem.kind(FileSystem.join(folder, "msglog")) == .folder { return true }
            return (FileSystem.list(input) ?? []).contains { $0.hasSuffix("-H") || $0.utf8.count == 1 }
        }
        if FileSystem.baseName(path) == "input", let slash = path.lastIndex(of: "/") {
            let parent = slash == path.startIndex ? "/" : String(path[..<slash])
            if isSpool(parent) { return parent }
        }
        for candidate in [path, FileSystem.join(path, "exim4"), FileSystem.join(path, "exim")] where isSpool(candidate) {
            return candidate
        }
        return nil
    }

    /// `mainlog`, `exim_mainlog`, `main.log`, their rotations (`.1`, `.2.gz`, `-20261129`), and
    /// the side logs beside them.
    static func isLogName(_ name: String) -> Bool {
        let l = name.lowercased()
        return ["mainlog", "exim_mainlog", "main.log", "rejectlog", "exim_rejectlog", "reject.log", "paniclog", "exim_paniclog", "panic.log"]
            .contains { l.hasPrefix($0) }
    }

    /// `rejectlog` (the mainlog's rejections again, with headers) and `paniclog`.
    static func isSideLog(_ name: String) -> Bool {
        let l = name.lowercased()
        return ["rejectlog", "exim_rejectlog", "reject.log", "paniclog", "exim_paniclog", "panic.log"].contains { l.hasPrefix($0) }
    }

    /// An empty file named as a log (`mainlog` just after rotation): read, and warned about.
    static func isEmptyLog(_ path: String) -> Bool { isLogName(FileSystem.baseName(path)) && LogFiles.isEmpty(path) }

    /// Whether the file's first line is an Exim log line (`YYYY-MM-DD HH:MM:SS ...`).
    static func looksLikeEximLog(_ path: String) -> Bool {
        guard let head = LogFiles.head(path) else { return false }
        return head[0..<(head.firstIndex(of: 0x0A) ?? head.count)].withUnsafeBytes { EximEntry($0) != nil }
    }

    // MARK: - Logs

    /// Every share reads every line and keeps its own keys' facts: a message's by its id, a
    /// login's or a refusal's by client IP.
    @_specialize(where Sink == MailLedger)
    public func readFacts<Sink: MailFactSink>(
        _ layout: ServerLayout, range: TimeRange?, share: LogShare, into sink: inout Sink, diagnostics: inout Diagnostics
    ) {
        var log = EximLogReader()
        if share.reportsFiles { diagnostics.filesSkipped += layout.skippedFiles.count }
        var badBefore = 0
        forEachEntry(layout, share: share, diagnostics: &diagnostics) { entry, _ in
            log.read(entry, share: share, into: &sink)
        } endOfFile: { path, diagnostics in
            diagnostics.tally(path, Diagnostics.oversizedReason("S="), log.badSizes - badBefore)
            badBefore = log.badSizes
        }
        log.finish(into: &sink)
    }

    public var keepsServerTotals: Bool { true }

    /// eximstats' grand totals and per-hour table, counted eximstats' way.
    public func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals? {
        var totals = EximstatsTotals()
        var unused = Diagnostics() // the same files as the facts': their problems are reported there
        forEachEntry(layout, share: .all, diagnostics: &unused) { e, line in
            if range?.contains(e.time) ?? true { totals.read(e, line: line) }
        } endOfFile: { _, _ in }
        return totals.serverTotals
    }

    /// Calls `body` with every Exim entry of the layout's logs (and its whole line), oldest file
    /// first, and `endOfFile` after each file that could be read (in every share: for what the
    /// share's own lines held). Only `share`'s first part reports on the files.
    private func forEachEntry(
        _ layout: ServerLayout, share: LogShare, diagnostics: inout Diagnostics,
        _ body: (EximEntry, UnsafeRawBufferPointer) -> Void, endOfFile: (String, inout Diagnostics) -> Void
    ) {
        let reader = LineReader()
        for path in layout.logFiles {
            var unrecognised = 0
            do {
                let stats = try reader.forEachLine(path: path) { line in
                    if line.isContinuation || line.bytes.isEmpty { return }
                    guard let entry = EximEntry(line.bytes) else {
                        if share.reportsFiles { unrecognised += 1 }
                        return
                    }
                    body(entry, line.bytes)
                }
                if share.reportsFiles { diagnostics.report(stats, path: path, unrecognised: unrecognised) }
                endOfFile(path, &diagnostics)
            } catch {
                if share.reportsFiles { diagnostics.unreadable(path, error.reason) }
            }
        }
    }

    /// A message's id names its arrival, its deliveries and its spool files.
    public func historyKeys(of message: QueuedMessage) -> HistoryKeys {
        HistoryKeys(session: message.id, spoolName: nil, delivery: message.id)
    }

    public var numbersDeliveryAttempts: Bool { false }
}
