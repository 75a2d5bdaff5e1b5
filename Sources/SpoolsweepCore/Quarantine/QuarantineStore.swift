import Glibc

/// A message a run acted on, or could not.
public struct MessageOutcome: Equatable, Sendable {
    public let id: String
    public let queue: String
    public let sender: String
    public let account: String?
    public let size: Int
    /// Why it was skipped or failed; nil when it was moved or deleted.
    public let reason: String?
}

/// What a recovery found and did.
public struct RecoveryReport: Equatable, Sendable {
    /// Interrupted runs finished.
    public var journals = 0
    /// Messages whose interrupted move or deletion was completed.
    public var completed = 0
    /// Messages an interrupted run had announced but not touched.
    public var rolledBack = 0
    /// Purge audit records written for messages an interrupted purge deleted.
    public var auditRecords = 0
    /// What could not be resolved (left as it is, reported).
    public var problems: [String] = []
    public init() {}
}

/// What a quarantine, purge or restore run did.
public struct MoveReport: Sendable {
    public let operation: JournalOperation
    public let run: String
    public let batch: String
    public let batchFolder: String
    /// The quarantine root (the purge audit is `purged.jsonl` there).
    public let quarantineRoot: String
    public let dryRun: Bool
    /// The server's command the run acted through (`postsuper`); nil when files moved.
    public var via: String? = nil
    /// What that command's quarantine and restore are called.
    public var holdWords = HoldWords()
    /// A dry run through the server's command: the command, checked present and serving the queue.
    public var checkedTool: String?
    public var moved: [MessageOutcome] = []
    public var skipped: [MessageOutcome] = []
    public var failed: [MessageOutcome] = []
    /// What recovery did before the run.
    public var recovery = RecoveryReport()
    /// Trouble with the run's own journal (then `spool recover` settles it).
    public var problems: [String] = []
    public var bytes: Int { moved.reduce(0) { $0 + $1.size } }
}

/// A quarantine folder beside a spool: journals, batches of quarantined messages, and the purge
/// audit. Independent of the server: a message is an id and a list of files below the spool
/// root, so Postfix and Exim queue copies use the same store.
///
/// Layout (folders 0700):
///
///     <root>/journal/<run>.journal    one per run, JSON lines, appended and fsynced
///     <root>/batches/<batch>/<path>   quarantined files, at their path relative to the spool root
///     <root>/purged.jsonl             one audit record per purged message
public final class QuarantineStore {
    public let spoolRoot: String
    public let root: String
    private let spool: SafeFolder
    /// The server's command for its live queue (postsuper), when it has one: runs through it are
    /// recovered, listed and restored through it.
    public let control: (any QueueControl)?
    /// Messages per journal fsync: intents are durable before any of their files move.
    static let group = 64
    /// Messages per call of the server's command (each call is a process).
    static let controlGroup = 1024

    /// The default quarantine root: `spoolsweep-quarantine/` beside the spool folder (same
    /// file system, so a quarantine is a rename).
    public static func defaultRoot(for spoolRoot: String) -> String {
        var parent = spoolRoot
        while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
        if let slash = parent.lastIndex(of: "/") { parent = slash == parent.startIndex ? "/" : String(parent[..<slash]) } else { parent = "." }
        return FileSystem.join(parent, "spoolsweep-quarantine")
    }

    /// Opens the store for the spool at `spoolRoot`; `create` makes the quarantine folders.
    public init(spoolRoot: String, root: String?, create: Bool, control: (any QueueControl)? = nil) throws(SpoolsweepError) {
        self.control = control
        self.spoolRoot = QuarantineStore.absolute(spoolRoot)
        self.root = QuarantineStore.absolute(root ?? QuarantineStore.defaultRoot(for: spoolRoot))
        do { spool = try SafeFolder.root(self.spoolRoot) } catch { throw .quarantine(error.description) }
        if create {
            for sub in ["", "/journal", "/batches"] {
                let p = self.root + sub
                if mkdir(p, 0o700) != 0 && errno != EEXIST {
                    throw .quarantine("\(p): cannot create the quarantine folder: \(FileSystem.errorText(errno))")
                }
                guard FileSystem.kind(p) == .folder else { throw .quarantine("\(p): not a folder (a link is not followed)") }
            }
        }
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var p = Substring(path)
        while p.hasPrefix("./") { p = p.dropFirst(2) }
        return p == "." ? cwd : FileSystem.join(cwd, String(p))
    }

    fileprivate func folder(_ sub: String, create: Bool) throws(MoveError) -> SafeFolder? {
        guard FileSystem.kind(root) == .folder else { return nil }
        let r = try SafeFolder.root(root)
        return try r.open(RelativePath(sub)!.components, create: create)
    }

    fileprivate func batchFolder(_ batch: String, create: Bool) throws(MoveError) -> SafeFolder {
        try folder("batches", create: create)!.open([batch], create: create)
    }

