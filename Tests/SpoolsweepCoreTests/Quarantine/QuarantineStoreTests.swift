import Glibc
import Testing
@testable import SpoolsweepCore

/// A copy of the sample spool, its default quarantine root, and the state of every file.
private struct Setup {
    let dir: TempFolder
    let spool: String
    let qroot: String
    let original: [String: QTest.FileState]
    var input: InputSelection { InputSelection(paths: [spool]) }

    init(_ tag: String) throws {
        (dir, spool) = try QTest.spoolCopy(tag)
        qroot = dir.at("spoolsweep-quarantine")
        original = QTest.snapshot(spool)
    }

    func batch(_ id: String) -> String { qroot + "/batches/" + id }

    /// The original states of the files the server is still writing (never moved).
    var writing: [String: QTest.FileState] { original.filter { QTest.writingFiles.contains($0.key) } }
    var movable: [String: QTest.FileState] { original.filter { !QTest.writingFiles.contains($0.key) } }

    func quarantineAll() throws -> MoveReport {
        let (report, _) = try Spoolsweep.clean(.quarantine, input, options: QTest.options())
        #expect(report.moved.count == 111)
        #expect(report.failed.isEmpty)
        return report
    }
}

private func thrown(_ body: () throws -> Void) -> SpoolsweepError? {
    do { try body(); return nil } catch let error as SpoolsweepError { return error } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

private func reasonsByID(_ outcomes: [MessageOutcome]) -> [String: String] {
    Dictionary(outcomes.map { ($0.id, $0.reason ?? "") }, uniquingKeysWith: { a, _ in a })
}

@Suite struct QuarantineStoreTests {
    // MARK: - Round trip

    @Test func wholeSpoolRoundTrip() throws {
        let s = try Setup("qs-roundtrip")
        #expect(s.original.count == 224)
        let (report, _) = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options())
        #expect(report.operation == .quarantine)
        #expect(report.moved.count == 111)
        #expect(report.failed.map { "\($0.id): \($0.reason ?? "")" } == [])
        #expect(Set(report.skipped.map(\.id)) == QTest.writingIDs)
        #expect(report.skipped.count == 3)
        #expect(report.skipped.allSatisfy { $0.reason == "being written by the server (state Writing)" })
        #expect(report.quarantineRoot == s.qroot)
        #expect(report.batchFolder == s.batch(report.batch))
        #expect(report.recovery == RecoveryReport())
        #expect(report.bytes == report.moved.reduce(0) { $0 + $1.size })

        // Every moved file is in the batch at its spool path: same bytes, mode, mtime (s and ns).
        let batch = s.batch(report.batch)
        let held = QTest.snapshot(batch)
        #expect(held.count == 218)
        for (path, state) in s.movable { #expect(held[path] == state, "\(path)") }
        #expect(Set(held.keys) == Set(s.movable.keys))
        #expect(QTest.snapshot(s.spool) == s.writing)

        // Folders 0700: the root, journal, batches, the batch and its subfolders.
        let folders = [s.qroot, s.qroot + "/journal", s.qroot + "/batches", batch] + QTest.folders(batch).map { batch + "/" + $0 }
        #expect(QTest.folders(batch) == ["Drop", "SubSpool1", "SubSpool2", "SubSpool3", "delay", "proc"])
        for f in folders { #expect(QTest.mode(f) == 0o700, "\(f)") }

        // The journal: one, complete, every message done.
        let journals = QTest.journalPaths(s.qroot)
        #expect(journals.count == 1)
        let j = try Journal.read(journals[0])
        #expect(j.ended)
        #expect(j.header.operation == .quarantine)
        #expect(j.header.spoolRoot == s.spool && j.header.quarantineRoot == s.qroot && j.header.batch == report.batch)
        #expect(j.intents.count == 111)
        #expect(j.outcomes.count == 111 && j.outcomes.values.allSatisfy { $0 == .done })
        #expect(QTest.mode(journals[0]) == 0o600)

        let listing = try Spoolsweep.quarantined(s.input, quarantineRoot: nil)
        #expect(listing.root == s.qroot)
        #expect(listing.messages.count == 111)
        #expect(listing.purged.isEmpty)
        #expect(listing.interruptedRuns == 0)

        // Restore everything: the spool is exactly as it was.
        let (restored, _) = try Spoolsweep.restore(s.input, batch: report.batch, options: QTest.options(all: false))
        #expect(restored.operation == .restore)
        #expect(restored.moved.count == 111)
        #expect(restored.failed.map { "\($0.id): \($0.reason ?? "")" } == [])
        #expect(QTest.snapshot(s.spool) == s.original)
        #expect(QTest.snapshot(batch).isEmpty)
        #expect(try Spoolsweep.quarantined(s.input, quarantineRoot: nil).messages.isEmpty)
        // Both runs finished with nothing left in quarantine: their journals are folded into the history.
        #expect(QTest.journalPaths(s.qroot).isEmpty)
        let history = QuarantineHistory(quarantineRoot: s.qroot).read()
        #expect(history.filter { $0.header.operation == .quarantine && $0.outcome == "done" }.count == 111)
        #expect(history.filter { $0.header.operation == .restore && $0.outcome == "done" }.count == 111)
        #expect(Set(history.map(\.header.run)) == [report.run, restored.run])
    }

    @Test func youngFilesAreSkipped() throws {
        let s = try Setup("qs-minage")
        let young = s.spool + "/SubSpool1/27128419.eml"
        try QTest.setTimes(young, seconds: Int(time(nil)), nanoseconds: 0)
        let (report, _) = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options(minAge: 3600))
        #expect(report.moved.count == 110)
        #expect(Set(report.skipped.map(\.id)) == QTest.writingIDs.union(["27128419"]))
        let reason = reasonsByID(report.skipped)["27128419"] ?? ""
        #expect(reason.hasPrefix("modified "))
        #expect(reason.hasSuffix("s ago (younger than --min-age 3600s)"))
        #expect(QTest.exists(young) && QTest.exists(s.spool + "/SubSpool1/27128419.hdr"))
        #expect(!QTest.exists(s.batch(report.batch) + "/SubSpool1/27128419.hdr"))
    }

    @Test func noFilterIsRefused() throws {
        let s = try Setup("qs-nofilter")
        for op in [JournalOperation.quarantine, .purge] {
            let error = thrown { _ = try Spoolsweep.clean(op, s.input, options: QTest.options(all: false)) }
            let text = try #require(error?.badValueText, "\(String(describing: error))")
            #expect(text.hasPrefix("no filter given"))
            #expect(text.contains("this would \(op.rawValue) every queued message"))
        }
        #expect(!QTest.exists(s.qroot))
        #expect(QTest.snapshot(s.spool) == s.original)
    }

    @Test func dryRunChangesNothing() throws {
        let s = try Setup("qs-dry")
        var options = QTest.options()
        options.dryRun = true
        let (report, _) = try Spoolsweep.clean(.quarantine, s.input, options: options)
        #expect(report.dryRun)
        #expect(report.moved.count == 111)
        #expect(QTest.snapshot(s.spool) == s.original)
        #expect(!QTest.exists(s.qroot))
    }

    // MARK: - Restore refusals

    @Test func restoreDoesNotOverwrite() throws {
        let s = try Setup("qs-conflict")
        let report = try s.quarantineAll()
        let intruder = s.spool + "/SubSpool1/27128419.eml"
        try QTest.writeText(intruder, "a new message the server wrote meanwhile\r\n")
        let intruderState = QTest.state(intruder)
        let (restored, _) = try Spoolsweep.restore(s.input, batch: report.batch, options: QTest.options(all: false))
        #expect(restored.moved.count == 110)
        #expect(restored.failed.map(\.id) == ["27128419"])
        #expect(restored.failed.first?.reason == "\(s.spool)/SubSpool1/27128419.eml already exists in the spool; not overwritten")
        #expect(QTest.state(intruder) == intruderState)
        #expect(!QTest.exists(s.spool + "/SubSpool1/27128419.hdr"))
        let batch = s.batch(report.batch)
        #expect(QTest.snapshot(batch) == s.original.filter { $0.key.hasPrefix("SubSpool1/27128419.") })
        var expected = s.original
        expected["SubSpool1/27128419.hdr"] = nil
        expected["SubSpool1/27128419.eml"] = intruderState
        #expect(QTest.snapshot(s.spool) == expected)
        // Still listed as quarantined.
        #expect(try Spoolsweep.quarantined(s.input, quarantineRoot: nil).messages.map(\.intent.id) == ["27128419"])
    }

    @Test func tamperedQuarantineIsNotRestored() throws {
        let s = try Setup("qs-tamper-file")
        let report = try s.quarantineAll()
        let batch = s.batch(report.batch)
        let victim = batch + "/SubSpool2/11894229.eml"
        let fd = open(victim, O_WRONLY | O_CLOEXEC)
        #expect(fd >= 0)
        var byte: UInt8 = 0x58
        #expect(pwrite(fd, &byte, 1, 100) == 1)
        close(fd)
        let tampered = QTest.state(victim)
        let (restored, _) = try Spoolsweep.restore(s.input, batch: report.batch, options: QTest.options(all: false))
        #expect(restored.moved.count == 110)
        #expect(restored.failed.map(\.id) == ["11894229"])
        #expect(restored.failed.first?.reason == "SubSpool2/11894229.eml in quarantine differs from the journal (changed or tampered with); not restored")
        #expect(!QTest.exists(s.spool + "/SubSpool2/11894229.eml"))
        #expect(!QTest.exists(s.spool + "/SubSpool2/11894229.hdr"))
        #expect(QTest.state(victim) == tampered)
        #expect(QTest.state(batch + "/SubSpool2/11894229.hdr") == s.original["SubSpool2/11894229.hdr"])
    }

    @Test func journalPathOutsideTheRootsIsRefused() throws {
        let s = try Setup("qs-tamper-path")
        let report = try s.quarantineAll()
        let batch = s.batch(report.batch)
        // Decoys where "../outside" would land from the spool root and from the batch folder.
        let decoy1 = try s.dir.write("outside", "not mail\n")
        let decoy2 = s.qroot + "/batches/outside"
        try QTest.writeText(decoy2, "not mail either\n")
        let decoys = [decoy1: QTest.state(decoy1), decoy2: QTest.state(decoy2)]
        let journal = try #require(QTest.journalPaths(s.qroot).first)
        let text = try #require(QTest.text(journal))
        let edited = text.qReplacing("\"SubSpool1/27128419.eml\"", "\"../outside\"")
        #expect(edited != text)
        try QTest.writeText(journal, edited)
        let heldBefore = QTest.snapshot(batch)

        // The commands that read the batch's journal refuse it.
        for (name, call) in [
            ("restore", { () throws in _ = try Spoolsweep.restore(s.input, batch: report.batch, options: QTest.options(all: false)) }),
            ("quarantined", { () throws in _ = try Spoolsweep.quarantined(s.input, quarantineRoot: nil) }),
        ] as [(String, () throws -> Void)] {
            let error = thrown(call)
            let text = error?.quarantineText ?? ""
            #expect(text.contains("names a path outside its roots"), "\(name): \(String(describing: error))")
        }
        // Recovery reads only unfinished journals: a finished one, tampered or not, is never acted on.
        #expect(try Spoolsweep.recover(s.input, quarantineRoot: nil) == RecoveryReport())
        for (p, st) in decoys { #expect(QTest.state(p) == st) }
        #expect(QTest.snapshot(batch) == heldBefore)
        #expect(QTest.snapshot(s.spool) == s.writing)
    }

    @Test func journalNamingAnotherSpoolIsRefused() throws {
        let s = try Setup("qs-tamper-root")
        let report = try s.quarantineAll()
        let batch = s.batch(report.batch)
        let other = try s.dir.folder("OtherSpool")
        let journal = try #require(QTest.journalPaths(s.qroot).first)
        let text = try #require(QTest.text(journal))
        var edited = text.qReplacing("\"spool\":\(jsonQuoted(s.spool))", "\"spool\":\(jsonQuoted(other))")
        #expect(edited != text)
        try QTest.writeText(journal, edited)
        let heldBefore = QTest.snapshot(batch)

        let error = thrown { _ = try Spoolsweep.restore(s.input, batch: report.batch, options: QTest.options(all: false)) }
        let message = error?.quarantineText ?? ""
        #expect(message.contains("names spool \(other)"), "\(String(describing: error))")
        #expect(message.hasSuffix("not \(s.spool) and \(s.qroot); refused"))

        // The same journal, left unfinished: recovery refuses it too.
        var lines = edited.split(separator: "\n").map(String.init)
        #expect(lines.last == "{\"op\":\"end\"}")
        lines.removeLast()
        edited = lines.joined(separator: "\n") + "\n"
        try QTest.writeText(journal, edited)
        let error2 = thrown { _ = try Spoolsweep.recover(s.input, quarantineRoot: nil) }
        #expect(error2?.quarantineText?.hasSuffix("; refused") == true, "\(String(describing: error2))")
        let error3 = thrown { _ = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options()) }
        #expect(error3?.quarantineText?.hasSuffix("; refused") == true, "\(String(describing: error3))")

        #expect(QTest.snapshot(other).isEmpty)
        #expect(QTest.snapshot(batch) == heldBefore)
        #expect(QTest.snapshot(s.spool) == s.writing)
    }

    // MARK: - Links

    @Test func symbolicLinksInTheSpoolAreNeverFollowed() throws {
        let s = try Setup("qs-links")
        try s.dir.folder("outside")
        try s.dir.folder("outside/sub")
        let secret = try s.dir.write("outside/secret.eml", "From: ceo@example.com\r\nSubject: secret\r\n\r\nsecret\r\n")
        try QTest.copyFile(QTest.fixtureSpool + "/SubSpool1/27128419.hdr", s.dir.at("outside/sub/55555555.hdr"))
        try QTest.copyFile(QTest.fixtureSpool + "/SubSpool1/27128419.eml", s.dir.at("outside/sub/55555555.eml"))
        let outsideBefore = QTest.snapshot(s.dir.at("outside"))
        // A .eml that is a link to a file outside, beside a real .hdr; a queue folder that is a link.
        try QTest.copyFile(QTest.fixtureSpool + "/SubSpool1/30367993.hdr", s.spool + "/SubSpool1/99999999.hdr")
        try QTest.setTimes(s.spool + "/SubSpool1/99999999.hdr", seconds: Int(time(nil)) - 7200, nanoseconds: 5)
        guard symlink(secret, s.spool + "/SubSpool1/99999999.eml") == 0 else { throw SetupError("symlink") }
        guard symlink(s.dir.at("outside/sub"), s.spool + "/SubSpool9") == 0 else { throw SetupError("symlink") }

        let (report, diagnostics) = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options())
        #expect(reasons(diagnostics, for: "99999999.eml") == ["is a symbolic link (not followed)"])
        #expect(reasons(diagnostics, for: "SubSpool9") == ["is a symbolic link (not followed)"])
        #expect(!report.moved.contains { $0.id == "55555555" })
        let batch = s.batch(report.batch)
        let held = QTest.snapshot(batch)
        #expect(held["SubSpool1/99999999.eml"] == nil)
        #expect(!QTest.exists(batch + "/SubSpool9"))
        #expect(!held.values.contains { $0.sha256 == QTest.sha(path: secret) })
        #expect(QTest.isLink(s.spool + "/SubSpool1/99999999.eml"))
        #expect(QTest.isLink(s.spool + "/SubSpool9"))
        #expect(QTest.snapshot(s.dir.at("outside")) == outsideBefore)

        // Purging everything left does not go through the links either.
        _ = try Spoolsweep.clean(.purge, s.input, options: QTest.options())
        #expect(QTest.isLink(s.spool + "/SubSpool1/99999999.eml"))
        #expect(QTest.snapshot(s.dir.at("outside")) == outsideBefore)
    }

    /// A message whose files turned into links after the spool was read (a race): the store
    /// itself refuses to follow them.
    @Test func storeRefusesLinksNamedByAMessage() throws {
        let s = try Setup("qs-links-store")
        try s.dir.folder("outside")
        let secret = try s.dir.write("outside/1.eml", "secret\r\n")
        try s.dir.write("outside/2.hdr", "Written \r\nx@example.com\r\ny@example.com\r\n\r\n")
        let outsideBefore = QTest.snapshot(s.dir.at("outside"))
        guard symlink(secret, s.spool + "/SubSpool1/1.eml") == 0,
              symlink(s.dir.at("outside"), s.spool + "/SubSpoolLink") == 0 else { throw SetupError("symlink") }
        var m1 = QueuedMessage(id: "1", queue: "SubSpool1", state: "Written")
        m1.files = [s.spool + "/SubSpool1/1.eml"]
        m1.contentPath = m1.files[0]
        var m2 = QueuedMessage(id: "2", queue: "SubSpoolLink", state: "Written")
        m2.files = [s.spool + "/SubSpoolLink/2.hdr"]
        let store = try QuarantineStore(spoolRoot: s.spool, root: s.qroot, create: true)
        for op in [JournalOperation.quarantine, .purge] {
            let report = try store.apply(op, to: [SelectedMessage(message: m1, subject: "", age: nil), SelectedMessage(message: m2, subject: "", age: nil)],
                                         minAge: 0, dryRun: false, now: LocalTime.now())
            #expect(report.moved.isEmpty)
            let why = reasonsByID(report.failed)
            #expect(why["1"] == "\(s.spool)/SubSpool1/1.eml: not a regular file (a symbolic link)")
            #expect(why["2"] == "\(s.spool)/SubSpoolLink: is a symbolic link or not a folder (not followed)")
        }
        #expect(QTest.snapshot(s.dir.at("outside")) == outsideBefore)
        #expect(QTest.isLink(s.spool + "/SubSpool1/1.eml"))
    }

    // MARK: - Purge

    @Test func purgeWritesTheAudit() throws {
        let s = try Setup("qs-purge")
        let filter = try SpoolFilter(sender: "^webform@fabrikam\\.test$")
        let (report, _) = try Spoolsweep.clean(.purge, s.input, options: QTest.options(all: false, filter: filter))
        #expect(report.operation == .purge)
        #expect(report.moved.count == 18)
        #expect(report.failed.isEmpty && report.skipped.isEmpty)
        let purgedIDs = Set(report.moved.map(\.id))
        #expect(purgedIDs.count == 18)
        // The files are gone; nothing else changed.
        let now = QTest.snapshot(s.spool)
        #expect(now.count == 224 - 36)
        for (path, state) in s.original {
            let id = String(FileSystem.baseName(path).split(separator: ".")[0])
            if purgedIDs.contains(id) { #expect(now[path] == nil, "\(path)") } else { #expect(now[path] == state, "\(path)") }
        }
        #expect(QTest.mode(s.qroot + "/purged.jsonl") == 0o600)
        let audit = try QuarantineStore(spoolRoot: s.spool, root: nil, create: false).purgeAudit().records
        #expect(audit.count == 18)
        for record in audit {
            let id = try #require(record["id"]?.stringValue)
            #expect(purgedIDs.contains(id))
            #expect(record["run"]?.stringValue == report.run)
            #expect(record["sender"]?.stringValue == "webform@fabrikam.test")
            let files = try #require(record["files"]?.arrayValue)
            #expect(files.count == 2)
            for f in files {
                let path = try #require(f["path"]?.stringValue)
                #expect(FileSystem.baseName(path).hasPrefix(id + "."))
                #expect(f["sha256"]?.stringValue == s.original[path]?.sha256, "\(path)")
                #expect(f["size"]?.intValue == s.original[path]?.size, "\(path)")
            }
        }
        // The audit names every deletion: the run's journal is folded into the history.
        #expect(QTest.journalPaths(s.qroot).isEmpty)
        let history = QuarantineHistory(quarantineRoot: s.qroot).read()
        #expect(history.count == 18 && history.allSatisfy { $0.header.operation == .purge && $0.outcome == "done" })

        // Then a quarantine: the listing shows both.
        let jane = try SpoolFilter(account: "^jane@northwind\\.test$")
        let (q, _) = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options(all: false, filter: jane))
        #expect(q.moved.count == 72)
        let listing = try Spoolsweep.quarantined(s.input, quarantineRoot: nil)
        #expect(listing.messages.count == 72)
        #expect(Set(listing.messages.map(\.intent.id)) == Set(q.moved.map(\.id)))
        #expect(listing.messages.allSatisfy { $0.header.batch == q.batch && $0.intent.account == "jane@northwind.test" })
        #expect(listing.purged.count == 18)
        #expect(Set(listing.purged.compactMap { $0["id"]?.stringValue }) == purgedIDs)
    }

    // MARK: - Recovery of interruptions made by hand

    private static let batchID = "q-20261128-180000-beef"

    /// A journal of an interrupted run naming `ids` (in SubSpool1), with no outcomes.
    private func interruptedJournal(_ s: Setup, _ op: JournalOperation, ids: [String], tornTail: Bool = false) throws -> [JournalIntent] {
        _ = try QuarantineStore(spoolRoot: s.spool, root: s.qroot, create: true)
        let spoolFolder = try SafeFolder.root(s.spool).open(["SubSpool1"], create: false)
        var intents: [JournalIntent] = []
        for (n, id) in ids.enumerated() {
            let files = try ["\(id).hdr", "\(id).eml"].map { name throws in
                JournalFile(path: RelativePath("SubSpool1/\(name)")!, facts: try FileFacts.of(name, in: spoolFolder))
            }
            intents.append(JournalIntent(seq: n + 1, id: id, queue: "SubSpool1", state: "Written", sender: "x@example.com",
                                         account: nil, clientIP: nil, recipients: ["y@example.com"], subject: "s",
                                         created: nil, size: files[1].facts.size, content: files[1].path, files: files))
        }
        let batch = op == .purge ? "p-20261128-180000-beef" : Self.batchID
        let header = JournalHeader(run: batch, operation: op, batch: batch, spoolRoot: s.spool, quarantineRoot: s.qroot,
                                   started: LocalTime(year: 2026, month: 11, day: 28, hour: 18))
        let writer = try JournalWriter(creating: "\(batch).journal", in: try SafeFolder.root(s.qroot + "/journal"), header: header)
        try writer.append(intents.map(\.json), sync: true)
        if tornTail {
            let fd = open(writer.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            try TempFolder.writeAll(fd, Array("{\"op\":\"done\",\"se".utf8))
            close(fd)
        }
        if op != .purge {
            for p in [s.batch(batch), s.batch(batch) + "/SubSpool1"] where !QTest.exists(p) {
                guard mkdir(p, 0o700) == 0 else { throw SetupError("mkdir \(p)") }
            }
        }
        return intents
    }

    private func recover(_ s: Setup) throws -> RecoveryReport {
        try Spoolsweep.recover(s.input, quarantineRoot: nil)
    }

    private func expectWholeInQuarantine(_ s: Setup, _ id: String) {
        for ext in ["hdr", "eml"] {
            let rel = "SubSpool1/\(id).\(ext)"
            #expect(QTest.state(s.batch(Self.batchID) + "/" + rel) == s.original[rel], "\(rel) in quarantine")
            #expect(!QTest.exists(s.spool + "/" + rel), "\(rel) still in the spool")
        }
    }

    @Test func recoverCompletesAHalfMovedMessage() throws {
        let s = try Setup("qs-rec-a")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        guard rename(s.spool + "/SubSpool1/27128419.hdr", s.batch(Self.batchID) + "/SubSpool1/27128419.hdr") == 0 else { throw SetupError("rename") }
        let r = try recover(s)
        #expect(r.journals == 1 && r.completed == 1 && r.rolledBack == 0 && r.problems == [])
        expectWholeInQuarantine(s, "27128419")
        let listing = try Spoolsweep.quarantined(s.input, quarantineRoot: nil)
        #expect(listing.messages.map(\.intent.id) == ["27128419"])
        #expect(listing.interruptedRuns == 0)
        // Recovering again finds nothing to do.
        #expect(try recover(s) == RecoveryReport())
    }

    @Test func recoverRollsBackAnUntouchedMessage() throws {
        let s = try Setup("qs-rec-b")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        #expect(try Spoolsweep.quarantined(s.input, quarantineRoot: nil).interruptedRuns == 1)
        let r = try recover(s)
        #expect(r.journals == 1 && r.completed == 0 && r.rolledBack == 1 && r.problems == [])
        #expect(QTest.snapshot(s.spool) == s.original)
        // Settled and with nothing in quarantine: folded into the history.
        #expect(QTest.journalPaths(s.qroot).isEmpty)
        #expect(QuarantineHistory(quarantineRoot: s.qroot).read().map(\.outcome) == ["failed: interrupted before it began; left in place"])
        #expect(try Spoolsweep.quarantined(s.input, quarantineRoot: nil).messages.isEmpty)
    }

    @Test func recoverRemovesAPartialCopy() throws {
        let s = try Setup("qs-rec-c")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        let partial = s.batch(Self.batchID) + "/SubSpool1/.27128419.eml" + FileMove.partialSuffix
        let half = QTest.bytes(s.spool + "/SubSpool1/27128419.eml")!
        try QTest.writeText(partial, String(decoding: half.prefix(half.count / 2), as: UTF8.self))
        let r = try recover(s)
        #expect(r.completed == 0 && r.rolledBack == 1 && r.problems == [])
        #expect(!QTest.exists(partial))
        #expect(QTest.snapshot(s.spool) == s.original)
        #expect(QTest.snapshot(s.batch(Self.batchID)).isEmpty)
    }

    @Test func recoverRemovesTheSourceOfAVerifiedCopy() throws {
        let s = try Setup("qs-rec-d")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        // A copy placed (same bytes, mode, times) but the source not yet unlinked.
        let src = s.spool + "/SubSpool1/27128419.hdr", dst = s.batch(Self.batchID) + "/SubSpool1/27128419.hdr"
        let st = s.original["SubSpool1/27128419.hdr"]!
        try QTest.copyFile(src, dst, mode: mode_t(st.mode))
        try QTest.setTimes(dst, seconds: st.mtimeSeconds, nanoseconds: st.mtimeNanoseconds)
        let r = try recover(s)
        #expect(r.completed == 1 && r.rolledBack == 0 && r.problems == [])
        expectWholeInQuarantine(s, "27128419")
    }

    @Test func recoverDropsABadCopyWhenTheSourceIsIntact() throws {
        let s = try Setup("qs-rec-d2")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        let dst = s.batch(Self.batchID) + "/SubSpool1/27128419.eml"
        try QTest.writeText(dst, "garbage")
        let r = try recover(s)
        #expect(r.completed == 0 && r.rolledBack == 1 && r.problems == [])
        #expect(!QTest.exists(dst))
        #expect(QTest.snapshot(s.spool) == s.original)
    }

    @Test func recoverReportsAMovedFileThatDoesNotVerify() throws {
        let s = try Setup("qs-rec-bad")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        let dst = s.batch(Self.batchID) + "/SubSpool1/27128419.hdr"
        guard rename(s.spool + "/SubSpool1/27128419.hdr", dst) == 0 else { throw SetupError("rename") }
        let fd = open(dst, O_WRONLY | O_CLOEXEC)
        var byte: UInt8 = 0x21
        _ = pwrite(fd, &byte, 1, 3)
        close(fd)
        let damaged = QTest.state(dst)
        let r = try recover(s)
        #expect(r.completed == 0 && r.rolledBack == 0)
        #expect(r.problems.count == 1)
        #expect(r.problems.first?.contains("SubSpool1/27128419.hdr is only in") == true, "\(r.problems)")
        #expect(r.problems.first?.hasSuffix("and does not match its SHA-256") == true)
        // Nothing is deleted: the damaged copy and the intact .eml stay where they are.
        #expect(QTest.state(dst) == damaged)
        #expect(QTest.state(s.spool + "/SubSpool1/27128419.eml") == s.original["SubSpool1/27128419.eml"])
    }

    @Test func recoverFinishesAnInterruptedPurge() throws {
        let s = try Setup("qs-rec-e")
        _ = try interruptedJournal(s, .purge, ids: ["27128419"])
        guard unlink(s.spool + "/SubSpool1/27128419.hdr") == 0 else { throw SetupError("unlink") }
        let r = try recover(s)
        #expect(r.journals == 1 && r.completed == 1 && r.rolledBack == 0 && r.problems == [], "\(r)")
        #expect(!QTest.exists(s.spool + "/SubSpool1/27128419.eml"))
        var expected = s.original
        expected["SubSpool1/27128419.hdr"] = nil
        expected["SubSpool1/27128419.eml"] = nil
        #expect(QTest.snapshot(s.spool) == expected)
    }

    @Test func recoverHandlesSeveralMessagesOfOneRun() throws {
        let s = try Setup("qs-rec-many")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419", "30367993", "16525698"])
        // First moved wholly, second half, third untouched.
        for name in ["27128419.hdr", "27128419.eml", "30367993.eml"] {
            guard rename(s.spool + "/SubSpool1/" + name, s.batch(Self.batchID) + "/SubSpool1/" + name) == 0 else { throw SetupError("rename") }
        }
        let r = try recover(s)
        #expect(r.journals == 1 && r.completed == 2 && r.rolledBack == 1 && r.problems == [])
        expectWholeInQuarantine(s, "27128419")
        expectWholeInQuarantine(s, "30367993")
        #expect(QTest.state(s.spool + "/SubSpool1/16525698.eml") == s.original["SubSpool1/16525698.eml"])
        #expect(Set(try Spoolsweep.quarantined(s.input, quarantineRoot: nil).messages.map(\.intent.id)) == ["27128419", "30367993"])
    }

    /// A run killed while appending leaves a torn last line; recovery finishes the run, and
    /// the store must stay usable afterwards.
    @Test func storeStaysUsableAfterRecoveringATornJournal() throws {
        let s = try Setup("qs-rec-torn")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"], tornTail: true)
        guard rename(s.spool + "/SubSpool1/27128419.hdr", s.batch(Self.batchID) + "/SubSpool1/27128419.hdr") == 0 else { throw SetupError("rename") }
        let r = try recover(s)
        #expect(r.completed == 1 && r.problems == [])
        expectWholeInQuarantine(s, "27128419")
        let again = thrown { _ = try Spoolsweep.recover(s.input, quarantineRoot: nil) }
        #expect(again == nil, "second recovery: \(String(describing: again))")
        let listing = thrown { _ = try Spoolsweep.quarantined(s.input, quarantineRoot: nil) }
        #expect(listing == nil, "listing: \(String(describing: listing))")
        let restore = thrown { _ = try Spoolsweep.restore(s.input, batch: Self.batchID, options: QTest.options(all: false)) }
        #expect(restore == nil, "restore: \(String(describing: restore))")
    }

    @Test func cleanRecoversFirst() throws {
        let s = try Setup("qs-rec-clean")
        _ = try interruptedJournal(s, .quarantine, ids: ["27128419"])
        guard rename(s.spool + "/SubSpool1/27128419.eml", s.batch(Self.batchID) + "/SubSpool1/27128419.eml") == 0 else { throw SetupError("rename") }
        let (report, _) = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options())
        #expect(report.recovery.completed == 1 && report.recovery.journals == 1)
        #expect(report.moved.count == 110)
        expectWholeInQuarantine(s, "27128419")
    }

    // MARK: - Lock

    @Test func heldLockRefusesAChange() throws {
        let s = try Setup("qs-lock")
        do {
            let lock = try SpoolLock(spoolRoot: s.spool)
            let error = thrown { _ = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options()) }
            let text = try #require(error?.lockedText, "\(String(describing: error))")
            #expect(text.hasPrefix("another spoolsweep run is changing \(s.spool)"))
            let error2 = thrown { _ = try Spoolsweep.restore(s.input, batch: "q-x", options: QTest.options()) }
            #expect(error2?.lockedText?.hasPrefix("another spoolsweep run is changing") == true)
            let error3 = thrown { _ = try Spoolsweep.recover(s.input, quarantineRoot: nil) }
            #expect(error3?.lockedText?.hasPrefix("another spoolsweep run is changing") == true)
            withExtendedLifetime(lock) {}
        }
        #expect(QTest.snapshot(s.spool) == s.original)
        #expect(!QTest.exists(s.qroot + "/journal") || QTest.journalPaths(s.qroot).isEmpty)
        // Released: the change goes ahead.
        _ = try s.quarantineAll()
    }

    /// Another process holds the lock: the error names it from /proc/locks.
    @Test func lockHolderIsNamed() throws {
        let s = try Setup("qs-lock-holder")
        let script = "import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDONLY)\nfcntl.flock(fd,fcntl.LOCK_EX)\ntime.sleep(120)"
        let argv = ["/usr/bin/python3", "-c", script, s.spool]
        var pid: pid_t = 0
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        guard posix_spawn(&pid, argv[0], nil, nil, &cargs, environ) == 0 else {
            Issue.record("cannot start python3"); return
        }
        defer { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        // Wait until it holds the lock (no timing assertion: just poll).
        var held = false
        for _ in 0..<400 {
            if (try? SpoolLock(spoolRoot: s.spool)) == nil { held = true; break }
            usleep(25_000)
        }
        try #require(held, "the helper never took the lock")
        let error = thrown { _ = try Spoolsweep.clean(.quarantine, s.input, options: QTest.options()) }
        #expect(error?.lockedText == "another spoolsweep run is changing \(s.spool): pid \(pid) (python3 -c \(script) \(s.spool)); wait for it to finish")
        #expect(QTest.snapshot(s.spool) == s.original)
    }
}

private func jsonQuoted(_ s: String) -> String {
    var out = ""
    JSON.quote(s, into: &out)
    return out
}
