import Foundation
import Testing

/// `spoolsweep trace` as a user runs it: one message's story per server (the fields checked
/// against the answer keys in MessageTraceTests), an address's list, JSON, nothing found, and the
/// quarantine's records of a message.
@Suite(.serialized) struct TraceCLITests {
    static let fixtures = CLI.root.appendingPathComponent("fixtures")

    @Test func smarterMailStory() throws {
        let r = try CLI.run(["trace", "244912742955", "smartermail"])
        try CLI.expectGolden(r.stdout, "trace-smartermail.txt")
        #expect(r.stderr == "") // the spool's orphans belong to other messages
        #expect(r.status == 0)
    }

    @Test func postfixStory() throws {
        // A deferred queue file's modification time is its next attempt: fixed, as a checkout's is not.
        let file = PostfixCLITests.copy.appendingPathComponent("postfix/queue/postfix/deferred/3/4jcXTw1mjpz7m3W")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_795_926_600)], ofItemAtPath: file.path)
        let r = try CLI.run(["trace", "4jcXTw1mjpz7m3W", "postfix/maillog", "postfix/queue"], in: PostfixCLITests.copy)
        try CLI.expectGolden(r.stdout, "trace-postfix.txt")
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    @Test func eximStoryAsJSON() throws {
        let r = try CLI.run(["trace", "--format", "json", "<D8CFE483A05B.vxggbm3w6w@widgets-store.test>", "exim/log", "exim/spool"],
                            in: Self.fixtures)
        try CLI.expectGolden(r.stdout, "trace-exim.json")
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    @Test func anAddressIsABriefBoundedList() throws {
        let r = try CLI.run(["trace", "--limit", "6", "sam@acme-corp.test", "exim/log", "exim/spool"], in: Self.fixtures)
        try CLI.expectGolden(r.stdout, "trace-exim-address.txt")
        #expect(r.status == 0)
    }

    /// CSV: one row per message; what is not known is an empty cell (not a `-` to escape).
    @Test func csvRows() throws {
        let r = try CLI.run(["trace", "--format", "csv", "--limit", "2", "jane@northwind.test", "smartermail"])
        #expect(r.stdout == """
            received,id,sender,auth,client_ip,recipients,attempts,last_outcome,now
            2026-11-27 00:00:06,454252599321,billing@proseware.test,,203.0.113.50,2,0,delivered locally,removed
            2026-11-27 02:02:17,26582053,noreply@relecloud.test,,198.51.100.61,2,0,delivered locally,removed

            """)
        #expect(r.status == 0)
    }

    /// Like grep: nothing found is exit status 1, said on standard error (JSON: an empty report).
    @Test func nothingFoundExitsOne() throws {
        let r = try CLI.run(["trace", "1zzzzz-000000-00", "exim/log"], in: Self.fixtures)
        #expect(r.stdout == "")
        #expect(r.stderr == "No message matches 1zzzzz-000000-00 in the exim logs, spool or quarantine read.\n")
        #expect(r.status == 1)
        let json = try CLI.run(["trace", "--format", "json", "1zzzzz-000000-00", "exim/log"], in: Self.fixtures)
        #expect(json.stdout.contains("\"found\": 0,\n  \"shown\": 0,"))
        #expect(json.status == 1)
        let bad = try CLI.run(["trace", "a b", "exim/log"], in: Self.fixtures)
        #expect(bad.stderr == "error: trace: 'a b' is neither an id (letters, digits, - _ .), a <Message-ID> nor an address\n")
        #expect(bad.status == 64)
    }

    /// A message quarantined, restored and purged: each run from the journals, in order, and
    /// where it is now.
    @Test func quarantineRecords() throws {
        let base = try CLI.freshFolder("trace-quarantine")
        let copy = base.appendingPathComponent("smartermail")
        try FileManager.default.copyItem(at: CLI.sampleCopy.appendingPathComponent("smartermail"), to: copy)
        let stamp = Date(timeIntervalSince1970: 1_795_867_200) // 2026-11-28 12:00:00 UTC, long past --min-age
        for case let url as URL in FileManager.default.enumerator(at: copy, includingPropertiesForKeys: nil)! {
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: url.path)
        }
        func run(_ args: [String]) throws -> CLI.Result {
            var r = try CLI.run(args + ["--now", "2026-11-28T18:00:00", "smartermail"], in: base)
            r.stdout = r.stdout.replacingOccurrences(of: #"\b([qrp])-\d{8}-\d{6}-[0-9a-f]{4}\b"#, with: "$1-RUN", options: .regularExpression)
            return r
        }
        let q = try run(["spool", "quarantine", "--sender", "^lucas@", "--subject", "holiday newsletter", "-i"])
        #expect(q.status == 0)
        #expect(q.stdout.contains("Quarantined 1 message"))
        let held = try run(["trace", "125862202478"])
        #expect(held.stdout.contains("  Now: not in the spool (quarantined)\n"))
        #expect(held.stdout.contains("  quarantined into batch q-RUN: done\n"))

        let journal = try FileManager.default.contentsOfDirectory(atPath: copy.appendingPathComponent("spoolsweep-quarantine/journal").path)
        let batchID = try #require(journal.first { $0.hasPrefix("q-") }).replacingOccurrences(of: ".journal", with: "")
        #expect(try run(["spool", "restore", batchID]).status == 0)
        #expect(try run(["spool", "purge", "--yes", "--sender", "^lucas@", "--subject", "holiday newsletter", "-i"]).status == 0)
        let story = try run(["trace", "125862202478"])
        let records = story.stdout.split(separator: "\n").filter { $0.contains(" batch q-RUN") || $0.contains("purged (run") || $0.hasPrefix("  Now:") }
            .map { $0.replacingOccurrences(of: #"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"#, with: "TIME", options: .regularExpression) }
        #expect(records == [
            "  Now: not in the spool (purged)",
            "  TIME  quarantined into batch q-RUN: done",
            "  TIME  restored from batch q-RUN: done",
            "  TIME  purged (run p-RUN): done",
        ])
        let json = try run(["trace", "--format", "json", "125862202478"])
        #expect(json.stdout.contains("\"now\": \"purged\""))
        #expect(json.stdout.contains("\"operation\": \"purge\""))
        #expect(json.stdout.contains("\"path\": \"SubSpool1/125862202478.eml\""))
    }
}