    // MARK: - Journals

    /// The journals in the store whose file name passes `include`, oldest first. Only these are
    /// read: a store that has seen thousands of runs stays quick to open.
    public func journals(_ include: (String) -> Bool = { _ in true }) throws(SpoolsweepError) -> [Journal] {
        let dir = FileSystem.join(root, "journal")
        guard FileSystem.kind(dir) == .folder else { return [] }
        var out: [Journal] = []
        for name in FileSystem.list(dir) ?? [] where name.hasSuffix(".journal") && include(name) {
            do {
                out.append(try Journal.read(FileSystem.join(dir, name)))
            } catch MoveError.abandonedJournal {
                continue // nothing happened under it; recovery removes it
            } catch {
                throw .quarantine(error.description)
            }
        }
        return out.sorted { ($0.header.started, $0.header.run) < ($1.header.started, $1.header.run) }
    }

    /// The compacted journals.
    var history: QuarantineHistory { QuarantineHistory(quarantineRoot: root) }

    /// Folds the journals of finished runs with nothing left in quarantine (restores, purges
    /// whose audit is whole, quarantines whose batch is empty) into the history, and removes
    /// them. Returns how many were folded.
    @discardableResult
    public func compact() throws(SpoolsweepError) -> Int {
        let dir = FileSystem.join(root, "journal")
        // A journal that cannot be read, or names other roots, stays: the listing and restore
        // refuse it, saying why.
        let finished = (FileSystem.list(dir) ?? []).sorted().compactMap { name -> Journal? in
            guard name.hasSuffix(".journal"), Journal.hasEnded(FileSystem.join(dir, name)),
                  let j = try? Journal.read(FileSystem.join(dir, name)), (try? checkRoots(j)) != nil else { return nil }
            return j
        }
        guard !finished.isEmpty else { return 0 }
        var runs = history.runs()
        var audited: Set<String>?
        var folded = 0
        for journal in finished {
            let h = journal.header
            switch h.operation {
            case .restore: break
            case .purge:
                // The audit is the lasting record of a purge: it must name every deletion first.
                if audited == nil { audited = Set(try audit.read().records.compactMap { r in r["run"]?.stringValue.flatMap { run in r["id"]?.stringValue.map { run + " " + $0 } } }) }
                guard journal.intents.allSatisfy({ journal.outcomes[$0.seq] != .done || audited!.contains(h.run + " " + $0.id) }) else { continue }
            case .quarantine:
                guard (try? quarantined(batch: h.batch))?.isEmpty == true else { continue }
                // An empty batch folder (a run rolled back before anything moved) goes with it.
                if h.via == nil { QuarantineStore.removeEmptyFolders(FileSystem.join(root, "batches/\(h.batch)")) }
            }
            try history.append(journal, known: &runs)
            guard unlink(journal.path) == 0 else { throw .quarantine("\(journal.path): \(FileSystem.errorText(errno))") }
            folded += 1
        }
        if folded > 0, let folder = try? folder("journal", create: false) { folder.sync() }
        return folded
    }

    /// Journals of runs that did not finish (a cheap look at each file's last line first).
    public func unfinishedJournals() throws(SpoolsweepError) -> [Journal] {
        let dir = FileSystem.join(root, "journal")
        return try journals { !Journal.hasEnded(FileSystem.join(dir, $0)) }
    }

    /// The journals of quarantine runs whose batch still holds something (a batch folder, or
    /// messages held through the server's command).
    func quarantineJournals(batch: String?) throws(SpoolsweepError) -> [Journal] {
        try journals { name in
            let run = String(name.dropLast(".journal".count))
            return run.hasPrefix("q-") && (batch == nil || batch == run)
                && (self.control != nil || FileSystem.kind(FileSystem.join(self.root, "batches/\(run)")) == .folder)
        }
    }

    /// A new run id: `q-20261128-180000-4f2a` (operation letter, local time, random).
    static func newRun(_ operation: JournalOperation, now: LocalTime) -> String {
        let letter = ["quarantine": "q", "restore": "r", "purge": "p"][operation.rawValue]!
        let d = now.dateString.filter { $0 != "-" }
        let t = now.description.suffix(8).filter { $0 != ":" }
        let random = String(UInt16.random(in: .min ... .max), radix: 16)
        return "\(letter)-\(d)-\(t)-\(String(repeating: "0", count: 4 - random.count))\(random)"
    }

    // MARK: - Recovery

