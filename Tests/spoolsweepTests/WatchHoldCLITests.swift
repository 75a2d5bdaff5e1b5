import Foundation
import Testing

/// `watch --hold` on a live SmarterMail spool, and on real Postfix and Exim queues through
/// postsuper and exim: exactly the spammer's messages held, those queued after the alert too,
/// and `spool restore` of the batches puts them back.
@Suite(.serialized) struct WatchHoldCLITests {
    /// The messages of `spool` by (auth, state).
    static func census(_ spool: String, in folder: URL, environment: [String: String] = [:]) throws -> [String: Int] {
        let r = try CLI.run(["spool", "list", "--format", "json", spool], in: folder, environment: environment)
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        var out: [String: Int] = [:]
        for m in try #require(j["messages"] as? [[String: Any]]) {
            out["\(m["auth"] as? String ?? "-") \(m["state"] as! String)", default: 0] += 1
        }
        return out
    }

    static func messages(_ spool: String, auth: String, in folder: URL, environment: [String: String] = [:]) throws -> [[String: Any]] {
        let r = try CLI.run(["spool", "list", "--format", "json", "--auth", "^\(auth)$", spool], in: folder, environment: environment)
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        return try #require(j["messages"] as? [[String: Any]])
    }

    /// The batches the watch keeping `state` holds `sender` in.
    static func batches(_ state: String, _ sender: String) throws -> [String] {
        let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any])
        let held = try #require(j["held"] as? [[String: Any]])
        return held.first { $0["sender"] as? String == "account \(sender)" }?["batches"] as? [String] ?? []
    }

    static func waitUntil(_ seconds: Double, _ test: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try test() { return true }
            usleep(200_000)
        }
        return try test()
    }

    /// A SmarterMail message pair in `folder`: `.hdr` with its account, `.eml`, aged `age` seconds.
    static func writePair(_ folder: URL, id: String, account: String, age: Int) throws {
        let hdr = """
            Written \r
            \(account)\r
            someone@victim.example\r
            retry: 0;01/01/2026 00:00:00\r
            from: \(account)\r
            auth: \(account)\r
            creationdate: 12/01/2026 10:00:00\r
            connectedip: 10.9.9.9\r
            smtpSessionId: 12345678\r

            """
        let eml = "From: \(account)\r\nTo: someone@victim.example\r\nSubject: Offer \(id)\r\n\r\nBody\r\n"
        for (ext, text) in [("hdr", hdr), ("eml", eml)] {
            let path = folder.appendingPathComponent("\(id).\(ext)").path
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            let when = Date().addingTimeInterval(-Double(age))
            try FileManager.default.setAttributes([.modificationDate: when], ofItemAtPath: path)
        }
    }

    /// A SmarterMail server folder `NAME/server` with `Logs/` (a file of another day in it, so
    /// that it is known as a logs folder before today's appears) and `Spool/SubSpool1/`.
    static func smarterMailServer(_ name: String) throws -> (server: URL, logs: URL, subspool: URL) {
        let server = try CLI.freshFolder(name).appendingPathComponent("server")
        let logs = server.appendingPathComponent("Logs"), sub = server.appendingPathComponent("Spool/SubSpool1")
        for f in [logs, sub] { try FileManager.default.createDirectory(at: f, withIntermediateDirectories: true) }
        try "".write(toFile: logs.path + "/2026.01.01-smtpLog.log", atomically: true, encoding: .utf8)
        return (server, logs, sub)
    }

    @Test func holdsTheSpammerOfALiveSmarterMailSpool() throws {
        let (server, logs, sub) = try Self.smarterMailServer("watch-hold-smartermail")
        for i in 0..<6 { try Self.writePair(sub, id: "10000000000\(i)", account: "spam@northwind.test", age: 300) }
        for i in 0..<4 { try Self.writePair(sub, id: "20000000000\(i)", account: "user3@lamna.test", age: 300) }
        let state = server.appendingPathComponent("state.json").path
        let folder = server.deletingLastPathComponent()
        let watch = try LiveProcess.spoolsweep(["watch", "--format", "json", "--hold", "--min-age", "5s", "--hold-every", "1s",
                                                "--state", state, server.path], in: folder)
        #expect(watch.wait(stderr: "now following"), "\(watch.stderr)")
        let writer = try LiveProcess.writer(["--format", "smartermail", "--log", logs.path, "--rate", "1000", "--normal", "200",
                                             "--spammer", "spam@northwind.test", "--spam", "200"], in: folder)
        let alert = try #require(watch.wait(for: { $0.contains("\"event\":\"alert\"") }, timeout: 30), "\(watch.stderr)")
        #expect(alert.text.contains("\"hold\":\"6 messages ("), "\(alert.text)")
        #expect(alert.text.contains("quarantined into batch "))
        #expect(try Self.census(server.path, in: folder) == ["user3@lamna.test Written": 4])
        // Queued after the alert: held as the logs show more of the spammer's messages; one
        // still young (being written) waits until it is older than --min-age.
        for i in 0..<3 { try Self.writePair(sub, id: "30000000000\(i)", account: "spam@northwind.test", age: 60) }
        try Self.writePair(sub, id: "400000000000", account: "spam@northwind.test", age: 0)
        #expect(try Self.waitUntil(20) { try Self.census(server.path, in: folder) == ["user3@lamna.test Written": 4] }, "\(watch.stderr)")
        #expect(watch.stderr.contains("left for a later run (still being written, or younger than --min-age)"), "\(watch.stderr)")
        // Released: its next messages stay.
        let release = try CLI.run(["watch", "--release", "spam@northwind.test", "--state", state, server.path], in: folder)
        #expect(release.status == 0)
        #expect(watch.wait(stderr: "released spam@northwind.test"), "\(watch.stderr)")
        try Self.writePair(sub, id: "500000000000", account: "spam@northwind.test", age: 60)
        #expect(writer.finish(timeout: 60) == 0)
        usleep(2_000_000)
        #expect(watch.terminate() == 0)
        #expect(try Self.census(server.path, in: folder) == ["user3@lamna.test Written": 4, "spam@northwind.test Written": 1])
        // Every batch restored: the spool is whole again.
        let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any])
        #expect((j["held"] as? [Any])?.isEmpty == true)
        let quarantined = try CLI.run(["spool", "quarantined", "--format", "json", server.path], in: folder)
        let q = try #require(try JSONSerialization.jsonObject(with: Data(quarantined.stdout.utf8)) as? [String: Any])
        let batches = Set(try #require(q["messages"] as? [[String: Any]]).map { $0["batch"] as! String })
        #expect(batches.count >= 2, "the first hold and at least one later run: \(batches)")
        for b in batches.sorted() {
            let r = try CLI.run(["spool", "restore", b, server.path], in: folder)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Self.census(server.path, in: folder) == ["user3@lamna.test Written": 4, "spam@northwind.test Written": 11])
    }

    /// `spool restore` of a hold batch while the watch runs: the watch lets go of the sender,
    /// and the restored messages stay in the spool.
    @Test func aRestoredBatchReleasesTheSender() throws {
        let (server, logs, sub) = try Self.smarterMailServer("watch-hold-restore")
        for i in 0..<4 { try Self.writePair(sub, id: "10000000000\(i)", account: "spam@northwind.test", age: 300) }
        let state = server.appendingPathComponent("state.json").path
        let folder = server.deletingLastPathComponent()
        let watch = try LiveProcess.spoolsweep(["watch", "--format", "json", "--hold", "--min-age", "5s", "--hold-every", "1s",
                                                "--state", state, server.path], in: folder)
        #expect(watch.wait(stderr: "now following"), "\(watch.stderr)")
        let writer = try LiveProcess.writer(["--format", "smartermail", "--log", logs.path, "--rate", "1000", "--normal", "100",
                                             "--spammer", "spam@northwind.test", "--spam", "300"], in: folder)
        _ = try #require(watch.wait(for: { $0.contains("\"event\":\"alert\"") }, timeout: 30), "\(watch.stderr)")
        #expect(try Self.census(server.path, in: folder) == [:])
        let batch = try #require(try Self.batches(state, "spam@northwind.test").first)
        let restore = try CLI.run(["spool", "restore", batch, server.path], in: folder)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(watch.wait(stderr: "spam@northwind.test: no longer held: batch \(batch) was restored", timeout: 10), "\(watch.stderr)")
        #expect(writer.finish(timeout: 60) == 0)
        #expect(watch.terminate() == 0)
        #expect(try Self.census(server.path, in: folder) == ["spam@northwind.test Written": 4])
        #expect(try Self.batches(state, "spam@northwind.test") == [])
    }

    /// On a real Postfix queue (postsuper -h): sam's deferred messages put on hold, three more
    /// of his put back into the queue after the alert held too, no one else's touched; the
    /// batches restored release them.
    @Test func holdsTheSpammerOfARealPostfixQueue() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("watch-hold")
        let queue = peers.queue.path
        let before = try Self.census(queue, in: peers.base)
        #expect(before["sam@acme-corp.test deferred"] == 176 && before["sam@acme-corp.test hold"] == 6)
        // Three of sam's messages are set aside, to be queued after the alert.
        let aside = peers.base.appendingPathComponent("aside")
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        let sams = try Self.messages(queue, auth: "sam@acme-corp\\.test", in: peers.base).filter { $0["queue"] as? String == "deferred" }
        var setAside: [(from: String, to: String)] = []
        for m in sams.prefix(3) {
            let path = m["envelope_path"] as! String
            let from = path.hasPrefix("/") ? path : peers.base.appendingPathComponent(path).path
            let to = aside.appendingPathComponent(m["id"] as! String).path
            try FileManager.default.moveItem(atPath: from, toPath: to)
            setAside.append((from, to))
        }
        let log = peers.base.appendingPathComponent("mail.log").path
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let state = peers.base.appendingPathComponent("state.json").path
        let watch = try LiveProcess.spoolsweep(["watch", "--format", "json", "--hold", "--hold-every", "1s", "--min-age", "1s", "--state", state]
                                               + peers.toolOptions + [log, queue], in: peers.base, environment: PostfixPeers.environment)
        #expect(watch.wait(stderr: "now following"), "\(watch.stderr)")
        let writer = try LiveProcess.writer(["--format", "postfix", "--log", log, "--rate", "1000", "--normal", "300",
                                             "--spammer", "sam@acme-corp.test", "--spam", "300"], in: peers.base)
        let alert = try #require(watch.wait(for: { $0.contains("\"event\":\"alert\"") }, timeout: 30), "\(watch.stderr)")
        #expect(alert.text.contains("\"hold\":\"173 messages ("), "\(alert.text)")
        #expect(alert.text.contains("put on hold (batch "))
        for (from, to) in setAside { try FileManager.default.moveItem(atPath: to, toPath: from) }
        #expect(try Self.waitUntil(20) { try Self.census(queue, in: peers.base)["sam@acme-corp.test deferred"] == nil }, "\(watch.stderr)")
        #expect(writer.finish(timeout: 60) == 0)
        #expect(watch.terminate() == 0)
        var expected = before
        expected["sam@acme-corp.test hold"] = 182
        expected["sam@acme-corp.test deferred"] = nil
        #expect(try Self.census(queue, in: peers.base) == expected)
        let onHold = try peers.postqueue().filter { $0.value["queue_name"] as? String == "hold" }.count
        #expect(onHold == 182 + 3 + 1, "postsuper's own view: sam's 182, and the 4 others held before")
        let batches = try Self.batches(state, "sam@acme-corp.test")
        #expect(batches.count == 2, "\(batches)")
        for b in batches {
            let r = try CLI.run(["spool", "restore", b] + peers.toolOptions + [queue], in: peers.base, environment: PostfixPeers.environment)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Self.census(queue, in: peers.base) == before)
    }

    /// On a real Exim spool (exim -Mf): sam's queued messages frozen (his 6 frozen before left as they are), three of his put back after
    /// the alert frozen too; the batches restored thaw them.
    @Test func holdsTheSpammerOfARealEximSpool() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("watch-hold")
        let spool = peers.spool.path
        let before = try Self.census(spool, in: peers.base, environment: peers.environment)
        #expect(before["sam@acme-corp.test queued"] == 176 && before["sam@acme-corp.test frozen"] == 6, "\(before)")
        let aside = peers.base.appendingPathComponent("aside")
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        let sams = try Self.messages(spool, auth: "sam@acme-corp\\.test", in: peers.base, environment: peers.environment)
            .filter { $0["state"] as? String == "queued" }
        var setAside: [(from: String, to: String)] = []
        for m in sams.prefix(3) {
            for key in ["envelope_path", "content_path"] {
                let path = m[key] as! String
                let from = path.hasPrefix("/") ? path : peers.base.appendingPathComponent(path).path
                let to = aside.appendingPathComponent(FileManager.default.displayName(atPath: from)).path
                try FileManager.default.moveItem(atPath: from, toPath: to)
                setAside.append((from, to))
            }
        }
        // Exim's own mainlog: exim -Mf writes to it too.
        let log = peers.base.appendingPathComponent("log/mainlog").path
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        chown(log, uid_t(EximPeers.uid), gid_t(EximPeers.gid))
        let state = peers.base.appendingPathComponent("state.json").path
        let watch = try LiveProcess.spoolsweep(["watch", "--format", "json", "--hold", "--hold-every", "1s", "--min-age", "1s", "--state", state]
                                               + peers.toolOptions + [log, spool], in: peers.base, environment: peers.environment)
        #expect(watch.wait(stderr: "now following"), "\(watch.stderr)")
        let writer = try LiveProcess.writer(["--format", "exim", "--log", log, "--rate", "1000", "--normal", "300",
                                             "--spammer", "sam@acme-corp.test", "--spam", "300"], in: peers.base)
        let alert = try #require(watch.wait(for: { $0.contains("\"event\":\"alert\"") }, timeout: 30), "\(watch.stderr)")
        #expect(alert.text.contains("\"hold\":\"173 messages ("), "\(alert.text)")
        #expect(alert.text.contains("frozen (batch "))
        for (from, to) in setAside { try FileManager.default.moveItem(atPath: to, toPath: from) }
        #expect(try Self.waitUntil(20) { try Self.census(spool, in: peers.base, environment: peers.environment)["sam@acme-corp.test queued"] == nil }, "\(watch.stderr)")
        #expect(writer.finish(timeout: 60) == 0)
        #expect(watch.terminate() == 0)
        var expected = before
        expected["sam@acme-corp.test frozen"] = 182
        expected["sam@acme-corp.test queued"] = nil
        #expect(try Self.census(spool, in: peers.base, environment: peers.environment) == expected)
        let frozen = try peers.queue().values.filter(\.frozen).count
        #expect(frozen == 182 + 5, "exim's own view: sam's 182, and the 5 others frozen before")
        for b in try Self.batches(state, "sam@acme-corp.test") {
            let r = try CLI.run(["spool", "restore", b] + peers.toolOptions + [spool], in: peers.base, environment: peers.environment)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Self.census(spool, in: peers.base, environment: peers.environment) == before)
    }
}
