import Foundation
import Testing

/// A generated SmarterMail spool in a temporary folder, with every message's bytes remembered,
/// so a test can prove that each message exists exactly once and whole.
final class GeneratedSpool {
    let base: URL
    var spool: URL { base.appendingPathComponent("Spool") }
    var quarantine: URL { base.appendingPathComponent("spoolsweep-quarantine") }
    /// Relative path (SubSpoolN/NAME.hdr|.eml) → bytes.
    private(set) var originals: [String: Data] = [:]
    /// Message base paths (SubSpoolN/NAME).
    private(set) var messages: [String] = []

    init(_ tag: String, count: Int) throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("spoolsweep-\(tag)-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        for s in 1...4 {
            try FileManager.default.createDirectory(at: base.appendingPathComponent("Spool/SubSpool\(s)"), withIntermediateDirectories: true)
        }
        for i in 0..<count {
            let rel = "SubSpool\(i % 4 + 1)/\(40_000_000 + i)"
            let hdr = "Written \r\nuser\(i % 50)@example.test\r\nrcpt\(i)@remote.test\r\nauth: user\(i % 50)@example.test\r\ncreationdate: 11/28/2026 10:00:00\r\n\r\n"
            let eml = "Subject: message \(i)\r\nFrom: user\(i % 50)@example.test\r\n\r\n" + String(repeating: "line of body text \(i)\r\n", count: 20 + i % 100)
            try add(rel, hdr: Data(hdr.utf8), eml: Data(eml.utf8))
        }
        age(spool)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    func add(_ rel: String, hdr: Data, eml: Data) throws {
        try hdr.write(to: spool.appendingPathComponent(rel + ".hdr"))
        try eml.write(to: spool.appendingPathComponent(rel + ".eml"))
        originals[rel + ".hdr"] = hdr
        originals[rel + ".eml"] = eml
        messages.append(rel)
    }

    /// Every file below `folder` modified two hours ago (older than --min-age).
    func age(_ folder: URL) {
        let old = Date().addingTimeInterval(-7200)
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        for case let url as URL in walker { try? FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: url.path) }
    }

    /// The batch folders in quarantine now.
    var batches: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: quarantine.appendingPathComponent("batches").path).sorted()) ?? []
    }

    /// Problems with the invariant: every message wholly in exactly one place (the spool, or one
    /// batch), byte-identical, and no copy in progress left behind.
    func problems() -> [String] {
        var out: [String] = []
        let places = [spool] + batches.map { quarantine.appendingPathComponent("batches/\($0)") }
        for m in messages {
            var found: [URL] = []
            for place in places {
                let hdr = FileManager.default.fileExists(atPath: place.appendingPathComponent(m + ".hdr").path)
                let eml = FileManager.default.fileExists(atPath: place.appendingPathComponent(m + ".eml").path)
                if hdr != eml { out.append("\(m): half in \(place.lastPathComponent)") }
                if hdr && eml { found.append(place) }
            }
            guard found.count == 1 else { out.append("\(m): in \(found.count) places"); continue }
            for ext in [".hdr", ".eml"] where (try? Data(contentsOf: found[0].appendingPathComponent(m + ext))) != originals[m + ext] {
                out.append("\(m)\(ext): bytes differ")
            }
        }
        let leftovers = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".spoolsweep-partial") } ?? []
        return out + leftovers.map { "leftover \($0)" }
    }

    /// How many run journals exist.
    var journalCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: quarantine.appendingPathComponent("journal").path).count) ?? 0
    }

    /// How many messages are in the spool now.
    var inSpool: Int {
        messages.filter { FileManager.default.fileExists(atPath: spool.appendingPathComponent($0 + ".eml").path) }.count
    }
}

