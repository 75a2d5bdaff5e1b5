/// An error that stops a run before any work: the CLI prints `error: <description>`.
public enum SpoolsweepError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The paths match no known server layout (or do not exist).
    case noInput(LayoutError)
    /// A pattern option did not compile: the option, and PCRE2's message and offset.
    case badPattern(option: String, PatternError)
    /// An option value is malformed, or the request is refused; the text says which and why.
    case badValue(String)
    /// Another spoolsweep run holds the spool's lock; the text names it.
    case locked(String)
    /// The quarantine or its journal cannot be used (damaged, tampered, unwritable).
    case quarantine(String)
    /// The output file asked for (`-o`) cannot be written.
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .noInput(let e): return e.description
        case .badPattern(let option, let e): return "\(option): \(e)"
        case .badValue(let text), .locked(let text), .quarantine(let text), .cannotWrite(let text): return text
        }
    }
}

extension SpoolsweepError {
    /// `value` when `range` holds it, else `badValue` naming the option, what it takes and what it got.
    public static func checked(_ value: Int, _ option: String, _ range: ClosedRange<Int>, _ what: String = "a number")
        throws(SpoolsweepError) -> Int {
        guard range.contains(value) else {
            throw .badValue("\(option): expected \(what) from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }
}

/// How a run ended, as the process exit status. Documented in the README and the man page.
public struct ExitStatus: Equatable, Sendable {
    public let code: Int32
    public static let success = ExitStatus(code: 0)
    /// `suspects --fail-on-suspect` found a sender over a threshold.
    public static let suspectFound = ExitStatus(code: 1)
    /// Some input could not be read or parsed; the figures cover what could be.
    public static let partial = ExitStatus(code: 2)
    /// Both of the above.
    public static let suspectFoundPartial = ExitStatus(code: 3)
    /// A bad option or pattern (nothing was read).
    public static let usage = ExitStatus(code: 64)
    /// The paths do not exist or match no known server layout.
    public static let noInput = ExitStatus(code: 66)
    /// The quarantine cannot be used (a damaged or tampered journal, an unwritable folder), or
    /// the output file cannot be written.
    public static let cannotWrite = ExitStatus(code: 73)
    /// Another spoolsweep run is changing the same spool: try again when it is done.
    public static let locked = ExitStatus(code: 75)

    public static func of(partial: Bool, suspect: Bool = false) -> ExitStatus {
        switch (suspect, partial) {
        case (false, false): return .success
        case (true, false): return .suspectFound
        case (false, true): return .partial
        case (true, true): return .suspectFoundPartial
        }
    }

    public static func of(_ error: SpoolsweepError) -> ExitStatus {
        switch error {
        case .noInput: return .noInput
        case .locked: return .locked
        case .quarantine, .cannotWrite: return .cannotWrite
        case .badPattern, .badValue: return .usage
        }
    }
}

/// What the user pointed spoolsweep at.
public struct InputSelection: Sendable {
    public var paths: [String]
    /// `--server NAME`, or nil to detect.
    public var server: String?
    /// Domains to treat as local in addition to those the logs reveal.
    public var localDomains: [String]
    /// `--threads`: how many threads may share the work (0: every core).
    public var threads = 0

    public init(paths: [String], server: String? = nil, localDomains: [String] = []) {
        self.paths = paths
        self.server = server
        self.localDomains = localDomains
    }

    /// The dialect and its files.
    public func locate() throws(SpoolsweepError) -> (any MailServerDialect, ServerLayout) {
        do { return try Dialects.locate(paths, server: server) } catch { throw .noInput(error) }
    }
}

/// The report period from `--date`, `--since` and `--until`.
public enum Period {
    /// `--date today|yesterday|YYYY-MM-DD`, or `--since`/`--until` (dates or date-times; `until`
    /// is exclusive for a date-time and includes the whole day for a date). Nil: everything.
    public static func resolve(date: String?, since: String?, until: String?, now: LocalTime) throws(SpoolsweepError) -> TimeRange? {
        if let date {
            guard since == nil && until == nil else { throw .badValue("--date cannot be combined with --since/--until") }
            return TimeRange(day: try day(date, now: now, option: "--date"))
        }
        if since == nil && until == nil { return nil }
        let start = try since.map { s throws(SpoolsweepError) in try moment(s, now: now, option: "--since", endOfDay: false) }
        let end = try until.map { s throws(SpoolsweepError) in try moment(s, now: now, option: "--until", endOfDay: true) }
        let range = TimeRange(start: start ?? TimeRange.openStart, end: end ?? TimeRange.openEnd)
        guard range.start < range.end else { throw .badValue("--since must be before --until") }
        return range
    }

    static func day(_ text: String, now: LocalTime, option: String) throws(SpoolsweepError) -> LocalTime {
        switch text.lowercased() {
        case "today": return now.startOfDay
        case "yesterday": return now.startOfDay.adding(seconds: -86_400)
        default:
            guard text.utf8.count == 10, let t = LocalTime.parse(text) else {
                throw .badValue("\(option): expected today, yesterday or YYYY-MM-DD, got '\(text)'")
            }
            return t
        }
    }

    static func moment(_ text: String, now: LocalTime, option: String, endOfDay: Bool) throws(SpoolsweepError) -> LocalTime {
        if ["today", "yesterday"].contains(text.lowercased()) || text.utf8.count == 10 {
            let d = try day(text, now: now, option: option)
            return endOfDay ? d.adding(seconds: 86_400) : d
        }
        guard let t = LocalTime.parse(text) else {
            throw .badValue("\(option): expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], got '\(text)'")
        }
        return t
    }
}

/// The three jobs, as library calls the CLI maps onto commands.
public enum Spoolsweep {
    /// Reads the logs under `input` into a ledger for `range`.
    public static func readLogs(
        _ input: InputSelection, range: TimeRange?, rateWindow: Int64 = 600, details: Bool = false
    ) throws(SpoolsweepError) -> (ledger: MailLedger, server: String, diagnostics: Diagnostics, layout: ServerLayout, dialect: any MailServerDialect) {
        let (dialect, layout) = try input.locate()
        let (ledger, diagnostics) = readLogs(dialect, layout, input: input, range: range, rateWindow: rateWindow, details: details)
        return (ledger, dialect.name, diagnostics, layout, dialect)
    }

    /// The ledger of the logs: read in one part per thread (the dialect's own totals, if it
    /// keeps any, on a thread of their own), merged, finished.
    static func readLogs(
        _ dialect: any MailServerDialect, _ layout: ServerLayout, input: InputSelection, range: TimeRange?, rateWindow: Int64,
        details: Bool = false
    ) -> (MailLedger, Diagnostics) {
        var seeded = MailLedger(range: range, rateWindow: rateWindow)
        seeded.keepsDetails = details
        for d in input.localDomains { seeded.noteLocal(domain: d) }
        let template = seeded
        let threads = Parallel.threads(input.threads)
        let hasTotals = dialect.keepsServerTotals
        // Shares read every line: the totals' pass takes a thread of its own. Pieces share the cores with it.
        let parts = max(1, hasTotals && threads > 1 && !dialect.readsInPieces ? threads - 1 : threads)
        ReadProgress.shared.begin(paths: layout.logFiles, passes: (dialect.readsInPieces ? 1 : parts) + (hasTotals ? 1 : 0))
        let facts = { @Sendable () in dialect.readLedger(layout, range: range, threads: parts, template: template) }
        let totals = { @Sendable () in hasTotals ? dialect.serverTotals(layout, range: range) : nil }
        var (ledger, diagnostics) = (MailLedger(), Diagnostics())
        var serverTotals: ServerTotals?
        if hasTotals && threads > 1 {
            ((ledger, diagnostics), serverTotals) = Parallel.both(facts, beside: totals)
        } else {
            (ledger, diagnostics) = facts()
            serverTotals = totals()
        }
        ledger.serverTotals = serverTotals
        ledger.coverage.unreadable = diagnostics.logsUnreadable
        if let range, ledger.firstFact.milliseconds == .max {
            // Nothing in the period asked for: say what the logs do hold.
            var days = dialect.logDays(layout)
            if ledger.firstRead.milliseconds != .max { days += [ledger.firstRead.day, ledger.lastRead.day] }
            let asked = ReportPeriod(range: range, firstEntry: nil, lastEntry: nil).text
            if let first = days.min(), let last = days.max() {
                ledger.coverage.days = first...last
                diagnostics.note("period", "no log line in the period asked for (\(asked)): the logs cover \(LogCoverage.text(first...last))")
            } else {
                diagnostics.note("period", "no log line in the period asked for (\(asked)): the logs read hold no dated line")
            }
        }
        return (ledger, diagnostics)
    }

    /// The facts the logs under `input` hold, copied, in reading order.
    public static func facts(_ input: InputSelection, range: TimeRange? = nil) throws(SpoolsweepError) -> (facts: [OwnedMailFact], diagnostics: Diagnostics) {
        let (dialect, layout) = try input.locate()
        var recorder = FactRecorder()
        var diagnostics = Diagnostics()
        dialect.readFacts(layout, range: range, share: .all, into: &recorder, diagnostics: &diagnostics)
        return (recorder.facts, diagnostics)
    }

    /// Every queued message of the spool under `input`, envelope only.
    public static func readSpool(_ input: InputSelection) throws(SpoolsweepError) -> (messages: [QueuedMessage], diagnostics: Diagnostics) {
        let (dialect, layout) = try input.locate()
        var diagnostics = Diagnostics()
        var messages: [QueuedMessage] = []
        guard !layout.spoolRoots.isEmpty else {
            throw .noInput(LayoutError("\(input.paths.joined(separator: ", ")): no spool found (looked for \(dialect.lookedFor))"))
        }
        dialect.readSpool(layout, threads: Parallel.threads(input.threads), diagnostics: &diagnostics) { messages.append($0) }
        return (messages, diagnostics)
    }

    /// The queued messages `filter` selects, each handed to `sink` as soon as its window of
    /// messages is selected, in the dialect's visiting order: nothing is kept but counters (and
    /// of the ids `--id` asks for, those seen), so the memory does not grow with the spool.
    /// The diagnostics: the spool's, then the selection's, then the `--id` notes.
    public static func streamSpool(
        _ input: InputSelection, filter: SpoolFilter, now: LocalTime, wantsSubject: Bool,
        window: Int = Parallel.readWindow, sink: (SelectedMessage) -> Void
    ) throws(SpoolsweepError) -> Diagnostics {
        let (dialect, layout) = try input.locate()
        try filter.checkStates(of: dialect)
        guard !layout.spoolRoots.isEmpty else {
            throw .noInput(LayoutError("\(input.paths.joined(separator: ", ")): no spool found (looked for \(dialect.lookedFor))"))
        }
        let threads = Parallel.threads(input.threads)
        var stream = SpoolStream(filter: filter, now: now, wantsSubject: wantsSubject, threads: threads, window: window)
        var diagnostics = Diagnostics()
        dialect.readSpool(layout, threads: threads, diagnostics: &diagnostics) { stream.add($0, to: sink) }
        stream.finish(to: sink)
        diagnostics.append(stream.diagnostics)
        stream.noteAskedIDs(into: &diagnostics)
        return diagnostics
    }

    /// The queued messages `filter` selects (only those: the spool is selected a window at a
    /// time, `streamSpool`). With `history`, each selected message also gets what the logs say
    /// about it.
    public static func selectSpool(
        _ input: InputSelection, filter: SpoolFilter, now: LocalTime, wantsSubject: Bool, history: Bool = false
    ) throws(SpoolsweepError) -> (selected: [SelectedMessage], diagnostics: Diagnostics) {
        var selected: [SelectedMessage] = []
        var diagnostics = try streamSpool(input, filter: filter, now: now, wantsSubject: wantsSubject) { selected.append($0) }
        if history {
            let (dialect, layout) = try input.locate()
            var sink = MessageHistorySink(selected.map(\.message), keys: dialect.historyKeys, numbered: dialect.numbersDeliveryAttempts)
            dialect.readFacts(layout, range: nil, share: .all, into: &sink, diagnostics: &diagnostics)
            let stories = sink.history
            for i in selected.indices { selected[i].history = stories[selected[i].message.id] ?? MessageHistory() }
        }
        return (selected, diagnostics)
    }

    /// The shape of the queue.
    public static func shape(_ input: InputSelection, now: LocalTime, top: Int) throws(SpoolsweepError) -> (SpoolShape, Diagnostics) {
        let (messages, diagnostics) = try readSpool(input)
        return (SpoolShape(messages, now: now, top: top), diagnostics)
    }

    /// The suspect ranking from the logs, with what each suspect has queued in the spool.
    public static func suspects(
        _ input: InputSelection, range: TimeRange?, thresholds: SuspectThresholds, top: Int, pathsText: String
    ) throws(SpoolsweepError) -> (SuspectReport, Diagnostics) {
        let (dialect, layout) = try input.locate()
        let threads = Parallel.threads(input.threads)
        // The spool does not depend on the logs: with more than one thread it is read beside them.
        let readLogs = { Self.readLogs(dialect, layout, input: input, range: range, rateWindow: thresholds.rateWindow) }
        let readSpool = { @Sendable () -> ([QueuedTrace], Diagnostics) in
            var traces: [QueuedTrace] = [], seen = Diagnostics()
            if !layout.spoolRoots.isEmpty {
                dialect.readSpool(layout, threads: threads, diagnostics: &seen) { traces.append(QueuedTrace($0)) }
            }
            return (traces, seen)
        }
        let ((ledger, logDiagnostics), (spool, spoolDiagnostics)) = threads > 1
            ? Parallel.both(readLogs, beside: readSpool) : (readLogs(), readSpool())
        var diagnostics = logDiagnostics
        diagnostics.append(spoolDiagnostics)
        var queued: [SenderKey: QueuedEvidence] = [:]
        var contentByKey: [SenderKey: [QueuedMessage]] = [:]
        for m in spool {
            guard let key = senderKey(account: m.account, clientIP: m.clientIP, in: ledger) else { continue }
            queued[key, default: QueuedEvidence()].messages += 1
            queued[key]!.bytes += m.size
            if let content = m.content { contentByKey[key, default: []].append(content) }
        }
        var buffer: [UInt8] = []
        let report = SuspectReport(
            ledger: ledger, server: dialect.name, thresholds: thresholds, queued: queued,
            readQueued: { key, queued in
                var subjects: [String: Int] = [:], scripts: [String: Int] = [:]
                for m in (contentByKey[key] ?? []).prefix(Self.subjectSample) {
                    switch Result(catching: { () throws(FileReadError) in try MessageContent.headers(of: m, buffer: &buffer) }) {
                    case .success(let headers):
                        subjects[headers?.first("Subject")?.decoded ?? "", default: 0] += 1
                        if let script = headers?.first("X-PHP-Originating-Script")?.decoded { scripts[script, default: 0] += 1 }
                    case .failure(.vanished): continue
                    case .failure(let error): diagnostics.warn(m.contentPath ?? m.id, error.reason)
                    }
                }
                if let top = TrafficSummary.ranked(subjects.map { ($0.key, $0.value) }, top: 1).first {
                    (queued.topSubject, queued.topSubjectCount) = (top.name, top.count)
                }
                if let top = TrafficSummary.ranked(scripts.map { ($0.key, $0.value) }, top: 1).first {
                    (queued.topScript, queued.topScriptCount) = (top.name, top.count)
                }
            },
            // Event files hold no spool: the next commands are for each host's own.
            top: top, pathsText: dialect is EventsDialect ? "SPOOL" : pathsText)
        return (report, diagnostics)
    }

    /// How many queued messages per suspect are read for the dominant subject.
    static let subjectSample = 5000

    /// What suspects keeps of a queued message while the logs are read.
    struct QueuedTrace: Sendable {
        let account, clientIP, contentPath: String?
        let size: Int
        let contentEncoding: ContentEncoding

        init(_ m: QueuedMessage) {
            (account, clientIP, contentPath, size, contentEncoding) = (m.account, m.clientIP, m.contentPath, m.size, m.contentEncoding)
        }

        /// The message, with what reading its headers needs.
        var content: QueuedMessage? {
            contentPath.map { path in
                var m = QueuedMessage(id: "", queue: "", state: "")
                m.contentPath = path
                m.contentEncoding = contentEncoding
                return m
            }
        }
    }

    /// The sender a queued message is evidence against: its account, or the IP that relayed it.
    static func senderKey(account: String?, clientIP: String?, in ledger: MailLedger) -> SenderKey? {
        func id(_ s: String, _ interner: ByteInterner) -> Int32? {
            var s = s
            return s.withUTF8 { interner.existingID(UnsafeRawBufferPointer($0)) }
        }
        if let account {
            return id(account, ledger.addresses).map(SenderKey.account)
        }
        if let ip = clientIP, let ipID = id(ip, ledger.ips), ledger.evidence[.relayIP(ipID)] != nil {
            return .relayIP(ipID)
        }
        return nil
    }

    /// The traffic summary.
    /// The traffic summary; with `detail` > 0 its detail sections, `detail` rows each.
    public static func summary(_ input: InputSelection, range: TimeRange?, top: Int, detail: Int = 0) throws(SpoolsweepError) -> (TrafficSummary, Diagnostics) {
        let run = try readLogs(input, range: range, details: detail > 0)
        var summary = TrafficSummary(ledger: run.ledger, server: run.server, top: top)
        if detail > 0 { summary.details = SummaryDetails(run.ledger, limit: detail) }
        return (summary, run.diagnostics)
    }
}

extension Diagnostics {
    /// The `input` member every JSON report ends with.
    public func json() -> JSON {
        .object([
            ("files_read", .int(filesRead)),
            ("files_skipped", .int(filesSkipped)),
            ("partial", .bool(isPartial)),
            ("warnings", .array(warnings.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })),
            ("findings", .array(findings.map { .object([("path", .string($0.path)), ("finding", .string($0.reason))]) })),
        ])
    }
}

extension Diagnostics {
    /// What was read, as the last section of a report: the JSON's `input` member; in HTML the
    /// files read and each warning and finding (text prints them on standard error).
    public var reportSection: ReportNode {
        var nodes: [ReportNode] = [
            .json("input", json()),
            .value(nil, "files read", .count(filesRead), shown: .html),
            .value(nil, "files skipped", .count(filesSkipped), shown: .html),
        ]
        let problems = warnings.map { [ReportValue.address($0.path), .text("warning"), .text($0.reason)] }
            + findings.map { [ReportValue.address($0.path), .text("finding"), .text($0.reason)] }
        if !problems.isEmpty {
            nodes.append(.table(ReportTable(key: nil, columns: [ReportColumn("file", key: nil), ReportColumn("kind", key: nil),
                                                                  ReportColumn("reason", key: nil)],
                                            rows: problems, shown: .html)))
        }
        return .section(ReportSection(isPartial ? "Input (partial: the results cover only what could be read)" : "Input",
                                      shown: [.json, .html], nodes))
    }
}

extension JSON {
    /// This object with one more member at the end.
    public func appending(_ key: String, _ value: JSON) -> JSON {
        guard case .object(let members) = self else { return self }
        return .object(members + [(key, value)])
    }
}