    /// Finishes every run a crash interrupted: each announced message ends wholly where it was
    /// or wholly where it was going (byte-identical, checked by SHA-256), never half-moved.
    public func recover() throws(SpoolsweepError) -> RecoveryReport {
        var report = RecoveryReport()
        let dir = FileSystem.join(root, "journal")
        for name in FileSystem.list(dir) ?? [] where name.hasSuffix(".journal") && !Journal.hasEnded(FileSystem.join(dir, name)) {
            let journal: Journal
            do {
                journal = try Journal.read(FileSystem.join(dir, name))
            } catch MoveError.abandonedJournal {
                _ = unlink(FileSystem.join(dir, name)) // killed before its header was whole: nothing happened
                continue
            } catch {
                throw .quarantine(error.description)
            }
            try checkRoots(journal)
            report.journals += 1
            let writer: JournalWriter
            do { writer = try JournalWriter(appendingTo: journal.path) } catch { throw .quarantine(error.description) }
            let places = try placesNow(journal)
            var purged = Set(journal.outcomes.compactMap { $0.value == .done ? $0.key : nil })
            for intent in journal.pending {
                let record: JSON
                switch places.map({ resolve(intent, journal.header, places: $0) }) ?? resolve(intent, journal.header) {
                case .completed:
                    report.completed += 1
                    purged.insert(intent.seq)
                    record = .object([("op", .string("done")), ("seq", .int(intent.seq)), ("recovered", .bool(true))])
                case .untouched:
                    report.rolledBack += 1
                    record = .object([("op", .string("failed")), ("seq", .int(intent.seq)),
                                      ("reason", .string("interrupted before it began; left in place"))])
                case .problem(let text):
                    report.problems.append("\(journal.header.run) message \(intent.id): \(text)")
                    record = .object([("op", .string("failed")), ("seq", .int(intent.seq)), ("reason", .string(text))])
                }
                do { try writer.append([record], sync: true) } catch { throw .quarantine(error.description) }
            }
            if journal.header.operation == .purge {
                // Every message the run purged gets its audit record, once.
                do {
                    let (written, problems) = try audit.append(journal.intents.filter { purged.contains($0.seq) }, run: journal.header.run,
                                                               time: journal.header.started, skipRecorded: true)
                    report.auditRecords += written
                    report.problems += problems
                } catch {
                    report.problems.append("\(journal.header.run): \(error); left for the next recovery")
                    continue
                }
            }
            do { try writer.append([.object([("op", .string("end")), ("recovered", .bool(true))])], sync: true) }
            catch { throw .quarantine(error.description) }
        }
        return report
    }

    /// A journal whose roots are not this spool and this quarantine is foreign or tampered
    /// with: refused, never acted on.
    private func checkRoots(_ journal: Journal) throws(SpoolsweepError) {
        guard journal.header.spoolRoot == spoolRoot, journal.header.quarantineRoot == root else {
            throw .quarantine("\(journal.path): the journal names spool \(journal.header.spoolRoot) and quarantine \(journal.header.quarantineRoot), not \(spoolRoot) and \(root); refused")
        }
    }

    enum Resolution: Equatable { case completed, untouched, problem(String) }

    /// For a run through the server's command: where its unfinished messages are now.
    /// Recovering an interrupted purge first finishes it.
    private func placesNow(_ journal: Journal) throws(SpoolsweepError) -> [String: QueueLocation]? {
        guard let via = journal.header.via else { return nil }
        guard let control = control?.acting(for: via) else {
            throw .quarantine("\(journal.path): the run acted through \(via), which this queue does not use; refused")
        }
        let ids = Set(journal.pending.map(\.id))
        let places = control.locate(ids)
        // An interrupted purge is finished, as one of files is: its audit record says purged.
        guard journal.header.operation == .purge, !places.isEmpty, (try? control.check()) != nil else { return places }
        _ = try? control.act(.purge, ids: places.keys.sorted())
        return control.locate(ids)
    }

    /// An interrupted run through the server's command: the command acts on a message at once
    /// (a rename in the queue), so it either reached its place or was never touched.
    func resolve(_ intent: JournalIntent, _ header: JournalHeader, places: [String: QueueLocation]) -> Resolution {
        let control = header.via.flatMap { self.control?.acting(for: $0) } ?? self.control
        return control!.reached(header.operation, places[intent.id]) ? .completed : .untouched
    }

