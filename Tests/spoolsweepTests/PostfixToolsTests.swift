import Foundation
import Testing

/// spoolsweep against the real Postfix tools on a copy of the corpus queue. Reading: `spool list`
/// agrees with postqueue -j and postcat on every message. Changing a live queue through the
/// real postsuper: quarantine puts on hold, restore releases, purge deletes; each run journaled,
/// listed by `spool quarantined`, and settled by recovery when killed. postqueue -j (reading
/// the queue directly, Postfix being down) says where every message ended up.
@Suite(.serialized) struct PostfixToolsTests {
    static let now = ["--now", "2026-11-29T04:00:00"]

    /// The ids and queues `spool list` selects with `filter`.
    func selected(_ peers: PostfixPeers, _ filter: [String]) throws -> [String: String] {
        let r = try peers.spoolsweep(["spool", "list", "--format", "json"] + filter + Self.now + ["queue"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: messages.map { ($0["id"] as! String, $0["queue"] as! String) })
    }

    func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    @Test func spoolListAgreesWithPostqueueAndPostcat() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("read")
        let queue = try peers.postqueue()
        let r = try peers.spoolsweep(["spool", "list", "--format", "json"] + Self.now + ["queue"])
        #expect(r.status == 0, "\(r.stderr)")
        let messages = try #require(try json(r)["messages"] as? [[String: Any]])
        #expect(messages.count == 236)
        #expect(Set(messages.map { $0["id"] as! String }) == Set(queue.keys))
        let utc = DateFormatter()
        utc.dateFormat = "yyyy-MM-dd HH:mm:ss"
        utc.timeZone = TimeZone(identifier: "UTC")
        var withAuth = 0, withSubject = 0
        for m in messages {
            let id = m["id"] as! String
            let q = try #require(queue[id])
            #expect(m["queue"] as? String == q["queue_name"] as? String, "\(id)")
            let sender = m["sender"] as! String
            #expect((sender.isEmpty ? "MAILER-DAEMON" : sender) == q["sender"] as? String, "\(id)")
            let pending = (q["recipients"] as! [[String: Any]]).map { $0["address"] as! String }
            #expect((m["recipients"] as! [String]).sorted() == pending.sorted(), "\(id)")
            #expect(m["size"] as? Int == q["message_size"] as? Int, "\(id)")
            let arrival = Date(timeIntervalSince1970: TimeInterval(q["arrival_time"] as! Int))
            #expect(m["created"] as? String == utc.string(from: arrival), "\(id)")

            // postcat: the envelope's sender and attributes, and the Subject header.
            let cat = try peers.tool("postcat", ["-q", id])
            #expect(cat.status == 0, "\(cat.stderr)")
            let lines = cat.stdout.split(separator: "\n").map(String.init)
            func value(_ prefix: String) -> String? { lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
            #expect(value("sender: ") ?? "" == sender, "\(id)")
            #expect(value("named_attribute: sasl_username=") == m["auth"] as? String, "\(id)")
            #expect(value("named_attribute: client_address=") == m["client_ip"] as? String, "\(id)")
            #expect(value("named_attribute: helo_name=") == m["helo"] as? String, "\(id)")
            if let subject = value("Subject: "), !subject.contains("=?") {
                #expect(subject == m["subject"] as? String, "\(id)")
                withSubject += 1
            }
            if m["auth"] is String { withAuth += 1 }
        }
        #expect(withAuth > 150)
        #expect(withSubject > 200)
    }

    @Test func quarantineHoldsAndRestoreReleasesThroughPostsuper() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("hold")
        let before = try peers.postqueue()
        #expect(before.count == 236)
        let sam = try selected(peers, ["--auth", "^sam@acme-corp\\.test$"])
        #expect(sam.count == 182)
        let alreadyHeld = Set(sam.filter { $0.value == "hold" }.keys)

        let q = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s", "--auth", "^sam@acme-corp\\.test$", "--format", "json"]
                                     + peers.toolOptions + Self.now + ["queue"])
        #expect(q.status == 0, "\(q.stderr)")
        let report = try json(q)
        #expect(report["via"] as? String == "postsuper")
        #expect(report["count"] as? Int == 182 - alreadyHeld.count)
        #expect((report["skipped"] as? [[String: Any]])?.map { $0["reason"] as! String } == alreadyHeld.map { _ in "already on hold (not put there by spoolsweep)" })
        let batch = try #require(report["batch"] as? String)

