import CSystemShims
import Glibc

/// How `watch` runs.
public struct WatchOptions: Sendable {
    public var thresholds = SuspectThresholds()
    /// Seconds between reminders of a sender still over and still sending (0: none).
    public var remindEvery: Int64 = 900
    public var json = false
    /// `--exec`: the program and its arguments (no shell).
    public var exec: [String]?
    public var execTimeout: Int64 = 30
    public var mailTo: String?
    /// The sendmail program for `--mail-to`.
    public var sendmail: String?
    public var hold = false
    /// `--hold-dry-run`: say what `--hold` would do.
    public var holdDryRun = false
    /// Seconds between two hold runs for one sender.
    public var holdEvery: Int64 = 10
    /// How the hold's quarantine runs are made (quarantine root, server command, minimum age).
    public var cleanup: CleanupOptions
    /// `--state`: where the state is kept; nil: no state.
    public var statePath: String?
    /// The longest wait between two looks at the files, in milliseconds (inotify wakes sooner).
    public var pollMilliseconds: Int32 = 1000
    /// The paths as typed, for the commands an alert suggests.
    public var pathsText = ""

    public init(cleanup: CleanupOptions) { self.cleanup = cleanup }
}

extension Spoolsweep {
    /// The default `--state`: `spoolsweep-watch.json` beside the quarantine root (nil when the
    /// layout has no spool and no quarantine root is given).
    public static func defaultWatchState(_ input: InputSelection, quarantineRoot: String?) -> String? {
        let root = quarantineRoot ?? (try? input.locate())?.1.spoolRoots.first.map(QuarantineStore.defaultRoot)
        guard let root else { return nil }
        return FileSystem.join(FileSystem.folderName(QuarantineStore.absolute(root)), "spoolsweep-watch.json")
    }

    /// The sendmail program: `--sendmail`, else the first found in `$PATH`, /usr/sbin, /usr/lib.
    public static func sendmail(_ given: String?) throws(SpoolsweepError) -> String {
        if let given {
            guard access(given, X_OK) == 0, FileSystem.kind(given) != .folder else { throw .badValue("--sendmail \(given): not an executable file") }
            return given
        }
        guard let found = ToolRun.find("sendmail", fallbacks: ["/usr/sbin", "/usr/lib"]) else {
            throw .badValue("--mail-to: no sendmail in $PATH, /usr/sbin or /usr/lib; install the mail server's sendmail or give --sendmail PATH")
        }
        return found
    }