    /// Where the files of an interrupted message are, and what is left to do.
    func resolve(_ intent: JournalIntent, _ header: JournalHeader) -> Resolution {
        do {
            // A purge has no batch folder: it deletes in place. An interrupted purge is finished
            // (its audit record already says the message was purged).
            let (from, to): (SafeFolder, SafeFolder?)
            switch header.operation {
            case .quarantine: (from, to) = (spool, try batchFolder(header.batch, create: true))
            case .restore: (from, to) = (try batchFolder(header.batch, create: false), spool)
            case .purge where header.batch == header.run: (from, to) = (spool, nil)
            case .purge:
                // A purge of a quarantine batch deletes in the batch folder; gone with it, done.
                guard let folder = try? batchFolder(header.batch, create: false) else { return .completed }
                (from, to) = (folder, nil)
            }
            var atSource: [JournalFile] = [], atTarget = 0, missing: [String] = []
            for file in intent.files {
                let src = try? from.open(file.path.folder, create: false)
                let srcHas = try src.map { try $0.facts(file.path.name) != nil } ?? false
                guard let to else {
                    if srcHas { atSource.append(file) } else { atTarget += 1 }
                    continue
                }
                let dst = try to.open(file.path.folder, create: true, mode: header.operation == .restore ? 0o755 : 0o700)
                try dst.remove("." + file.path.name + FileMove.partialSuffix) // a copy cut short
                var dstGood = false
                if try dst.facts(file.path.name) != nil {
                    let f = try FileFacts.of(file.path.name, in: dst)
                    dstGood = f.size == file.facts.size && f.sha256 == file.facts.sha256
                    if !dstGood {
                        guard srcHas else { return .problem("\(file.path) is only in \(dst.path), and does not match its SHA-256") }
                        try dst.remove(file.path.name) // a bad copy; the original is intact
                    }
                }
                switch (srcHas, dstGood) {
                case (true, true): try src!.remove(file.path.name); src!.sync(); atTarget += 1 // moved, not yet unlinked
                case (true, false): atSource.append(file)
                case (false, true): atTarget += 1
                case (false, false): missing.append(file.path.description)
                }
            }
            if !missing.isEmpty {
                return .problem("\(missing.joined(separator: ", ")) neither at the source nor at the target (removed by the server meanwhile?)")
            }
            if atTarget == 0 && to != nil { return .untouched }
            // Part of it moved (or deleted): finish what the run was asked to do.
            for file in atSource {
                let src = try from.open(file.path.folder, create: false)
                if let to {
                    let dst = try to.open(file.path.folder, create: true, mode: header.operation == .restore ? 0o755 : 0o700)
                    try FileMove.move(file.path.name, from: src, to: dst, expected: file.facts)
                    dst.sync()
                } else {
                    try src.remove(file.path.name)
                }
                src.sync()
            }
            return .completed
        } catch {
            return .problem("\(error)")
        }
    }

    // MARK: - Quarantine and purge

    /// Builds the intent for `message`, or says why it must not be touched.
    func intent(
        _ operation: JournalOperation, for message: QueuedMessage, subject: String, seq: Int, minAge: Int, through control: (any QueueControl)?
    ) -> (JournalIntent?, skip: String?, fail: String?) {
        if message.beingWritten { return (nil, "being written by the server (state \(message.state))", nil) }
        if let control {
            guard control.isValidID(message.id) else { return (nil, nil, "'\(message.id)' is not a queue id \(control.tool) takes") }
            if operation == .quarantine && message.queue == control.holdQueue { return (nil, control.alreadyHeld, nil) }
        }
        let nowUnix = Int(time(nil))
        var files: [JournalFile] = []
        for path in message.files {
            guard let rel = RelativePath(path, under: spoolRoot) ?? RelativePath(QueuedMessage.absolute(path), under: spoolRoot) else {
                return (nil, nil, "\(path) is not below the spool root \(spoolRoot)")
            }
            do {
                let dir = try spool.open(rel.folder, create: false)
                guard let st = try dir.facts(rel.name) else { return (nil, "gone from the spool (delivered meanwhile)", nil) }
                // A time in the future is not a write: Postfix sets a deferred file's to its next retry.
                let age = nowUnix - Int(st.st_mtim.tv_sec)
                if age >= -2 && age < minAge {
                    return (nil, "modified \(max(0, age))s ago (younger than --min-age \(minAge)s)", nil)
                }
                files.append(JournalFile(path: rel, facts: try FileFacts.of(rel.name, in: dir)))
            } catch {
                return (nil, nil, error.description)
            }
        }
        guard !files.isEmpty else { return (nil, nil, "no files") }
        let content = message.contentPath.flatMap { RelativePath(QueuedMessage.absolute($0), under: spoolRoot) }
        return (JournalIntent(seq: seq, id: message.id, queue: message.queue, state: message.state, sender: message.sender,
                              account: message.account, clientIP: message.clientIP, recipients: message.recipients,
                              subject: subject, created: message.created, size: message.size, content: content, files: files),
                nil, nil)
    }