        // Every one of sam's messages is on hold now; nothing else moved.
        let held = try peers.postqueue()
        #expect(held.count == 236)
        for (id, m) in held {
            let expected = sam[id] != nil ? "hold" : before[id]!["queue_name"] as! String
            #expect(m["queue_name"] as? String == expected, "\(id)")
        }

        // `spool quarantined` lists the batch from the journal, the messages being on hold.
        let listing = try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "queue"]))
        let listed = try #require(listing["messages"] as? [[String: Any]])
        #expect(Set(listed.map { $0["batch"] as! String }) == [batch])
        #expect(Set(listed.map { $0["via"] as! String }) == ["postsuper"])
        #expect(Set(listed.map { $0["id"] as! String }) == Set(sam.keys).subtracting(alreadyHeld))

        // A restore selects among the held messages with the same filters, then releases them.
        let partial = try peers.spoolsweep(["spool", "restore", batch, "--sender", "^billing@acme-corp\\.test$", "--format", "json"] + peers.toolOptions + ["queue"])
        #expect(partial.status == 0, "\(partial.stderr)")
        let billing = Set(try selected(peers, ["--sender", "^billing@acme-corp\\.test$"]).keys)
        #expect(try json(partial)["count"] as? Int == billing.subtracting(alreadyHeld).count)
        let r = try peers.spoolsweep(["spool", "restore", batch] + peers.toolOptions + ["queue"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Restored \(182 - alreadyHeld.count - billing.subtracting(alreadyHeld).count) messages ("), "\(r.stdout)")
        #expect(r.stdout.contains(" from batch \(batch): released from hold through postsuper\n"))

        // Released mail goes to deferred/ (postsuper's way); the messages held before stay held.
        let after = try peers.postqueue()
        for (id, m) in after {
            let expected = alreadyHeld.contains(id) ? "hold" : sam[id] != nil ? "deferred" : before[id]!["queue_name"] as! String
            #expect(m["queue_name"] as? String == expected, "\(id)")
        }
        let empty = try peers.spoolsweep(["spool", "quarantined", "queue"])
        #expect(!empty.stdout.contains(batch), "\(empty.stdout)")
    }

    @Test func purgeDeletesThroughPostsuperAfterTheAudit() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("purge")
        let billing = try selected(peers, ["--sender", "^billing@acme-corp\\.test$"])
        #expect(billing.count == 51)
        #expect(billing["4jcXTf3rWRz7lxB"] == "hold") // held by the admin before: a purge takes it too
        let dry = try peers.spoolsweep(["spool", "purge", "--dry-run", "--min-age", "0s", "--sender", "^billing@acme-corp\\.test$"]
                                       + peers.toolOptions + Self.now + ["queue"])
        #expect(dry.stdout.hasPrefix("Would purge 51 messages ("), "\(dry.stdout)")
        #expect(dry.stdout.contains("(dry run: nothing changed)\nChecked: postsuper is there and serves this queue.\n"), "\(dry.stdout)")
        #expect(dry.status == 0, "\(dry.stderr)")
        let p = try peers.spoolsweep(["spool", "purge", "--yes", "--min-age", "0s", "--sender", "^billing@acme-corp\\.test$", "--format", "json"]
                                     + peers.toolOptions + Self.now + ["queue"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(try json(p)["count"] as? Int == 51)
        let after = try peers.postqueue()
        #expect(after.count == 236 - 51)
        #expect(Set(after.keys).isDisjoint(with: billing.keys))
        let audit = try String(contentsOf: peers.base.appendingPathComponent("queue/spoolsweep-quarantine/purged.jsonl"), encoding: .utf8)
        let ids = audit.split(separator: "\n").map { line in
            (try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["id"] as! String
        }
        #expect(Set(ids) == Set(billing.keys))
    }

    /// A batch held through postsuper is purged through it (-d), while still on hold: the
    /// filters select within the batch, the audit names each message deleted once.
    @Test func purgeOfAHeldBatchDeletesThroughPostsuper() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("purge-batch")
        let billing = try selected(peers, ["--sender", "^billing@acme-corp\\.test$"])
        let q = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s", "--sender", "^billing@acme-corp\\.test$", "--format", "json"]
                                     + peers.toolOptions + Self.now + ["queue"])
        let batch = try #require(try json(q)["batch"] as? String)
        let held = Set(billing.keys).subtracting(billing.filter { $0.value == "hold" }.keys) // those held by the admin stay his
        #expect(try json(q)["count"] as? Int == held.count)
        let one = try #require(held.sorted().first)
        let p1 = try peers.spoolsweep(["spool", "purge", "--batch", batch, "--id", one, "--yes"] + peers.toolOptions + ["queue"])
        #expect(p1.status == 0, "\(p1.stderr)")
        #expect(p1.stdout.hasPrefix("Purged 1 message ("), "\(p1.stdout)")
        #expect(try peers.postqueue()[one] == nil)
        let rest = try peers.spoolsweep(["spool", "purge", "--batch", batch, "--yes", "--format", "json"] + peers.toolOptions + ["queue"])
        #expect(try json(rest)["count"] as? Int == held.count - 1)
        let after = try peers.postqueue()
        #expect(after.count == 236 - held.count)
        #expect(Set(after.keys).isDisjoint(with: held))
        let audit = try String(contentsOf: peers.base.appendingPathComponent("queue/spoolsweep-quarantine/purged.jsonl"), encoding: .utf8)
        let ids = audit.split(separator: "\n").map { line in
            (try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["id"] as! String
        }
        #expect(ids.count == held.count)
        #expect(Set(ids) == held)
    }

    /// postsuper must act on the queue spoolsweep read: another queue_directory is refused.
    @Test func aPostsuperServingAnotherQueueIsRefused() throws {
        guard PostfixPeers.available() else { return }
        let elsewhere = URL(fileURLWithPath: "/var/spool/postfix-elsewhere")
        let peers = try PostfixPeers("elsewhere", queueDirectory: elsewhere)
        let r = try peers.spoolsweep(["spool", "quarantine", "--auth", "^sam@", "queue"] + peers.toolOptions)
        #expect(r.status == 64)
        #expect(r.stderr == "error: postsuper would act on \(elsewhere.path) (queue_directory of \(peers.config.path)), not on \(peers.queue.path); give --server-config with the folder of the main.cf that serves this queue, or --offline for a copy Postfix does not run on\n")
        #expect(try selected(peers, ["--state", "hold"]).count == 10)
    }

    @Test func withoutPostsuperNothingChanges() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("missing")
        let r = try peers.spoolsweep(["spool", "quarantine", "--auth", "^sam@", "queue"])
        #expect(r.status == 64)
        #expect(r.stderr == "error: postsuper not found in $PATH or /usr/sbin: a live Postfix queue is changed through it (give --queue-tool PATH); for a copy of the queue with Postfix not running on it, add --offline\n")
        #expect(!FileManager.default.fileExists(atPath: peers.base.appendingPathComponent("queue/spoolsweep-quarantine/journal").path))
    }

    /// postsuper refusing (a fatal error, nothing done): every message is reported failed with
    /// postsuper's words, the exit status says partial, and nothing moved or is listed as held.
    @Test func aFailingPostsuperIsReportedAndNothingMoves() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("failing")
        let fake = try peers.fakePostsuper("echo 'postsuper: fatal: queue directory is locked' >&2\nexit 1\n")
        let before = try peers.postqueue()
        let r = try peers.spoolsweep(["spool", "quarantine", "--min-age", "0s", "--sender", "^billing@acme-corp\\.test$", "--format", "json"]
                                     + fake.options + ["queue"])
        #expect(r.status == 2)
        let report = try json(r)
        let failed = try #require(report["failed"] as? [[String: Any]])
        #expect(failed.count == 50)
        #expect(Set(failed.map { $0["reason"] as! String }) == ["\(fake.path) -h - exited with status 1: postsuper: fatal: queue directory is locked"])
        #expect(report["count"] as? Int == 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 51)
        #expect(lines.first?.hasPrefix("spoolsweep: warning: 4jcXT") == true)
        #expect(lines.first?.hasSuffix(": \(fake.path) -h - exited with status 1: postsuper: fatal: queue directory is locked") == true)
        #expect(lines.last == "spoolsweep: 50 warning(s): the results cover only what could be read")
        let after = try peers.postqueue()
        #expect(after.mapValues { $0["queue_name"] as! String } == before.mapValues { $0["queue_name"] as! String })
        let listing = try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "queue"]))
        #expect((listing["messages"] as? [[String: Any]])?.isEmpty == true)
        #expect(listing["interrupted_runs"] as? Int == 0)
    }

    /// A run killed right after postsuper acted (before the outcomes were journaled) is found
    /// complete by recovery; a quarantine killed before postsuper ran is found untouched; a purge
    /// killed before postsuper ran is finished by recovery (its audit record says purged, as for
    /// a purge of files). Either way the journal ends consistent with the queue.
    @Test(arguments: [("quarantine", true), ("quarantine", false), ("purge", false)])
    func aRunKilledAroundPostsuperIsSettledByRecovery(_ operation: String, postsuperActs: Bool) throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("killed-\(operation)-\(postsuperActs)")
        // A postsuper that kills spoolsweep (its parent) after, or instead of, the real one.
        let real = PostfixPeers.sbin.appendingPathComponent("postsuper").path
        let fake = try peers.fakePostsuper(postsuperActs ? "\"\(real)\" \"$@\"\nkill -9 $PPID\n" : "kill -9 $PPID\n")

        let sender = ["--sender", "^billing@acme-corp\\.test$"]
        // One is on hold already: a quarantine skips it, a purge takes it.
        let billing = try selected(peers, sender).filter { operation == "purge" || $0.value != "hold" }
        #expect(billing.count == (operation == "purge" ? 51 : 50))
        let k = try peers.spoolsweep(["spool", operation, "--min-age", "0s"] + (operation == "purge" ? ["--yes"] : []) + sender
                                     + fake.options + ["queue"])
        #expect(k.status == 9, "killed: \(k.status) \(k.stderr)")
        let r = try peers.spoolsweep(["spool", "recover", "--format", "json"] + peers.toolOptions + ["queue"])
        #expect(r.status == 0, "\(r.stderr)")
        let recovery = try json(r)
        let completes = postsuperActs || operation == "purge"
        #expect(recovery["journals"] as? Int == 1)
        #expect(recovery["completed"] as? Int == (completes ? billing.count : 0))
        #expect(recovery["rolled_back"] as? Int == (completes ? 0 : billing.count))
        let after = try peers.postqueue()
        #expect(after.count == (operation == "purge" ? 236 - 51 : 236))
        for id in billing.keys {
            let expected = operation == "purge" ? nil : postsuperActs ? "hold" : billing[id]
            #expect(after[id]?["queue_name"] as? String == expected, "\(id)")
        }
        // What recovery found complete is listed as quarantined, and can be restored.
        let listing = try json(try peers.spoolsweep(["spool", "quarantined", "--format", "json", "queue"]))
        let listed = try #require(listing["messages"] as? [[String: Any]])
        #expect(Set(listed.map { $0["id"] as! String }) == (operation == "quarantine" && postsuperActs ? Set(billing.keys) : []))
    }
}