    /// Follows the logs under `input` until SIGTERM, SIGINT or SIGHUP: alerts (`emit`, one
    /// notice a call, flushed), runs `--exec` and `--mail-to` for each, holds with `--hold`,
    /// keeps the state; `log` gets what happens to files, deliveries and holds (standard error).
    public static func watch(
        _ input: InputSelection, options: WatchOptions, emit: (String) -> Void, log: (String) -> Void
    ) throws(SpoolsweepError) -> ExitStatus {
        // Absolute paths: the state names the files wherever the next run starts.
        var input = input
        input.paths = input.paths.map(QuarantineStore.absolute)
        let (dialect, layout) = try input.locate()
        guard let reader = dialect.liveReader(layout) else {
            throw .badValue("watch follows a server's current logs (SmarterMail's Logs folder, Postfix's mail.log, Exim's mainlog); none found in \(input.paths.joined(separator: ", "))"
                            + (dialect is EventsDialect ? ": event files are read by summary and suspects" : ""))
        }
        if options.hold || options.holdDryRun {
            guard layout.spoolRoots.count == 1 else {
                throw .badValue("--hold: give exactly one spool (a server folder or a spool folder) to hold messages in; found \(layout.spoolRoots.isEmpty ? "none" : layout.spoolRoots.joined(separator: ", "))")
            }
            if !options.cleanup.offline && !options.holdDryRun {
                _ = try store(input, quarantineRoot: options.cleanup.quarantineRoot, create: false, tools: options.cleanup.tools, checkControl: true)
            }
        }
        let sendmail = try options.mailTo.map { _ throws(SpoolsweepError) in try Self.sendmail(options.sendmail) }
        let today = LocalTime.now().day
        var engine = WatchEngine(server: dialect.name, reader: reader, thresholds: options.thresholds,
                                 localDomains: input.localDomains, pathsText: options.pathsText, day: today)
        engine.remindEvery = options.remindEvery
        let notifier = Notifier()
        notifier.timeLimit = options.execTimeout
        var cleanup = options.cleanup
        cleanup.dryRun = options.holdDryRun
        var state = WatchState(server: dialect.name, day: today)
        if let path = options.statePath, let saved = try WatchState.load(path) {
            guard saved.server == dialect.name else {
                throw .badValue("--state \(path): the state of a watch of a \(saved.server) server, not of this \(dialect.name) one")
            }
            state = saved
            if saved.day == today { engine.alerted = saved.alerted }
            for d in saved.pending { notifier.add(d) }
            log("resuming from \(path): \(counted(saved.files.count, "file")), \(counted(engine.alerted.count, "sender")) alerted about today, \(counted(saved.held.count, "sender")) held, \(counted(saved.pending.count, "notice")) to deliver")
        }
        var hold = SenderHold(input: input, options: cleanup, held: options.hold || options.holdDryRun ? state.held : [])
        hold.every = options.holdEvery
        let follower = LogFollower()
        spoolsweep_catch_stop_signals()

        var events: [FollowEvent] = []
        follower.follow(engine.files(), resume: state.files, events: &events)
        for f in engine.folders { follower.watch(folder: f) }
        let started = LogFollower.milliseconds()
        log("following \(follower.paths.joined(separator: ", ")) (\(dialect.name); \(follower.usesInotify ? "inotify" : "polling every \(options.pollMilliseconds) ms"))")
        events.removeAll { $0.kind == .opened }
        var caughtUp = false
        var lastAssessment: Int64 = 0, lastListing = LogFollower.milliseconds(), lastSave: Int64 = 0
        var stateDirty = true

        let hostName = Self.hostName()
        func report(_ event: FollowEvent) {
            log("\(event.path): \(event.kind.rawValue): \(event.detail)")
        }
        func deliver(_ notice: WatchNotice) {
            let about = "\(notice.event.rawValue) \(notice.suspect.name)"
            if let exec = options.exec {
                notifier.add(NoticeDelivery(label: "--exec \(exec[0])", about: about, program: exec[0], arguments: Array(exec.dropFirst()),
                                            environment: notice.environment.map { "\($0.0)=\($0.1)" }, input: notice.json().compact() + "\n"))
            }
            if let to = options.mailTo, let sendmail {
                notifier.add(NoticeDelivery(label: "--mail-to \(to)", about: about, program: sendmail, arguments: ["-t", "-i"],
                                            environment: [], input: notice.mail(to: to, host: hostName)))
            }
        }
        func saveState() {
            guard let path = options.statePath else { return }
            state.day = engine.day
            state.files = follower.marks
            state.alerted = engine.alerted
            state.held = hold.held
            state.pending = notifier.pending
            do { try state.save(path) } catch { log("\(error)") }
            lastSave = LogFollower.clock()
            stateDirty = false
        }

        while spoolsweep_stop_signal() == 0 {
            follower.poll(events: &events) { path, line in engine.take(line, of: path) }
            for e in events { report(e) }
            if !events.isEmpty { stateDirty = true }
            events.removeAll()
            if !caughtUp {
                caughtUp = true
                let seconds = Double(LogFollower.milliseconds() - started) / 1000
                log("read \(counted(engine.lines, "line")) of \(counted(follower.paths.count, "file")) in \(seconds) s"
                    + (engine.unrecognised > 0 ? " (\(engine.unrecognised) not the server's)" : "") + "; now following as they are written")
            }
            // A new day: its own ledger (and, for SmarterMail, its own files).
            let day = LocalTime.now().day
            if day != engine.day {
                for n in engine.linesSinceAssessment > 0 ? engine.assess(now: LocalTime.now()) : [] { emit(render(n, options)); deliver(n) }
                engine.start(day: day)
                follower.forgetClosed()
                log("a new day: the evidence starts again from \(LocalTime(seconds: day * 86_400).description.prefix(10))")
                stateDirty = true
            }
            var ms = LogFollower.milliseconds()
            if ms - lastListing >= 500 {
                follower.follow(engine.files(), events: &events)
                lastListing = ms
            }
            let linesCame = engine.linesSinceAssessment > 0
            if linesCame && ms - lastAssessment >= 250 {
                lastAssessment = ms
                let notices = engine.assess(now: LocalTime.now())
                for var n in notices {
                    if n.event == .alert && (options.hold || options.holdDryRun) {
                        n.hold = hold.start(n.suspect, now: LocalTime.now())
                    }
                    emit(render(n, options))
                    deliver(n)
                }
                // An alert is on record at once: a restart after it does not repeat it.
                if !notices.isEmpty { saveState() }
            }
            if !hold.held.isEmpty {
                for line in hold.tick(messages: engine.messagesOver, linesCame: linesCame) { log("hold: \(line)"); stateDirty = true }
            }
            if let path = options.statePath {
                for sender in WatchState.takeReleases(statePath: path) {
                    log(hold.release(sender) ? "released \(sender): its new messages stay in the queue" : "release \(sender): not held")
                    stateDirty = true
                }
            }
            let waiting = notifier.pending.count
            let delivered = notifier.tick()
            for line in delivered { log(line) }
            if !delivered.isEmpty || notifier.pending.count != waiting { stateDirty = true }
            ms = LogFollower.milliseconds()
            if stateDirty && ms / 1000 - lastSave >= 1 { saveState() }
            follower.wait(milliseconds: notifier.isIdle ? options.pollMilliseconds : min(options.pollMilliseconds, 200))
        }
        // Stopped: what was written up to now is read and assessed, undelivered notices kept.
        follower.poll(events: &events) { path, line in engine.take(line, of: path) }
        if engine.linesSinceAssessment > 0 {
            for n in engine.assess(now: LocalTime.now()) { emit(render(n, options)); deliver(n) }
        }
        let over = engine.report().suspects
        emit(options.json ? WatchNotice.stoppedJSON(over, server: dialect.name, lines: engine.lines).compact() + "\n"
                          : WatchNotice.stoppedText(over, lines: engine.lines))
        for line in notifier.tick() + notifier.drain(upTo: min(options.execTimeout, 5)) { log(line) }
        saveState()
        let left = notifier.pending.count
        log("stopped by signal \(spoolsweep_stop_signal()) after \(counted(engine.lines, "line"))"
            + (options.statePath.map { "; state saved to \($0)" } ?? "")
            + (left > 0 ? "; \(counted(left, "notice")) not delivered yet (retried at the next start)" : ""))
        return .success
    }

    private static func render(_ n: WatchNotice, _ options: WatchOptions) -> String {
        options.json ? n.json().compact() + "\n" : n.text()
    }

}