/// The guarantees of quarantine and restore, proved on real processes.
@Suite(.serialized) struct QuarantineProcessTests {
    /// SIGKILL at random moments of quarantine and restore runs; after each `spool recover`,
    /// every message exists exactly once and whole.
    @Test func killedAtRandomMomentsNothingIsLost() throws {
        let spool = try GeneratedSpool("kill", count: 2000)
        var rng = SplitMix(seed: 20_261_129)
        // How long runs take here, before and after their journal appears (while files move),
        // so that kills land all through them, mostly while files move.
        func timed(_ args: [String]) throws -> (whole: UInt64, moving: UInt64) {
            let journals = spool.journalCount
            let start = DispatchTime.now().uptimeNanoseconds
            let process = try CLI.start(args, in: spool.base)
            while process.isRunning && spool.journalCount == journals { usleep(100) }
            let journaled = DispatchTime.now().uptimeNanoseconds
            process.waitUntilExit()
            let end = DispatchTime.now().uptimeNanoseconds
            #expect(process.terminationStatus == 0, "\(args)")
            return ((end - start) / 1000, max(1000, (end - journaled) / 1000))
        }
        let quarantineRun = try timed(["spool", "quarantine", "--all", "Spool"])
        let restoreRun = try timed(["spool", "restore", spool.batches[0], "Spool"])
        #expect(spool.inSpool == 2000)
        var kills = 0, recoveries = 0
        func restoreEverything() throws {
            for batch in spool.batches {
                let r = try CLI.run(["spool", "restore", batch, "Spool"], in: spool.base)
                #expect(r.status == 0, "restore \(batch): \(r.stderr)")
            }
            #expect(spool.inSpool == 2000)
        }
        // Quarantines of the whole spool (and every fifth time a restore of a whole batch), each
        // killed at a random moment, then recovered and checked, until 20 kills have landed in
        // the middle of a journaled run (timing varies with the machine's load).
        var iteration = 0
        while recoveries < 20 && iteration < 100 {
            iteration += 1
            let restoring = iteration % 5 == 0
            if restoring {
                let q = try CLI.run(["spool", "quarantine", "--all", "Spool"], in: spool.base)
                #expect(q.status == 0, "\(q.stderr)")
            }
            let args = restoring ? ["spool", "restore", spool.batches.last!, "Spool"] : ["spool", "quarantine", "--all", "Spool"]
            let timing = restoring ? restoreRun : quarantineRun
            let journals = spool.journalCount
            let process = try CLI.start(args, in: spool.base)
            if iteration % 3 == 0 {
                usleep(useconds_t(rng.next() % timing.whole)) // anywhere in the run
            } else {
                // While files move: once the run's journal exists.
                while process.isRunning && spool.journalCount == journals { usleep(100) }
                usleep(useconds_t(rng.next() % timing.moving))
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let recover = try CLI.run(["spool", "recover", "Spool"], in: spool.base)
            #expect(recover.status == 0, "recover after \(args): \(recover.stderr)")
            if recover.stdout.hasPrefix("Recovered ") { recoveries += 1 }
            let problems = spool.problems()
            #expect(problems.isEmpty, "after killing \(args) (iteration \(iteration)): \(problems.prefix(5))")
            if !problems.isEmpty { return }
            try restoreEverything()
        }
        #expect(kills >= 20, "only \(kills) runs were still going when killed")
        #expect(recoveries >= 20, "only \(recoveries) of \(kills) kills interrupted a journaled run in \(iteration) tries")
        // Everything back: the spool is as it was.
        for batch in spool.batches {
            let r = try CLI.run(["spool", "restore", batch, "Spool"], in: spool.base)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(spool.inSpool == 2000)
        #expect(spool.problems().isEmpty)
    }

    /// While a quarantine runs, a writer delivers new messages the way SmarterMail does; none of
    /// them is touched, and a later run takes them once they are old enough.
    @Test func liveWriterIsNeverTouched() throws {
        let spool = try GeneratedSpool("live", count: 2000)
        let run = try CLI.start(["spool", "quarantine", "--all", "--min-age", "2s", "Spool"], in: spool.base)
        var written: [String] = []
        for i in 0..<20 {
            let rel = "SubSpool\(i % 4 + 1)/5\(String(format: "%07d", i))"
            let hdrURL = spool.spool.appendingPathComponent(rel + ".hdr")
            let hdrWriting = Data("Writing\r\nlive\(i)@example.test\r\nx\(i)@remote.test\r\n\r\n".utf8)
            try hdrWriting.write(to: hdrURL)
            let temp = spool.spool.appendingPathComponent(rel + ".em_")
            let body = Data("Subject: live \(i)\r\n\r\nbody \(i)\r\n".utf8)
            try body.write(to: temp)
            usleep(5_000)
            rename(temp.path, spool.spool.appendingPathComponent(rel + ".eml").path)
            usleep(5_000)
            let hdrWritten = Data("Written \r\nlive\(i)@example.test\r\nx\(i)@remote.test\r\ncreationdate: 11/28/2026 17:59:00\r\n\r\n".utf8)
            try hdrWritten.write(to: hdrURL)
            written.append(rel)
            try spool.add(rel, hdr: hdrWritten, eml: body) // rewrites the same bytes: remembered as the originals
        }
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        #expect(spool.problems().isEmpty)
        for rel in written {
            #expect(FileManager.default.fileExists(atPath: spool.spool.appendingPathComponent(rel + ".eml").path), "\(rel) was touched")
        }
        sleep(3)
        let later = try CLI.run(["spool", "quarantine", "--all", "--min-age", "2s", "Spool"], in: spool.base)
        #expect(later.stdout.hasPrefix("Quarantined 20 messages"), "\(later.stdout)")
        #expect(spool.inSpool == 0)
        #expect(spool.problems().isEmpty)
    }

    /// A second run on the same spool is refused at once, naming the run that holds it.
    @Test func concurrentRunIsRefusedNamingTheHolder() throws {
        let spool = try GeneratedSpool("lock", count: 4000)
        let first = try CLI.start(["spool", "quarantine", "--all", "Spool"], in: spool.base)
        // Wait until the first run holds its lock (it shows in /proc/locks).
        var held = false
        for _ in 0..<2000 where !held {
            held = ((try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? "")
                .split(separator: "\n").contains { $0.contains("FLOCK") && $0.split(separator: " ").dropFirst(4).first == "\(first.processIdentifier)" }
            if !held { usleep(1_000) }
        }
        #expect(held)
        let second = try CLI.run(["spool", "quarantine", "--all", "Spool"], in: spool.base)
        first.waitUntilExit()
        #expect(second.status == 75)
        #expect(second.stderr == "error: another spoolsweep run is changing \(spool.spool.path): pid \(first.processIdentifier) (spoolsweep spool quarantine --all Spool); wait for it to finish\n")
        #expect(spool.problems().isEmpty)
    }
}

/// A small deterministic random generator, so a failing kill schedule can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
