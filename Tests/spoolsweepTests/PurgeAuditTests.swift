import Foundation
import Testing

/// The purge audit is as safe as the messages: killed at every fsync and every write of a purge
/// (strace's fault injection), stopped by a full disk, or with a torn last record, then
/// recovered, the audit names exactly the messages deleted, each once.
@Suite(.serialized) struct PurgeAuditTests {
    static let strace: URL = {
        for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/strace") {
            return URL(fileURLWithPath: dir + "/strace")
        }
        return URL(fileURLWithPath: "/usr/bin/strace")
    }()

    /// strace, or a failure saying how to get it.
    static func requireStrace() throws {
        guard FileManager.default.isExecutableFile(atPath: strace.path) else {
            Issue.record("strace not found: the purge-audit tests kill spoolsweep at each fsync and write through it; install it with `apt-get install strace` (make test does)")
            throw CancellationError()
        }
    }

    static let purgeAll = ["spool", "purge", "--yes", "--all", "--min-age", "0s", "Spool"]

    /// Runs spoolsweep under strace with one fault injected.
    static func underStrace(_ spool: GeneratedSpool, _ straceArgs: [String], _ args: [String]) throws -> CLI.Result {
        try CLI.run(strace, ["-f", "-o", "/dev/null"] + straceArgs + [CLI.binary.path] + args, in: spool.base)
    }

    /// The ids in the audit, in order (a line that is not a record is an issue).
    static func auditIDs(_ spool: GeneratedSpool, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let text = (try? String(contentsOf: spool.quarantine.appendingPathComponent("purged.jsonl"), encoding: .utf8)) ?? ""
        #expect(text.isEmpty || text.hasSuffix("\n"), "a torn last line", sourceLocation: sourceLocation)
        return text.split(separator: "\n").compactMap { line in
            let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(record?["id"] is String, "not a record: \(line)", sourceLocation: sourceLocation)
            return record?["id"] as? String
        }
    }

    /// Problems with the audit's invariant: every message wholly in the spool or wholly gone,
    /// and the audit naming exactly the gone ones, each once.
    static func problems(_ spool: GeneratedSpool) -> [String] {
        var out: [String] = []
        var gone = Set<String>()
        for m in spool.messages {
            let hdr = FileManager.default.fileExists(atPath: spool.spool.appendingPathComponent(m + ".hdr").path)
            let eml = FileManager.default.fileExists(atPath: spool.spool.appendingPathComponent(m + ".eml").path)
            if hdr != eml { out.append("\(m): half deleted") }
            if !hdr && !eml { gone.insert(String(m.split(separator: "/").last!)) }
        }
        let ids = auditIDs(spool)
        if ids.count != Set(ids).count { out.append("audit records twice: \(ids.count) records for \(Set(ids).count) messages") }
        if Set(ids) != gone {
            out.append("audit ≠ deleted: \(Set(ids).subtracting(gone).count) recorded but in the spool, \(gone.subtracting(ids).count) deleted without a record")
        }
        return out
    }

    /// SIGKILL at the n-th fsync, then at the n-th write, for every n until the purge runs to its
    /// end; after each kill `spool recover`, the invariant; then a purge of what is left: the
    /// audit names every message once.
    @Test(arguments: ["fsync", "write"])
    func killedAtEverySyscallTheAuditMatchesTheDeletions(_ syscall: String) throws {
        try Self.requireStrace()
        var kills = 0
        for n in 1...400 {
            let spool = try GeneratedSpool("audit-\(syscall)", count: 150) // three groups of 64
            let r = try Self.underStrace(spool, ["-e", "trace=\(syscall)", "-e", "inject=\(syscall):signal=SIGKILL:when=\(n)"], Self.purgeAll)
            if r.stdout.hasPrefix("Purged 150 messages") {
                #expect(r.status == 0, "\(r.stderr)")
                #expect(Self.problems(spool) == [])
                break
            }
            kills += 1
            let recover = try CLI.run(["spool", "recover", "Spool"], in: spool.base)
            #expect(recover.status == 0, "kill at \(syscall) \(n): \(recover.stdout)\(recover.stderr)")
            #expect(Self.problems(spool) == [], "kill at \(syscall) \(n)")
            let rest = try CLI.run(Self.purgeAll, in: spool.base)
            #expect(rest.status == 0, "kill at \(syscall) \(n): \(rest.stdout)\(rest.stderr)")
            #expect(spool.inSpool == 0)
            #expect(Self.problems(spool) == [], "kill at \(syscall) \(n), then the rest purged")
        }
        #expect(kills >= (syscall == "fsync" ? 8 : 5), "kills landed: \(kills)")
    }

    /// A full disk while the audit is written: the error says so (not a stale errno), nothing
    /// partial stays in the audit, no more is purged, and recovery writes the records of what was.
    @Test func aFullDiskStopsThePurgeAndRecoveryWritesTheRecords() throws {
        try Self.requireStrace()
        let spool = try GeneratedSpool("audit-full", count: 150)
        let audit = spool.quarantine.appendingPathComponent("purged.jsonl").path
        let r = try Self.underStrace(spool, ["-P", audit, "-e", "trace=write", "-e", "inject=write:error=ENOSPC"], Self.purgeAll)
        #expect(r.status == 2)
        #expect(r.stderr.contains("spoolsweep: warning: journal: \(audit): cannot write the audit record: No space left on device: the messages already purged are named in the journal, and `spoolsweep spool recover` writes their records once it can; no more is purged\n"), "\(r.stderr)")
        #expect(spool.inSpool == 150 - 64)
        #expect(Self.auditIDs(spool) == [])
        let recover = try CLI.run(["spool", "recover", "Spool"], in: spool.base)
        #expect(recover.stdout == "Recovered 1 interrupted run(s): 0 message(s) completed, 0 left in place, 64 purge audit record(s) written.\n")
        #expect(Self.problems(spool) == [])
        let again = try CLI.run(["spool", "recover", "Spool"], in: spool.base)
        #expect(again.stdout == "Nothing to recover: no interrupted run.\n")
    }

    /// A last record cut short (by a crash of an older version, a power cut) is moved aside
    /// before the next is appended, and said; a damaged line inside is a warning of the listing.
    @Test func aTornTailIsRepairedAndDamageReported() throws {
        let spool = try GeneratedSpool("audit-torn", count: 10)
        try FileManager.default.createDirectory(at: spool.quarantine, withIntermediateDirectories: true)
        let whole = #"{"time":"2026-11-27 10:00:00","run":"p-20261127-100000-0001","id":"39999999","queue":"SubSpool1","sender":"a@example.test","auth":null,"recipients":[],"subject":"","size":1,"files":[]}"#
        let torn = #"{"time":"2026-11-27 11:00:00","run":"p-20261127-110000-0002","id":"399"#
        try Data((whole + "\n" + torn).utf8).write(to: spool.quarantine.appendingPathComponent("purged.jsonl"))
        let r = try CLI.run(Self.purgeAll, in: spool.base)
        #expect(r.status == 2)
        let damaged = spool.quarantine.appendingPathComponent("purged.damaged")
        #expect(r.stderr.contains("spoolsweep: warning: journal: \(spool.quarantine.path)/purged.jsonl: its last record was cut short (\(torn.utf8.count) bytes: a crash or a full disk while it was written); moved to \(damaged.path), the records of interrupted purges are written again from their journals\n"), "\(r.stderr)")
        #expect(try String(contentsOf: damaged, encoding: .utf8) == torn + "\n")
        let ids = Self.auditIDs(spool)
        #expect(ids.first == "39999999")
        #expect(ids.count == 11)
        let listing = try CLI.run(["spool", "quarantined", "--purged", "Spool"], in: spool.base)
        #expect(listing.stderr == "")
        #expect(listing.status == 0)

        // Damage inside the file is a warning, never skipped silently.
        let text = try String(contentsOf: spool.quarantine.appendingPathComponent("purged.jsonl"), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\n", with: "\nnot a record\n", range: text.range(of: "\n")).utf8)
            .write(to: spool.quarantine.appendingPathComponent("purged.jsonl"))
        let warned = try CLI.run(["spool", "quarantined", "--purged", "Spool"], in: spool.base)
        #expect(warned.stderr == "spoolsweep: warning: \(spool.quarantine.path)/purged.jsonl: line 2 is not a whole audit record (damaged); left as it is\nspoolsweep: 1 warning(s): the results cover only what could be read\n")
        #expect(warned.status == 2)
        #expect(warned.stdout.hasPrefix("Purged messages (11), from "))
    }
}
