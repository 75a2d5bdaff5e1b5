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
    public var now: LocalTime

    public init(filter: SpoolFilter, now: LocalTime) {
        self.filter = filter
        self.now = now
    }
}

extension Spoolsweep {
    /// The one spool folder a change applies to.
    static func spoolRoot(_ input: InputSelection, offline: Bool = true) throws(SpoolsweepError) -> (String, any MailServerDialect, ServerLayout) {
        let (dialect, layout) = try input.locate()
        if let warning = dialect.liveQueueWarning, !offline {
            throw .badValue("refused on a \(dialect.name) queue: \(warning)")
        }
        guard layout.spoolRoots.count == 1, let root = layout.spoolRoots.first, FileSystem.kind(root) == .folder else {
            throw .badValue("give exactly one spool (a server folder or a spool folder) to change; found \(layout.spoolRoots.isEmpty ? "none" : layout.spoolRoots.joined(separator: ", "))")
        }
        return (root, dialect, layout)
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
        let (root, _, _) = try spoolRoot(input, offline: options.offline || options.dryRun)
        let lock = options.dryRun ? nil : try SpoolLock(spoolRoot: QuarantineStore.absolute(root))
        defer { withExtendedLifetime(lock) {} }
        let store = try QuarantineStore(spoolRoot: root, root: options.quarantineRoot, create: !options.dryRun)
        let recovery = options.dryRun ? RecoveryReport() : try store.recover()
        var (selected, diagnostics) = try selectSpool(input, filter: options.filter, now: options.now, wantsSubject: true)
        if let confirm, !options.dryRun {
            let preview = try store.apply(operation, to: selected, minAge: options.minAge, dryRun: true, now: options.now)
            guard confirm(preview.moved.count, preview.bytes) else { throw .badValue("nothing done: not confirmed") }
        }
        // Run ids, journals and audit records carry the real time (--now only shifts ages).
        var report = try store.apply(operation, to: selected, minAge: options.minAge, dryRun: options.dryRun, now: LocalTime.now())
        selected.removeAll()
        report.recovery = recovery
        for f in report.failed { diagnostics.warn(f.id, f.reason ?? "failed") }
        for p in report.recovery.problems { diagnostics.warn("recovery", p) }
        for p in report.problems { diagnostics.warn("journal", p) }
        return (report, diagnostics)
    }

    /// Puts messages of a quarantine batch back into the spool.
    public static func restore(
        _ input: InputSelection, batch: String, options: CleanupOptions
    ) throws(SpoolsweepError) -> (MoveReport, Diagnostics) {
        let (root, _, _) = try spoolRoot(input, offline: options.offline || options.dryRun)
        let lock = options.dryRun ? nil : try SpoolLock(spoolRoot: QuarantineStore.absolute(root))
        defer { withExtendedLifetime(lock) {} }
        let store = try QuarantineStore(spoolRoot: root, root: options.quarantineRoot, create: false)
        let recovery = options.dryRun ? RecoveryReport() : try store.recover()
        var diagnostics = Diagnostics()
        var selector = SpoolSelector(filter: options.filter, now: options.now, wantsSubject: false)
        var report = try store.restore(batch: batch, select: { selector.select($0, diagnostics: &diagnostics) != nil },
                                       now: LocalTime.now(), dryRun: options.dryRun)
        report.recovery = recovery
        for f in report.failed { diagnostics.warn(f.id, f.reason ?? "failed") }
        for p in report.recovery.problems { diagnostics.warn("recovery", p) }
        for p in report.problems { diagnostics.warn("journal", p) }
        return (report, diagnostics)
    }

    /// Finishes or rolls back whatever interrupted runs left.
    public static func recover(_ input: InputSelection, quarantineRoot: String?) throws(SpoolsweepError) -> RecoveryReport {
        let (root, _, _) = try spoolRoot(input)
        let lock = try SpoolLock(spoolRoot: QuarantineStore.absolute(root))
        defer { withExtendedLifetime(lock) {} }
        return try QuarantineStore(spoolRoot: root, root: quarantineRoot, create: false).recover()
    }

    /// What is in quarantine now, per batch, and the purge audit.
    public static func quarantined(_ input: InputSelection, quarantineRoot: String?) throws(SpoolsweepError) -> QuarantineListing {
        let (root, _, _) = try spoolRoot(input)
        let store = try QuarantineStore(spoolRoot: root, root: quarantineRoot, create: false)
        let interrupted = try store.unfinishedJournals().count
        return QuarantineListing(root: store.root, messages: try store.quarantined(), purged: try store.purgeAudit(),
                                 interruptedRuns: interrupted)
    }
}

/// The quarantine's contents, for `spool quarantined`.
public struct QuarantineListing: Sendable {
    public let root: String
    public let messages: [(header: JournalHeader, intent: JournalIntent)]
    public let purged: [JSON]
    /// Runs a crash interrupted that `spool recover` (or the next change) will finish.
    public let interruptedRuns: Int
}