    /// Moves (quarantine) or deletes (purge) the selected messages, journaled.
    /// `throughControl`: act through the server's command (postsuper) instead of moving files.
    public func apply(
        _ operation: JournalOperation, to selected: [SelectedMessage], minAge: Int, dryRun: Bool, now: LocalTime,
        throughControl: Bool = false
    ) throws(SpoolsweepError) -> MoveReport {
        precondition(operation != .restore)
        let via = throughControl ? control : nil
        let run = QuarantineStore.newRun(operation, now: now)
        var report = MoveReport(operation: operation, run: run, batch: run,
                                batchFolder: operation == .quarantine && via == nil ? FileSystem.join(root, "batches/\(run)") : "",
                                quarantineRoot: root, dryRun: dryRun, via: via?.tool)
        if let via { report.holdWords = via.holdWords }
        let journaled = JournaledRun(store: self, header: header(operation, run: run, batch: run, now: now, via: via),
                                     from: spool, to: nil, report: report, dryRun: dryRun)
        // Each message is checked and hashed just before its group is journaled, so the time
        // between a file's hash and its move stays short.
        for (n, s) in selected.enumerated() {
            let m = s.message
            let (intent, skip, fail) = intent(operation, for: m, subject: s.subject, seq: n + 1, minAge: minAge, through: via)
            let outcome = MessageOutcome(id: m.id, queue: m.queue, sender: m.sender, account: m.account, size: m.size, reason: skip ?? fail)
            if skip != nil { journaled.report.skipped.append(outcome) }
            if fail != nil { journaled.report.failed.append(outcome) }
            if let intent { try journaled.add(intent) }
        }
        try journaled.finish()
        return journaled.report
    }

    private func header(_ operation: JournalOperation, run: String, batch: String, now: LocalTime, via: (any QueueControl)?) -> JournalHeader {
        JournalHeader(run: run, operation: operation, batch: batch, spoolRoot: spoolRoot, quarantineRoot: root, started: now, via: via?.tool)
    }

    /// The purge audit (`purged.jsonl`).
    var audit: PurgeAudit { PurgeAudit(quarantineRoot: root) }

    fileprivate func outcome(_ i: JournalIntent, _ reason: String?) -> MessageOutcome {
        MessageOutcome(id: i.id, queue: i.queue, sender: i.sender, account: i.account, size: i.size, reason: reason)
    }

    /// A failure after which the message is wholly back where it was.
    struct RolledBack: Error { let reason: String }

    fileprivate func perform(
        _ intent: JournalIntent, from source: SafeFolder, to target: SafeFolder?, restoring: Bool,
        touched: inout [String: SafeFolder]
    ) throws {
        var done: [(JournalFile, SafeFolder, SafeFolder)] = []
        do {
            for file in intent.files {
                let src = try source.open(file.path.folder, create: false)
                touched[src.path] = src
                if let target {
                    let dst = try target.open(file.path.folder, create: true, mode: restoring ? 0o755 : 0o700)
                    touched[dst.path] = dst
                    try FileMove.move(file.path.name, from: src, to: dst, expected: file.facts)
                    done.append((file, src, dst))
                } else {
                    try src.remove(file.path.name)
                    done.append((file, src, src))
                }
            }
        } catch {
            guard target != nil else {
                if done.isEmpty { throw RolledBack(reason: error.description) }
                throw MoveError("\(error.description) after deleting \(done.map { $0.0.path.description }.joined(separator: ", "))")
            }
            // Put back what already moved, newest first.
            for (file, src, dst) in done.reversed() {
                try FileMove.move(file.path.name, from: dst, to: src, expected: file.facts)
            }
            throw RolledBack(reason: error.description)
        }
    }

    // MARK: - Restore

    /// Messages of `batch` still in quarantine, with the journal that put them there.
    public func quarantined(batch: String? = nil) throws(SpoolsweepError) -> [(header: JournalHeader, intent: JournalIntent)] {
        var out: [(JournalHeader, JournalIntent)] = []
        let journals = try quarantineJournals(batch: batch).filter { $0.header.operation == .quarantine }
        // Messages held through the server's command are listed while still on hold: one look
        // at the queue for all of them.
        // at the queue per way they were held (Exim: frozen, or a named queue).
        var placesByVia: [String: [String: QueueLocation]] = [:]
        for j in journals {
            try checkRoots(j)
            if let via = j.header.via {
                guard let control = control?.acting(for: via) else {
                    throw .quarantine("\(j.path): the run acted through \(via), which this queue does not use; refused")
                }
                if placesByVia[via] == nil {
                    let ids = Set(journals.filter { $0.header.via == via }.flatMap { j in j.intents.filter { j.outcomes[$0.seq] == .done }.map(\.id) })
                    placesByVia[via] = control.locate(ids)
                }
                let places = placesByVia[via]!
                out += j.intents.filter { j.outcomes[$0.seq] == .done && places[$0.id]?.queue == control.holdQueue }.map { (j.header, $0) }
                continue
            }
            guard let folder = try? batchFolder(j.header.batch, create: false) else { continue }
            for i in j.intents where j.outcomes[i.seq] == .done {
                // Listed while any of its files is there: restore then says what is missing.
                let present = i.files.contains { f in (try? folder.open(f.path.folder, create: false).exists(f.path.name)) ?? false }
                if present { out.append((j.header, i)) }
            }
        }
        return out
    }

