import Foundation
import Testing

/// The clean-up walk-through of the README, on a private copy of the sample server: exact
/// outputs, with run ids and the temporary folder masked.
@Suite(.serialized) struct CleanupCLITests {
    let base: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("spoolsweep-cleanup-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let copy = base.appendingPathComponent("smartermail")
        try FileManager.default.copyItem(at: CLI.sampleCopy.appendingPathComponent("smartermail"), to: copy)
        // The copy gets new modification times: make them the sample's (long past --min-age).
        let stamp = Date(timeIntervalSince1970: 1_795_867_200) // 2026-11-28 12:00:00 UTC
        for case let url as URL in FileManager.default.enumerator(at: copy, includingPropertiesForKeys: nil)! {
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: url.path)
        }
    }

    func run(_ args: [String]) throws -> CLI.Result {
        var r = try CLI.run(args + ["--now", "2026-11-28T18:00:00", "smartermail"], in: base)
        r.stdout = mask(r.stdout)
        r.stderr = mask(r.stderr)
        return r
    }

    func mask(_ text: String) -> String {
        var t = text.replacingOccurrences(of: base.path, with: "<tmp>")
        t = t.replacingOccurrences(of: #"\b([qrp])-\d{8}-\d{6}-[0-9a-f]{4}\b"#, with: "$1-RUN", options: .regularExpression)
        // Runs carry the real time (--now only shifts ages).
        return t.replacingOccurrences(of: #"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"#, with: "TIME", options: .regularExpression)
    }

    @Test func quarantineListRestoreAndPurge() throws {
        let dry = try run(["spool", "quarantine", "--dry-run", "--auth", "^jane@northwind\\.test$"])
        try CLI.expectGolden(dry.stdout, "cleanup-quarantine-dry-run.txt")

        let q = try run(["spool", "quarantine", "--auth", "^jane@northwind\\.test$"])
        try CLI.expectGolden(q.stdout, "cleanup-quarantine.txt")
        #expect(q.status == 0) // the sample's two orphans are findings, not a failure
        let listed = try run(["spool", "list", "--count"])
        #expect(listed.stdout == "42\n") // 114 queued, 72 of them jane's

        let held = try run(["spool", "quarantined"])
        try CLI.expectGolden(held.stdout, "cleanup-quarantined.txt")

        let restored = try run(["spool", "restore", try batch(), "--subject", "storage is full"])
        try CLI.expectGolden(restored.stdout, "cleanup-restore.txt")
        #expect(restored.status == 0)
        #expect(try run(["spool", "list", "--count"]).stdout == "114\n")

        let refused = try CLI.run(["spool", "purge", "--sender", "^webform@", "smartermail"], in: base)
        #expect(refused.stderr == "error: purge deletes mail for good: add --yes (no terminal to ask on), or try --dry-run first\n")
        #expect(refused.status == 64)
        let purged = try run(["spool", "purge", "--yes", "--sender", "^webform@"])
        try CLI.expectGolden(purged.stdout, "cleanup-purge.txt")
        let audit = try run(["spool", "quarantined", "--purged", "--format", "csv"])
        try CLI.expectGolden(audit.stdout, "cleanup-purged.csv")
        #expect(try run(["spool", "recover"]).stdout == "Nothing to recover: no interrupted run.\n")
    }

    @Test func everythingNeedsAll() throws {
        let r = try run(["spool", "quarantine"])
        #expect(r.stderr == "error: no filter given: this would quarantine every queued message; add filters, or --all if that is really what you want\n")
        #expect(r.status == 64)
    }

    /// The quarantine's whole life: part of a batch purged by filter, the rest expired by age;
    /// each deletion audited, the batch folder gone once empty.
    @Test func purgeFromABatchAndExpireOldBatches() throws {
        #expect(try run(["spool", "quarantine", "--auth", "^jane@northwind\\.test$"]).status == 0)
        let b = try batch()
        let some = try run(["spool", "purge", "--batch", b, "--max-size", "3k", "--yes"])
        #expect(some.stdout.hasPrefix("Purged 33 messages ("), "\(some.stdout)")
        #expect(some.stdout.contains("); audit record in <tmp>/smartermail/spoolsweep-quarantine/purged.jsonl\n"))
        #expect(some.status == 0)
        #expect(try run(["spool", "quarantined", "--purged", "--format", "json"]).stdout.components(separatedBy: "\"run\": \"p-RUN\"").count == 34)
        #expect(try run(["spool", "list", "--count"]).stdout == "42\n") // nothing went back to the spool

        let none = try run(["spool", "purge", "--batch", "q-20200101-000000-0000", "--yes"])
        #expect(none.stderr == "error: no quarantine batch 'q-RUN' in <tmp>/smartermail/spoolsweep-quarantine (see `spoolsweep spool quarantined`)\n")
        #expect(none.status == 64)

        // Ages count from --now: a batch quarantined today is not 30 days old until next month.
        let young = try run(["spool", "quarantined", "--older-than", "30d", "--purge", "--yes"])
        #expect(young.stdout == "No quarantine batch older than 30d.\n")
        let later = ["--now", "2099-01-01T00:00:00"]
        let listed = try CLI.run(["spool", "quarantined", "--older-than", "30d"] + later + ["smartermail"], in: base)
        #expect(mask(listed.stdout).hasPrefix("Batch q-RUN: 39 messages, "), "\(listed.stdout)")
        let needsAge = try run(["spool", "quarantined", "--purge", "--yes"])
        #expect(needsAge.stderr == "error: --purge expires old batches: give --older-than AGE (e.g. 30d)\n")
        let expired = try CLI.run(["spool", "quarantined", "--older-than", "30d", "--purge", "--yes"] + later + ["smartermail"], in: base)
        #expect(mask(expired.stdout).hasPrefix("Batch q-RUN: Purged 39 messages ("), "\(expired.stdout)")
        #expect(expired.status == 0)
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("smartermail/spoolsweep-quarantine/batches/\(b)").path))
        #expect(try run(["spool", "quarantined"]).stdout == "Quarantine is empty (<tmp>/smartermail/spoolsweep-quarantine).\n")
        let audit = try run(["spool", "quarantined", "--purged", "--format", "json"]).stdout
        #expect(audit.components(separatedBy: "\"id\": ").count == 73) // all 72 of jane's, each once
    }

    func batch() throws -> String {
        try #require(try FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent("smartermail/spoolsweep-quarantine/batches").path).first)
    }
}
