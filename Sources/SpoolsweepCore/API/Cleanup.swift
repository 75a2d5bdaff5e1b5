/// How a quarantine, purge or restore selects and moves.
public struct CleanupOptions: Sendable {
    public var filter: SpoolFilter
    /// Allow an empty filter (every queued message).
    public var all = false
    /// The quarantine root (default: `spoolsweep-quarantine/` beside the spool).
    public var quarantineRoot: String?
    public var dryRun = false
    /// Messages with a file modified less than this many seconds ago are left alone.
    public var minAge = 60
    /// The queue is a copy no server is running on: files may be moved directly.
    public var offline = false
    /// The server's command for a live queue (postsuper) and its configuration.
    public var tools = QueueToolSettings()
    public var now: LocalTime

    public init(filter: SpoolFilter, now: LocalTime) {
        self.filter = filter
        self.now = now
    }
}

extension Spoolsweep {
    /// The one spool folder a change applies to, and its quarantine store (knowing the server's
    /// command, when the server has one for its live queue; `checkControl` checks that command
    /// can act before anything is created).
    static func store(
        _ input: InputSelection, quarantineRoot: String?, create: Bool, tools: QueueToolSettings = QueueToolSettings(),
        checkControl: Bool = false
    ) throws(SpoolsweepError) -> QuarantineStore {
        let (dialect, layout) = try input.locate()
        guard layout.spoolRoots.count == 1, let root = layout.spoolRoots.first, FileSystem.kind(root) == .folder else {
            throw .badValue("give exactly one spool (a server folder or a spool folder) to change; found \(layout.spoolRoots.isEmpty ? "none" : layout.spoolRoots.joined(separator: ", "))")
        }
        let control = dialect.queueControl(spoolRoot: QuarantineStore.absolute(root), settings: tools)
        if let q = tools.namedQueue, control?.holdQueue != q {
            throw .badValue("--named-queue \(q): \(dialect.name) has no named queues to quarantine into")
        }
        if checkControl { try control?.check() }
        return try QuarantineStore(spoolRoot: root, root: quarantineRoot, create: create, control: control)
    }

    /// Quarantines or purges the messages `options.filter` selects: under the spool's lock,
    /// after recovering any interrupted run, journaled. `confirm` sees the count and bytes
    /// before anything changes and may refuse.
    public static func clean(
        _ operation: JournalOperation, _ input: InputSelection, options: CleanupOptions,
        confirm: ((Int, Int) -> Bool)? = nil
    ) throws(SpoolsweepError) -> (MoveReport, Diagnostics) {
        guard !options.filter.isEmpty || options.all else {
            throw .badValue("no filter given: this would \(operation.rawValue) every queued message; add filters, or --all if that is really what you want")
        }
        let store = try store(input, quarantineRoot: options.quarantineRoot, create: !options.dryRun, tools: options.tools,
                              checkControl: !options.offline && !options.dryRun)
        // A live queue with a command of its own (Postfix) is changed through it; a copy with
        // no server running on it (--offline) by journaled file moves.
        let through = store.control != nil && !options.offline
        let lock = options.dryRun ? nil : try SpoolLock(spoolRoot: store.spoolRoot)
        defer { withExtendedLifetime(lock) {} }
        let recovery = options.dryRun ? RecoveryReport() : try store.recover()
        var (selected, diagnostics) = try selectSpool(input, filter: options.filter, now: options.now, wantsSubject: true)
        if let confirm, !options.dryRun {
            let preview = try store.apply(operation, to: selected, minAge: options.minAge, dryRun: true, now: options.now, throughControl: through)
            guard confirm(preview.moved.count, preview.bytes) else { throw .badValue("nothing done: not confirmed") }
        }
        // Run ids, journals and audit records carry the real time (--now only shifts ages).
        var report = try store.apply(operation, to: selected, minAge: options.minAge, dryRun: options.dryRun, now: LocalTime.now(),
                                     throughControl: through)
        selected.removeAll()
        report.recovery = recovery
        if options.dryRun, through, let control = store.control {
            // A dry run checks what the real run needs: the server's command, serving this queue.
            do throws(SpoolsweepError) {
                try control.check()
                report.checkedTool = control.tool
            } catch {
                diagnostics.warn("dry run", "the real run would not start: \(error)")
            }
        }
        for f in report.failed { diagnostics.warn(f.id, f.reason ?? "failed") }
        for p in report.recovery.problems { diagnostics.warn("recovery", p) }
        for p in report.problems { diagnostics.warn("journal", p) }
        if !options.dryRun { compact(store, &diagnostics) }
        return (report, diagnostics)
    }

    /// Puts messages of a quarantine batch back into the spool.
    public static func restore(
        _ input: InputSelection, batch: String, options: CleanupOptions
    ) throws(SpoolsweepError) -> (MoveReport, Diagnostics) {
        try fromQuarantine(input, options: options) { store, select, dryRun throws(SpoolsweepError) in
            try store.restore(batch: batch, select: select, now: LocalTime.now(), dryRun: dryRun,
                              fileMoves: store.control == nil || options.offline || dryRun)
        }
    }

    /// Purges messages of a quarantine batch for good (those the filters select, or all of it).
    public static func purge(
        _ input: InputSelection, batch: String, options: CleanupOptions, confirm: ((Int, Int) -> Bool)? = nil
    ) throws(SpoolsweepError) -> (MoveReport, Diagnostics) {
        try fromQuarantine(input, options: options) { store, select, dryRun throws(SpoolsweepError) in
            if let confirm, !dryRun {
                let preview = try store.purge(batch: batch, select: select, now: LocalTime.now(), dryRun: true)
                guard confirm(preview.moved.count, preview.bytes) else { throw .badValue("nothing done: not confirmed") }
            }
            return try store.purge(batch: batch, select: select, now: LocalTime.now(), dryRun: dryRun)
        }
    }

