import Foundation
import Testing

/// spoolsweep against the real exim on a copy of the corpus spool. Reading: `spool list` agrees
/// with `exim -bp`/`-bpc` on every message. Changing a live queue through the real exim:
/// quarantine freezes (-Mf), restore thaws (-Mt), purge removes (-Mrm); each run journaled,
/// listed by `spool quarantined`, settled by recovery when killed; a message Exim holds locked
/// is never touched. `exim -bp` says where every message ended up.
@Suite(.serialized) struct EximToolsTests {
    static let now = ["--now", "2026-11-29T04:00:00"]
    static let invoice = ["--subject", "^Invoice overdue - payment details updated$"]

    /// The ids and states `spool list` selects with `filter`.
    func selected(_ peers: EximPeers, _ filter: [String]) throws -> [String: String] {
        let r = try peers.spoolsweep(["spool", "list", "--format", "json"] + filter + Self.now + ["exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        let messages = try #require(try json(r)["messages"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: messages.map { ($0["id"] as! String, $0["state"] as! String) })
    }

    func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    /// The ids `exim -bp` shows frozen.
    func frozen(_ peers: EximPeers) throws -> Set<String> { Set(try peers.queue().filter { $0.value.frozen }.keys) }

    /// Exim's `string_format_size`, as `-bp` prints a size.
    static func eximSize(_ n: Int) -> String {
        if n < 1024 { return String(n) }
        if n < 10 * 1024 { return String(format: "%.1fK", Double(n) / 1024) }
        if n < 1024 * 1024 { return "\((n + 512) / 1024)K" }
        return String(format: "%.1fM", Double(n) / 1024 / 1024)
    }

    @Test func spoolListAgreesWithEximBp() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("list")
        #expect(try peers.count() == 235)
        let queue = try peers.queue()
        #expect(queue.count == 235)
        let r = try peers.spoolsweep(["spool", "list", "--format", "json"] + Self.now + ["exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        let messages = try #require(try json(r)["messages"] as? [[String: Any]])
        #expect(Set(messages.map { $0["id"] as! String }) == Set(queue.keys))
        for m in messages {
            let id = m["id"] as! String, q = try #require(queue[id])
            let words = q.line.split(separator: " ").map(String.init)
            #expect(words[1] == Self.eximSize(m["size"] as! Int), "\(id)")
            #expect(words[3] == "<\(m["sender"] as! String)>", "\(id)")
            #expect((m["state"] as? String == "frozen") == q.frozen, "\(id)")
            #expect(m["recipients"] as? [String] == q.recipients, "\(id)")
        }
        // --frozen is exiqgrep -z; --state queued its -x.
        let count = try peers.spoolsweep(["spool", "list", "--count", "--frozen", "exim4"])
        #expect(count.stdout == "\(queue.values.filter(\.frozen).count)\n")
        #expect(try peers.spoolsweep(["spool", "list", "--count", "--state", "queued", "exim4"]).stdout == "224\n")
        let listing = try peers.spoolsweep(["spool", "list", "--frozen"] + Self.now + ["exim4"])
        try CLI.expectGolden(listing.stdout, "exim-spool-list-frozen.txt")
        let shape = try peers.spoolsweep(["spool", "shape", "--top", "5"] + Self.now + ["exim4"])
        #expect(shape.status == 0, "\(shape.stderr)")
        try CLI.expectGolden(shape.stdout, "exim-spool-shape.txt")
    }

    /// The invoice phishing frozen through exim: the 174 not frozen yet, the 6 the admin froze
    /// skipped and reported; exim -bp then shows exactly what the journal says; restore thaws
    /// exactly those, in two steps.
    @Test func quarantineFreezesAndRestoreThawsThroughExim() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("freeze")
        let frozenBefore = try frozen(peers)
        #expect(frozenBefore.count == 11)
        let invoice = try selected(peers, Self.invoice)
        #expect(invoice.count == 180)
        let already = Set(invoice.filter { $0.value == "frozen" }.keys)
        #expect(already.count == 6)

        let q = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s"] + Self.invoice + peers.toolOptions + Self.now + ["exim4"])
        #expect(q.status == 0, "\(q.stderr)")
        try CLI.expectGolden(Self.masked(q.stdout, peers), "exim-quarantine.txt")
        let j = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s", "--dry-run", "--format", "json"] + Self.invoice + peers.toolOptions + ["exim4"])
        let dry = try json(j)
        #expect(dry["count"] as? Int == 0) // all 180 are frozen now: none is taken again
        #expect((dry["skipped"] as? [[String: Any]])?.count == 180)
        #expect(Set((dry["skipped"] as? [[String: Any]] ?? []).map { $0["reason"] as! String }) == ["already frozen (not frozen by spoolsweep)"])

        // The journal: 174 intents done, through exim; exim -bp: those and the 11 frozen.
        let journals = try FileManager.default.contentsOfDirectory(atPath: peers.base.appendingPathComponent("spoolsweep-quarantine/journal").path)
        #expect(journals.count == 1)
        let lines = try String(contentsOf: peers.base.appendingPathComponent("spoolsweep-quarantine/journal/\(journals[0])"), encoding: .utf8)
            .split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(lines.first?["via"] as? String == "exim")
        let intents = Dictionary(uniqueKeysWithValues: lines.filter { $0["op"] as? String == "intent" }.map { ($0["seq"] as! Int, $0["id"] as! String) })
        let done = Set(lines.filter { $0["op"] as? String == "done" }.map { intents[$0["seq"] as! Int]! })
        #expect(done == Set(invoice.keys).subtracting(already))
        #expect(done.count == 174)
        #expect(try frozen(peers) == frozenBefore.union(done))
        #expect(try peers.count() == 235)

        let listing = try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "exim4"]))
        let listed = try #require(listing["messages"] as? [[String: Any]])
        #expect(Set(listed.map { $0["id"] as! String }) == done)
        #expect(Set(listed.map { $0["via"] as! String }) == ["exim"])
        let batch = try #require(listed.first?["batch"] as? String)
        let text = try peers.spoolsweep(["spool", "quarantined", "exim4"])
        #expect(text.stdout.hasPrefix("Batch \(batch): 174 messages, "), "\(text.stdout)")
        #expect(text.stdout.split(separator: "\n")[0].hasSuffix(", frozen in the queue (through exim)"))

