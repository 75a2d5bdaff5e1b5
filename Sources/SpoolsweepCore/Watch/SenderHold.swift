/// A sender `watch --hold` keeps out of the queue: its kind and name, and the quarantine
/// batches its messages went to.
public struct HeldSender: Equatable, Sendable {
    public let kind: Suspect.Kind
    public let name: String
    public var since = LocalTime(seconds: 0)
    public var batches: [String] = []
    /// Its messages in the logs at the last hold run, and whether that run left some (too young).
    var messagesAtRun = -1
    var leftSome = false
    /// When its last run was (monotonic seconds); nil: none yet in this process.
    var lastRun: Int64?

    public var id: String { "\(kind.rawValue) \(name)" }

    public init(kind: Suspect.Kind, name: String) { (self.kind, self.name) = (kind, name) }

    /// From a `WatchNotice.senderID` (`account jane@x`, `relay_ip 192.0.2.7`).
    public init?(id: String) {
        guard let space = id.firstIndex(of: " "), let kind = Suspect.Kind(rawValue: String(id[..<space])) else { return nil }
        self.init(kind: kind, name: String(id[id.index(after: space)...]))
    }
}

/// `watch --hold`: a sender alerted about has its queued messages quarantined through the
/// dialect's own safe action (SmarterMail: a journaled move; Postfix: `postsuper -h`; Exim:
/// `exim -Mf`), exactly as `spool quarantine --auth '^NAME$'` (or `--ip`) would, and then its
/// new messages as they are queued, until released (`watch --release`, or `spool restore` of
/// one of its batches). Messages younger than `--min-age`, or being written, are left for a
/// later run.
public struct SenderHold {
    public let input: InputSelection
    public var options: CleanupOptions
    public private(set) var held: [HeldSender] = []
    /// Seconds between two runs for one sender (and between two looks for restored batches).
    public var every: Int64 = 10
    /// The spool the runs change, and the quarantine root they use (found once).
    private let spoolRoot: String?
    private let quarantineRoot: String?
    private var lastRestoreLook: Int64?

    public init(input: InputSelection, options: CleanupOptions, held: [HeldSender]) {
        self.input = input
        self.options = options
        self.held = held
        spoolRoot = (try? input.locate())?.1.spoolRoots.first
        quarantineRoot = spoolRoot.map { QuarantineStore.absolute(options.quarantineRoot ?? QuarantineStore.defaultRoot(for: $0)) }
    }

    public func isHeld(_ id: String) -> Bool { held.contains { $0.id == id } }

    /// Starts holding `s`: its queued messages now. Returns what was done, for the notice.
    public mutating func start(_ s: Suspect, now: LocalTime) -> String {
        guard !isHeld(WatchNotice.senderID(s)) else { return "already held" }
        var h = HeldSender(kind: s.kind, name: s.name)
        h.since = now
        held.append(h)
        return run(held.count - 1, messages: s.messages)
    }

    /// Holds what the held senders queued since their last run (at most every `every` seconds,
    /// and only when the logs show more messages of theirs, or the last run left some; a held
    /// sender under every threshold now, a new day say, every sixth time that new lines came);
    /// lets go of a sender one of whose batches was restored. `messages`: the messages of each
    /// sender over a threshold, by id. Returns what to report.
    public mutating func tick(messages: [String: Int], linesCame: Bool) -> [String] {
        var report: [String] = []
        let now = LogFollower.clock()
        if Self.due(lastRestoreLook, now, every) {
            lastRestoreLook = now
            let restored = restoredBatches()
            held.removeAll { h in
                guard let b = h.batches.first(where: restored.contains) else { return false }
                report.append("\(h.name): no longer held: batch \(b) was restored")
                return true
            }
        }
        for i in held.indices where Self.due(held[i].lastRun, now, every) {
            let n = messages[held[i].id] ?? held[i].messagesAtRun
            let quietSender = messages[held[i].id] == nil && linesCame && Self.due(held[i].lastRun, now, 6 * every)
            guard n > held[i].messagesAtRun || held[i].leftSome || quietSender else { continue }
            let text = run(i, messages: n)
            if text != "nothing queued" { report.append("\(held[i].name): \(text)") }
        }
        return report
    }

    /// Whether `interval` seconds have passed since `last` (always, when there was none).
    private static func due(_ last: Int64?, _ now: Int64, _ interval: Int64) -> Bool {
        last.map { now - $0 >= interval } ?? true
    }

    /// Stops holding the sender named `sender` (its id, or its name alone); whether one was.
    public mutating func release(_ sender: String) -> Bool {
        let before = held.count
        held.removeAll { $0.id == sender || $0.name.lowercased() == sender.lowercased() }
        return held.count < before
    }

    /// One quarantine run for `held[i]`.
    private mutating func run(_ i: Int, messages: Int) -> String {
        held[i].lastRun = LogFollower.clock()
        held[i].messagesAtRun = messages
        var o = options
        o.now = LocalTime.now()
        var filter = SpoolFilter()
        do {
            let pattern = try Pattern("^" + pcreEscape(held[i].name) + "$", caseless: true)
            if held[i].kind == .account { filter.account = pattern } else { filter.ip = pattern }
        } catch {
            return "cannot select its messages: \(error)"
        }
        o.filter = filter
        do {
            let (report, diagnostics) = try Spoolsweep.clean(.quarantine, input, options: o)
            // Messages still being written are held at a later run; those already on hold by
            // someone else stay as they are.
            let young = report.skipped.filter { ($0.reason ?? "").contains("being written") || ($0.reason ?? "").contains("younger than") }.count
            held[i].leftSome = young > 0
            if !report.moved.isEmpty && !o.dryRun && !held[i].batches.contains(report.batch) { held[i].batches.append(report.batch) }
            var text: String
            if report.moved.isEmpty && young == 0 && report.failed.isEmpty && diagnostics.warnings.isEmpty {
                text = "nothing queued"
            } else if o.dryRun {
                text = "would quarantine \(counted(report.moved.count, "message")) (\(formatBytes(report.bytes))) (--hold-dry-run)"
            } else {
                let verb = report.via == nil ? "quarantined into batch \(report.batch)" : "\(report.holdWords.hold) (batch \(report.batch))"
                text = "\(counted(report.moved.count, "message")) (\(formatBytes(report.bytes))) \(verb)"
                if !report.moved.isEmpty { text += "; undo: spoolsweep spool restore \(report.batch) \(shellQuote(spoolRoot ?? ""))" }
            }
            if young > 0 { text += "; \(young) left for a later run (still being written, or younger than --min-age)" }
            if !report.failed.isEmpty { text += "; \(report.failed.count) could not be moved: " + report.failed.prefix(3).map { "\($0.id): \($0.reason ?? "failed")" }.joined(separator: "; ") }
            for w in diagnostics.warnings.prefix(3) where report.failed.isEmpty { text += "; \(w.path): \(w.reason)" }
            return text
        } catch {
            held[i].leftSome = true // tried again at the next run
            return "not held this time: \(error)"
        }
    }

    /// The batches a restore run took messages back from, from the quarantine's history.
    private func restoredBatches() -> Set<String> {
        guard !held.isEmpty, let root = quarantineRoot else { return [] }
        let ours = Set(held.flatMap(\.batches))
        guard !ours.isEmpty else { return [] }
        var restored = Set<String>()
        for e in QuarantineHistory(quarantineRoot: root).read() where e.header.operation == .restore && ours.contains(e.header.batch) {
            restored.insert(e.header.batch)
        }
        return restored
    }
}