    /// Purges whole quarantine batches quarantined more than `olderThan` seconds before
    /// `options.now`, oldest first: one report per batch.
    public static func expire(
        _ input: InputSelection, olderThan: Int, options: CleanupOptions, confirm: ((Int, Int) -> Bool)? = nil
    ) throws(SpoolsweepError) -> ([MoveReport], Diagnostics) {
        let store = try store(input, quarantineRoot: options.quarantineRoot, create: false, tools: options.tools)
        var batches: [String] = []
        for (header, _) in try store.quarantined() where !batches.contains(header.batch)
            && options.now.seconds - header.started.seconds > Int64(olderThan) {
            batches.append(header.batch)
        }
        batches.sort() // run ids sort by time
        if let confirm, !options.dryRun, !batches.isEmpty {
            var count = 0, bytes = 0
            for b in batches {
                let preview = try store.purge(batch: b, select: { _ in true }, now: LocalTime.now(), dryRun: true)
                (count, bytes) = (count + preview.moved.count, bytes + preview.bytes)
            }
            guard confirm(count, bytes) else { throw .badValue("nothing done: not confirmed") }
        }
        var reports: [MoveReport] = [], diagnostics = Diagnostics()
        for b in batches {
            let (report, seen) = try purge(input, batch: b, options: options)
            reports.append(report)
            diagnostics.append(seen)
        }
        return (reports, diagnostics)
    }

    /// A restore or purge of quarantined messages: under the spool's lock, after recovery, the
    /// filters applied to what the journals say of each message.
    private static func fromQuarantine(
        _ input: InputSelection, options: CleanupOptions,
        _ body: (QuarantineStore, (QueuedMessage) -> Bool, Bool) throws(SpoolsweepError) -> MoveReport
    ) throws(SpoolsweepError) -> (MoveReport, Diagnostics) {
        let store = try store(input, quarantineRoot: options.quarantineRoot, create: false, tools: options.tools)
        let lock = options.dryRun ? nil : try SpoolLock(spoolRoot: store.spoolRoot)
        defer { withExtendedLifetime(lock) {} }
        let recovery = options.dryRun ? RecoveryReport() : try store.recover()
        try options.filter.checkStates(of: try input.locate().0)
        var diagnostics = Diagnostics()
        var selector = SpoolSelector(filter: options.filter, now: options.now, wantsSubject: false)
        var report = try body(store, { selector.select($0, diagnostics: &diagnostics) != nil }, options.dryRun)
        report.recovery = recovery
        for f in report.failed { diagnostics.warn(f.id, f.reason ?? "failed") }
        for p in report.recovery.problems { diagnostics.warn("recovery", p) }
        for p in report.problems { diagnostics.warn("journal", p) }
        if !options.dryRun { compact(store, &diagnostics) }
        return (report, diagnostics)
    }

    /// Finishes or rolls back whatever interrupted runs left.
    public static func recover(_ input: InputSelection, quarantineRoot: String?, tools: QueueToolSettings = QueueToolSettings()) throws(SpoolsweepError) -> RecoveryReport {
        let store = try store(input, quarantineRoot: quarantineRoot, create: false, tools: tools)
        let lock = try SpoolLock(spoolRoot: store.spoolRoot)
        defer { withExtendedLifetime(lock) {} }
        var report = try store.recover()
        do { try store.compact() } catch { report.problems.append("compacting the journals: \(error)") }
        return report
    }

    /// Folds the journals of finished runs into the history (a problem is a warning: nothing
    /// is lost by not compacting).
    static func compact(_ store: QuarantineStore, _ diagnostics: inout Diagnostics) {
        do { try store.compact() } catch { diagnostics.warn("journal", "compacting the journals: \(error)") }
    }

    /// What is in quarantine now, per batch, and the purge audit.
    public static func quarantined(_ input: InputSelection, quarantineRoot: String?) throws(SpoolsweepError) -> QuarantineListing {
        let store = try store(input, quarantineRoot: quarantineRoot, create: false)
        let interrupted = try store.unfinishedJournals().count
        let audit = try store.purgeAudit()
        var listing = QuarantineListing(root: store.root, messages: try store.quarantined(), purged: audit.records,
                                        interruptedRuns: interrupted)
        listing.damagedAuditLines = audit.damaged
        listing.holdWords = store.control?.holdWords ?? HoldWords()
        return listing
    }
}

/// The quarantine's contents, for `spool quarantined`.
public struct QuarantineListing: Sendable {
    public let root: String
    public private(set) var messages: [(header: JournalHeader, intent: JournalIntent)]
    public let purged: [JSON]
    /// Runs a crash interrupted that `spool recover` (or the next change) will finish.
    public let interruptedRuns: Int
    /// What the server's command calls a quarantined message's place.
    public var holdWords = HoldWords()
    /// Lines of `purged.jsonl` that are not whole records (damage), by number.
    public var damagedAuditLines: [Int] = []

    /// The `--older-than` the listing was cut to, as given.
    public private(set) var olderThan: String?

    /// Keeps only the batches quarantined more than `age` seconds before `now` (`--older-than`,
    /// named `text`).
    public mutating func keepBatches(olderThan age: Int64, now: LocalTime, text: String) {
        messages.removeAll { now.seconds - $0.header.started.seconds <= age }
        olderThan = text
    }

    /// The damage found, as warnings.
    public var diagnostics: Diagnostics {
        var d = Diagnostics()
        for n in damagedAuditLines {
            d.warn(FileSystem.join(root, "purged.jsonl"), "line \(n) is not a whole audit record (damaged); left as it is")
        }
        return d
    }
}