        // Restore by a filter first (the forged sender), then the rest.
        let billing = Set(try selected(peers, ["--sender", "^billing@acme-corp\\.test$"]).keys).intersection(done)
        let partial = try peers.spoolsweep(["spool", "restore", batch, "--sender", "^billing@acme-corp\\.test$", "--format", "json"] + peers.toolOptions + ["exim4"])
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(try json(partial)["count"] as? Int == billing.count)
        #expect(try frozen(peers) == frozenBefore.union(done.subtracting(billing)))
        let r = try peers.spoolsweep(["spool", "restore", batch] + peers.toolOptions + ["exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Restored \(174 - billing.count) messages ("), "\(r.stdout)")
        #expect(r.stdout.contains(" from batch \(batch): thawed through exim\n"))
        #expect(try frozen(peers) == frozenBefore)
        #expect(try peers.count() == 235)
        let empty = try peers.spoolsweep(["spool", "quarantined", "exim4"])
        #expect(!empty.stdout.contains(batch), "\(empty.stdout)")
    }

    /// `--named-queue`: the invoice phishing moved to a named queue through exim (`-MG`), the 6
    /// frozen ones too (frozen still); the default queue no longer holds them, the named one
    /// does (`exim -qGNAME -bp`), and `spool list` shows them there. `quarantined` and `restore`
    /// find the way from the batch's journal (no option needed); a purge removes the forged-sender
    /// ones from the named queue (`-qGNAME -Mrm`); restore moves the rest back (`-qGNAME -MG
    /// ''`): 184 in the default queue, the 11 frozen less the 2 purged, none left in the other.
    @Test func quarantineIntoANamedQueueAndBack() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("named")
        let frozenBefore = try frozen(peers)
        let invoice = Set(try selected(peers, Self.invoice).keys)
        let named = ["--named-queue", "held-spam"]
        let q = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s"] + named + Self.invoice + peers.toolOptions + Self.now + ["exim4"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("Quarantined 180 messages ("), "\(q.stdout)")
        #expect(q.stdout.contains(": moved to queue held-spam through exim -MG held-spam\n"), "\(q.stdout)")
        #expect(Set(try peers.queue().keys).isDisjoint(with: invoice))
        #expect(try peers.queue().count == 55)
        let other = try peers.run(["-qGheld-spam", "-bp"])
        #expect(other.status == 0, "\(other.stderr)")
        let moved = Set(other.stdout.split(separator: "\n").compactMap { line -> String? in
            let w = line.split(separator: " ")
            return w.count >= 4 && !line.hasPrefix("          ") ? String(w[2]) : nil // not a recipient line
        })
        #expect(moved == invoice)
        let listing = try json(try peers.spoolsweep(["spool", "list", "--format", "json"] + Self.invoice + Self.now + ["exim4"]))
        let rows = try #require(listing["messages"] as? [[String: Any]])
        #expect(rows.count == 180 && Set(rows.map { $0["queue"] as! String }) == ["held-spam"])
        #expect(rows.filter { $0["state"] as? String == "frozen" }.count == 6)

        // A purge takes each message from the queue it is in: the forged-sender ones from held-spam.
        let billing = Set(try selected(peers, ["--sender", "^billing@acme-corp\\.test$"]).keys)
        #expect(billing.count == 51)
        let purge = try peers.spoolsweep(["spool", "purge", "--yes", "--min-age", "0s", "--sender", "^billing@acme-corp\\.test$"] + peers.toolOptions + Self.now + ["exim4"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.contains("Purged 51 messages ("), "\(purge.stdout)")
        #expect(try selected(peers, ["--sender", "^billing@acme-corp\\.test$"]).isEmpty)

        let held = try #require(try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "exim4"]))["messages"] as? [[String: Any]])
        #expect(held.count == 129 && Set(held.map { $0["via"] as! String }) == ["exim -MG held-spam"])
        let batch = try #require(held.first?["batch"] as? String)
        let r = try peers.spoolsweep(["spool", "restore", batch] + peers.toolOptions + ["exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Restored 129 messages ("), "\(r.stdout)")
        #expect(r.stdout.contains(" from batch \(batch): moved back to the default queue through exim -MG held-spam\n"), "\(r.stdout)")
        #expect(try peers.count() == 235 - 51)
        #expect(try frozen(peers) == frozenBefore.subtracting(billing))
        #expect(try peers.run(["-qGheld-spam", "-bpc"]).stdout == "0\n")
    }

    /// `--named-queue` on a server without named queues, or with --offline, is refused.
    @Test func namedQueueIsRefusedWhereItCannotWork() throws {
        let offline = try CLI.run(["spool", "quarantine", "--offline", "--named-queue", "x", "--all", "exim/spool"], in: CLI.root.appendingPathComponent("fixtures"))
        #expect(offline.stderr == "error: --named-queue x moves messages through the server's command; --offline moves files instead: give one of them\n")
        #expect(offline.status == 64)
        let postfix = try CLI.run(["spool", "quarantine", "--dry-run", "--named-queue", "x", "--all", "postfix/queue"], in: CLI.root.appendingPathComponent("fixtures"))
        #expect(postfix.stderr == "error: --named-queue x: postfix has no named queues to quarantine into\n")
        #expect(postfix.status == 64)
    }

    /// The voucher spam removed through exim -Mrm (the 4 frozen ones too: a purge takes them),
    /// after the audit record.
    @Test func purgeRemovesThroughEximAfterTheAudit() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("purge")
        let voucher = try selected(peers, ["--body", "voucher-free\\.promo-gift\\.test"])
        #expect(voucher.count == 35)
        #expect(voucher.values.filter { $0 == "frozen" }.count == 4)
        let p = try peers.spoolsweep(["spool", "purge", "--yes", "--min-age", "0s", "--body", "voucher-free\\.promo-gift\\.test", "--format", "json"]
                                     + peers.toolOptions + Self.now + ["exim4"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(try json(p)["count"] as? Int == 35)
        #expect(try json(p)["via"] as? String == "exim")
        let after = try peers.queue()
        #expect(after.count == 200)
        #expect(Set(after.keys).isDisjoint(with: voucher.keys))
        #expect(try peers.count() == 200)
        let audit = try String(contentsOf: peers.base.appendingPathComponent("spoolsweep-quarantine/purged.jsonl"), encoding: .utf8)
        let ids = audit.split(separator: "\n").map { line in
            (try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["id"] as! String
        }
        #expect(Set(ids) == Set(voucher.keys))
        // exim removed the files of each message (its msglog too).
        for id in voucher.keys {
            let split = String(Array(id)[5])
            for path in ["input/\(split)/\(id)-H", "input/\(split)/\(id)-D", "msglog/\(split)/\(id)"] {
                #expect(!FileManager.default.fileExists(atPath: peers.spool.appendingPathComponent(path).path), "\(path)")
            }
        }
    }

    /// A message Exim is working on (its -D locked, as during a delivery) is listed as such and
    /// neither frozen nor removed.
    @Test func aMessageEximHoldsLockedIsNotTouched() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("locked")
        let id = "1xXVag-0007jd-11"
        let holder = try ProcessLock(peers.spool.appendingPathComponent("input/\(Array(id)[5])/\(id)-D").path)
        defer { holder.stop() }
        let list = try peers.spoolsweep(["spool", "list", "--format", "json"] + Self.invoice + Self.now + ["exim4"])
        let messages = try #require(try json(list)["messages"] as? [[String: Any]])
        #expect(messages.first { $0["id"] as? String == id }?["state"] as? String == "queued (locked by pid \(holder.pid))")
        let q = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s", "--format", "json"] + Self.invoice + peers.toolOptions + Self.now + ["exim4"])
        #expect(q.status == 0, "\(q.stderr)")
        let report = try json(q)
        #expect(report["count"] as? Int == 173)
        let skipped = try #require(report["skipped"] as? [[String: Any]])
        #expect(skipped.first { $0["id"] as? String == id }?["reason"] as? String == "being written by the server (state queued (locked by pid \(holder.pid)))")
        #expect(try peers.queue()[id]?.frozen == false)
    }

    /// --offline on a copy no Exim runs on: the -H and -D of each message move into the batch
    /// together (exim no longer sees them), and back on restore.
    @Test func offlineMovesBothFilesOfEachMessage() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("offline")
        let q = try peers.spoolsweep(["spool", "quarantine", "--offline", "--min-age", "0s", "--format", "json"] + Self.invoice + Self.now + ["exim4"])
        #expect(q.status == 0, "\(q.stderr)")
        let report = try json(q)
        #expect(report["count"] as? Int == 180)
        let batch = try #require(report["batch"] as? String)
        #expect(try peers.count() == 55)
        let folder = peers.base.appendingPathComponent("spoolsweep-quarantine/batches/\(batch)/input")
        let moved = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { $0.hasSuffix("-H") || $0.hasSuffix("-D") }
        #expect(moved.count == 360)
        let r = try peers.spoolsweep(["spool", "restore", "--offline", batch, "exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try peers.count() == 235)
        #expect(try frozen(peers).count == 11)
    }

    /// exim must act on the spool spoolsweep read: another spool_directory is refused.
    @Test func anEximServingAnotherSpoolIsRefused() throws {
        guard EximPeers.available() else { return }
        let elsewhere = URL(fileURLWithPath: "/var/spool/exim4-elsewhere")
        let peers = try EximPeers("elsewhere", spoolDirectory: elsewhere)
        let r = try peers.spoolsweep(["spool", "quarantine", "--auth", "^sam@", "exim4"] + peers.toolOptions)
        #expect(r.status == 64)
        #expect(r.stderr == "error: exim would act on \(elsewhere.path) (spool_directory of \(peers.config.path)), not on \(peers.spool.path); give --server-config with the configuration file that serves this spool, or --offline for a copy Exim does not run on\n")
        #expect(try peers.spoolsweep(["spool", "list", "--count", "--frozen", "exim4"]).stdout == "11\n")
    }

    @Test func withoutEximNothingChanges() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("missing")
        let r = try peers.spoolsweep(["spool", "quarantine", "--auth", "^sam@", "exim4"])
        #expect(r.status == 64)
        #expect(r.stderr == "error: exim not found in $PATH or /usr/sbin: a live Exim queue is changed through it (give --queue-tool PATH); for a copy of the spool with Exim not running on it, add --offline\n")
        #expect(!FileManager.default.fileExists(atPath: peers.base.appendingPathComponent("spoolsweep-quarantine/journal").path))
    }

    /// A run killed right after exim acted (before the outcomes were journaled) is found complete
    /// by recovery; a quarantine killed before exim ran is found untouched; a purge killed
    /// before exim ran is finished by recovery (its audit record says purged).
    @Test(arguments: [("quarantine", true), ("quarantine", false), ("purge", false)])
    func aRunKilledAroundEximIsSettledByRecovery(_ operation: String, eximActs: Bool) throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("killed-\(operation)-\(eximActs)")
        let fake = try peers.fakeExim(eximActs ? "\"\(EximPeers.exim.path)\" \"$@\"\nkill -9 $PPID\n" : "kill -9 $PPID\n")
        let sender = ["--sender", "^billing@acme-corp\\.test$"]
        // Two are frozen already: a quarantine skips them, a purge takes them.
        let billing = try selected(peers, sender).filter { operation == "purge" || $0.value != "frozen" }
        #expect(billing.count == (operation == "purge" ? 51 : 49))
        let frozenBefore = try frozen(peers)
        let k = try peers.spoolsweep(["spool", operation, "--min-age", "0s"] + (operation == "purge" ? ["--yes"] : []) + sender
                                     + fake.options + ["exim4"])
        #expect(k.status == 9, "killed: \(k.status) \(k.stderr)")
        let r = try peers.spoolsweep(["spool", "recover", "--format", "json"] + peers.toolOptions + ["exim4"])
        #expect(r.status == 0, "\(r.stderr)")
        let recovery = try json(r)
        let completes = eximActs || operation == "purge"
        #expect(recovery["journals"] as? Int == 1)
        #expect(recovery["completed"] as? Int == (completes ? billing.count : 0))
        #expect(recovery["rolled_back"] as? Int == (completes ? 0 : billing.count))
        let after = try peers.queue()
        #expect(after.count == (operation == "purge" ? 235 - 51 : 235))
        if operation == "purge" { #expect(Set(after.keys).isDisjoint(with: billing.keys)) }
        else { #expect(try frozen(peers) == (eximActs ? frozenBefore.union(billing.keys) : frozenBefore)) }
        let listing = try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "exim4"]))
        let listed = try #require(listing["messages"] as? [[String: Any]])
        #expect(Set(listed.map { $0["id"] as! String }) == (operation == "quarantine" && eximActs ? Set(billing.keys) : []))
    }

    /// The run id, times and temporary paths of a report, masked for a golden file.
    static func masked(_ text: String, _ peers: EximPeers) -> String {
        var t = text.replacingOccurrences(of: peers.base.path, with: "<tmp>")
        t = t.replacingOccurrences(of: CLI.root.path, with: "<repo>")
        t = t.replacingOccurrences(of: #"\b([qrp])-\d{8}-\d{6}-[0-9a-f]{4}\b"#, with: "$1-RUN", options: .regularExpression)
        return t
    }
}

/// A child process holding an fcntl write lock on a file, as Exim holds one on the -D of a
/// message it works on, until stopped.
final class ProcessLock {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init(_ path: String) throws {
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import fcntl, sys, time\nf = open(sys.argv[1], 'r+')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)", path]
        process.standardOutput = out
        try process.run()
        let said = out.fileHandleForReading.availableData
        #expect(String(decoding: said, as: UTF8.self).hasPrefix("locked"))
    }

    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL) // not SIGTERM: the test runner's blocked signals are inherited
        process.waitUntilExit()
    }
}