    /// Puts the selected messages of `batch` back exactly where they were in the spool.
    /// `fileMoves`: a batch quarantined by moving files may be moved back (refused on a live
    /// queue that has a command of its own: it was quarantined from a copy, with `--offline`).
    public func restore(batch: String, select: (QueuedMessage) -> Bool, now: LocalTime, dryRun: Bool, fileMoves: Bool = true) throws(SpoolsweepError) -> MoveReport {
        guard RelativePath(batch)?.components.count == 1 else { throw .badValue("not a batch id: '\(batch)'") }
        let held = try quarantined(batch: batch)
        if let done = finished(.restore, batch: batch, held: held, now: now, dryRun: dryRun) { return done }
        let known = FileSystem.kind(FileSystem.join(root, "journal/\(batch).journal")) == .file
        guard !held.isEmpty || known else {
            throw .badValue("no quarantine batch '\(batch)' in \(root) (see `spoolsweep spool quarantined`)")
        }
        let run = QuarantineStore.newRun(.restore, now: now)
        if let via = held.first?.header.via ?? (known ? (try? Journal.read(FileSystem.join(root, "journal/\(batch).journal")))?.header.via : nil) {
            return try throughControl(.restore, held, batch: batch, via: via, run: run, select: select, now: now, dryRun: dryRun)
        }
        guard fileMoves else {
            throw .badValue("batch \(batch) was quarantined by moving files (--offline); this live queue is changed through \(control?.tool ?? "the server's command"), and moving files behind the server's back is unsafe: add --offline if the server is not running on this queue")
        }
        return try fromBatchFolder(.restore, held, batch: batch, run: run, select: select, now: now, dryRun: dryRun)
    }

    /// Deletes the selected messages of quarantine batch `batch` for good, journaled and
    /// audited as a purge of the spool is: from the batch folder, or, for a batch held through
    /// the server's command, through that command (postsuper -d, exim -Mrm) while still held.
    public func purge(batch: String, select: (QueuedMessage) -> Bool, now: LocalTime, dryRun: Bool) throws(SpoolsweepError) -> MoveReport {
        guard RelativePath(batch)?.components.count == 1 else { throw .badValue("not a batch id: '\(batch)'") }
        let held = try quarantined(batch: batch)
        if let done = finished(.purge, batch: batch, held: held, now: now, dryRun: dryRun) { return done }
        guard !held.isEmpty || FileSystem.kind(FileSystem.join(root, "journal/\(batch).journal")) == .file else {
            throw .badValue("no quarantine batch '\(batch)' in \(root) (see `spoolsweep spool quarantined`)")
        }
        let run = QuarantineStore.newRun(.purge, now: now)
        if let via = held.first?.header.via {
            return try throughControl(.purge, held, batch: batch, via: via, run: run, select: select, now: now, dryRun: dryRun)
        }
        return try fromBatchFolder(.purge, held, batch: batch, run: run, select: select, now: now, dryRun: dryRun)
    }

    /// For a batch with nothing left in quarantine whose journal was compacted into the
    /// history: an empty report (nothing to do), not "no such batch".
    private func finished(_ operation: JournalOperation, batch: String, held: [(header: JournalHeader, intent: JournalIntent)],
                          now: LocalTime, dryRun: Bool) -> MoveReport? {
        guard held.isEmpty, FileSystem.kind(FileSystem.join(root, "journal/\(batch).journal")) != .file,
              history.runs().contains(batch) else { return nil }
        return MoveReport(operation: operation, run: QuarantineStore.newRun(operation, now: now), batch: batch, batchFolder: "",
                          quarantineRoot: root, dryRun: dryRun)
    }

    /// Restores or purges the selected messages of a batch quarantined by moving files.
    private func fromBatchFolder(
        _ operation: JournalOperation, _ held: [(header: JournalHeader, intent: JournalIntent)], batch: String, run: String,
        select: (QueuedMessage) -> Bool, now: LocalTime, dryRun: Bool
    ) throws(SpoolsweepError) -> MoveReport {
        var report = MoveReport(operation: operation, run: run, batch: batch,
                                batchFolder: FileSystem.join(root, "batches/\(batch)"), quarantineRoot: root, dryRun: dryRun)
        let folder: SafeFolder
        do { folder = try batchFolder(batch, create: false) } catch { throw .quarantine(error.description) }
        let verb = operation == .restore ? "restored" : "purged"
        var intents: [JournalIntent] = []
        for (_, i) in held {
            var m = QueuedMessage(id: i.id, queue: i.queue, state: i.state)
            m.sender = i.sender; m.account = i.account; m.clientIP = i.clientIP; m.recipients = i.recipients
            m.created = i.created; m.size = i.size
            m.contentPath = i.content.map { FileSystem.join(folder.path, $0.description) }
            guard select(m) else { continue }
            // The quarantined files must be what was journaled (and, to restore, nothing may be
            // in their way in the spool).
            var problem: String?
            for f in i.files {
                guard let dir = try? folder.open(f.path.folder, create: false),
                      let facts = try? FileFacts.of(f.path.name, in: dir),
                      facts.size == f.facts.size, facts.sha256 == f.facts.sha256 else {
                    problem = "\(f.path) in quarantine differs from the journal (changed or tampered with); not \(verb)"
                    break
                }
                if operation == .restore, let back = try? spool.open(f.path.folder, create: false), back.exists(f.path.name) {
                    problem = "\(spoolRoot)/\(f.path) already exists in the spool; not overwritten"
                    break
                }
            }
            if let problem { report.failed.append(outcome(i, problem)); continue }
            intents.append(JournalIntent(seq: intents.count + 1, id: i.id, queue: i.queue, state: i.state, sender: i.sender,
                                         account: i.account, clientIP: i.clientIP, recipients: i.recipients, subject: i.subject,
                                         created: i.created, size: i.size, content: i.content, files: i.files))
        }
        let journaled = JournaledRun(store: self, header: header(operation, run: run, batch: batch, now: now, via: nil),
                                     from: folder, to: operation == .restore ? spool : nil, report: report, dryRun: dryRun)
        for intent in intents { try journaled.add(intent) }
        try journaled.finish()
        if !dryRun { QuarantineStore.removeEmptyFolders(folder.path) } // a batch emptied whole disappears
        return journaled.report
    }

    /// Restores (releases) or purges the selected messages of a batch held through the server's
    /// command that are still on hold, through the same command.
    private func throughControl(
        _ operation: JournalOperation, _ held: [(header: JournalHeader, intent: JournalIntent)], batch: String, via: String, run: String,
        select: (QueuedMessage) -> Bool, now: LocalTime, dryRun: Bool
    ) throws(SpoolsweepError) -> MoveReport {
        guard let control = control?.acting(for: via) else {
            throw .quarantine("batch \(batch) was put on hold through \(via), which this queue does not use")
        }
        if !dryRun { try control.check() }
        let places = control.locate(Set(held.map(\.intent.id)))
        var report = MoveReport(operation: operation, run: run, batch: batch, batchFolder: "", quarantineRoot: root,
                                dryRun: dryRun, via: via)
        report.holdWords = control.holdWords
        let journaled = JournaledRun(store: self, header: header(operation, run: run, batch: batch, now: now, via: control),
                                     from: spool, to: nil, report: report, dryRun: dryRun, control: control)
        for (n, (_, i)) in held.enumerated() {
            guard let place = places[i.id] else { continue }
            var m = QueuedMessage(id: i.id, queue: place.queue, state: place.queue)
            m.sender = i.sender; m.account = i.account; m.clientIP = i.clientIP; m.recipients = i.recipients
            m.created = i.created; m.size = i.size
            m.contentPath = place.path
            m.contentEncoding = control.contentEncoding
            guard select(m) else { continue }
            try journaled.add(JournalIntent(seq: n + 1, id: i.id, queue: place.queue, state: place.queue, sender: i.sender,
                                            account: i.account, clientIP: i.clientIP, recipients: i.recipients, subject: i.subject,
                                            created: i.created, size: i.size, content: i.content, files: i.files))
        }
        try journaled.finish()
        return journaled.report
    }

    /// Removes `path` and the folders below it if they hold no file (never following a link).
    static func removeEmptyFolders(_ path: String) {
        for name in FileSystem.list(path) ?? [] where FileSystem.kind(FileSystem.join(path, name)) == .folder {
            removeEmptyFolders(FileSystem.join(path, name))
        }
        _ = rmdir(path)
    }

    /// The purge audit records, oldest first, and the numbers of its lines that are not whole
    /// records (damage, to report).
    public func purgeAudit() throws(SpoolsweepError) -> (records: [JSON], damaged: [Int]) { try audit.read() }
}

extension QueuedMessage {
    static func absolute(_ path: String) -> String { QuarantineStore.absolute(path) }
}

/// One run's journaled loop. Intents gather in groups; per group: the intents (and, for a purge,
/// the audit records) are fsynced, the files moved, the folders fsynced, the outcomes recorded.
/// A message that fails is put back as it was and the run goes on; if the journal itself cannot
/// be written, nothing more is touched.
private final class JournaledRun {
    let store: QuarantineStore
    let header: JournalHeader
    let source: SafeFolder
    /// Where files go; for a quarantine, the batch folder, made once the journal exists.
    var target: SafeFolder?
    let dryRun: Bool
    var report: MoveReport
    private var writer: JournalWriter?
    private var pending: [JournalIntent] = []
    private var journalBroken: String?

    /// The server's command the run acts through (the store's, or the variant for a batch's own way).
    let control: (any QueueControl)?

    init(store: QuarantineStore, header: JournalHeader, from source: SafeFolder, to target: SafeFolder?, report: MoveReport, dryRun: Bool,
         control: (any QueueControl)? = nil) {
        self.store = store
        self.control = control ?? store.control
        self.header = header
        self.source = source
        self.target = target
        self.report = report
        self.dryRun = dryRun
    }

    func add(_ intent: JournalIntent) throws(SpoolsweepError) {
        if dryRun { report.moved.append(store.outcome(intent, nil)); return }
        pending.append(intent)
        if pending.count == (header.via == nil ? QuarantineStore.group : QuarantineStore.controlGroup) { try flush() }
    }

    func finish() throws(SpoolsweepError) {
        try flush()
        guard let writer, journalBroken == nil else { return }
        do { try writer.append([.object([("op", .string("end"))])], sync: true) } catch {
            report.problems.append("cannot close the journal: \(error)")
        }
    }

    private func flush() throws(SpoolsweepError) {
        guard !pending.isEmpty else { return }
        let group = pending
        pending.removeAll()
        if let journalBroken {
            for i in group { report.failed.append(store.outcome(i, "not started: \(journalBroken)")) }
            return
        }
        if writer == nil {
            do {
                writer = try JournalWriter(creating: "\(header.run).journal", in: try store.folder("journal", create: true)!, header: header)
                if header.operation == .quarantine { target = try store.batchFolder(header.batch, create: true) }
            } catch { throw .quarantine("cannot start the journal: \(error)") }
        }
        do {
            try writer!.append(group.map(\.json), sync: true)
        } catch {
            // Nothing of this group has moved: stop here, the journal stays consistent.
            journalBroken = "\(error)"
            for i in group { report.failed.append(store.outcome(i, "not started: \(error)")) }
            return
        }
        let records = header.via != nil ? actThroughControl(group) : move(group)
        do { try writer!.append(records, sync: true) } catch {
            journalBroken = "the journal cannot be written (\(error))"
            report.problems.append("cannot record outcomes in the journal (\(error)); `spoolsweep spool recover` will resolve them")
            return
        }
        guard header.operation == .purge else { return }
        // The deletions are settled: now the audit says so.
        let purged = Set(records.compactMap { r in r["op"]?.stringValue == "done" ? r["seq"]?.intValue : nil })
        do {
            report.problems += try store.audit.append(group.filter { purged.contains($0.seq) }, run: header.run, time: header.started, skipRecorded: false).problems
        } catch {
            journalBroken = "the purge audit cannot be written (\(error))"
            report.problems.append("\(error): the messages already purged are named in the journal, and `spoolsweep spool recover` writes their records once it can; no more is purged")
        }
    }

    /// The server's command acts on the whole group; then each message's place says whether it
    /// was done. The command's own words explain a message it did not act on.
    private func actThroughControl(_ group: [JournalIntent]) -> [JSON] {
        let control = self.control!
        var said: [String] = []
        var failure: String?
        do { said = try control.act(header.operation, ids: group.map(\.id)) } catch { failure = error.description }
        let places = control.locate(Set(group.map(\.id)))
        var records: [JSON] = []
        for intent in group {
            if control.reached(header.operation, places[intent.id]) {
                records.append(.object([("op", .string("done")), ("seq", .int(intent.seq))]))
                report.moved.append(store.outcome(intent, nil))
                continue
            }
            let reason = failure ?? said.first { $0.contains(intent.id) }
                ?? (places[intent.id] == nil ? "no longer in the queue (delivered or removed meanwhile)"
                    : "\(control.tool) left it in \(places[intent.id]!.queue)")
            records.append(.object([("op", .string("failed")), ("seq", .int(intent.seq)), ("reason", .string(reason))]))
            report.failed.append(store.outcome(intent, reason))
        }
        return records
    }

    /// Moves (or deletes) the files of each message of the group.
    private func move(_ group: [JournalIntent]) -> [JSON] {
        var touched: [String: SafeFolder] = [:]
        var records: [JSON] = []
        for intent in group {
            do {
                try store.perform(intent, from: source, to: target, restoring: header.operation == .restore, touched: &touched)
                records.append(.object([("op", .string("done")), ("seq", .int(intent.seq))]))
                report.moved.append(store.outcome(intent, nil))
            } catch let error as QuarantineStore.RolledBack {
                records.append(.object([("op", .string("failed")), ("seq", .int(intent.seq)), ("reason", .string(error.reason))]))
                report.failed.append(store.outcome(intent, error.reason))
            } catch {
                // Could not be put back as it was: left pending for `spool recover`.
                report.failed.append(store.outcome(intent, "\(error); interrupted, run `spoolsweep spool recover`"))
            }
        }
        for dir in touched.values { dir.sync() }
        return records
    }
}
