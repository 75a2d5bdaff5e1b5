import Glibc
import Testing
@testable import SpoolsweepCore

/// A mutation fuzzer over every reader of files a mail server writes: it takes the fixtures'
/// SmarterMail `.hdr` envelopes and `.eml` messages, Postfix queue files, Exim `-H` files, and lines of the
/// SmarterMail, Postfix and Exim logs, damages them (bit flips, truncation, huge numbers, a
/// field repeated, a huge line, control bytes, a range deleted or doubled), and runs the
/// readers on each mutant. A reader that traps (an overflow, an index out of range) kills the
/// test process: the failure is the crash itself, and the seed and mutant number printed before
/// each batch say how to make it again.
///
/// `make test` runs `FUZZ_MUTANTS` (default 600) mutants of each of the seven kinds, seeded, so
/// the run is the same every time; `make fuzz` runs 50,000 of each with a seed from the clock
/// (`FUZZ_SEED` to repeat one).
@Suite struct MutationFuzzTests {
    static let mutants = Int(String(cString: getenv("FUZZ_MUTANTS") ?? strdup("600")))  ?? 600
    static let seed = UInt64(String(cString: getenv("FUZZ_SEED") ?? strdup("20261202"))) ?? 20_261_202

    enum Kind: String, CaseIterable, Sendable {
        case hdr, eml, postfixQueueFile, eximHeaderFile, smartermailLog, postfixLog, eximLog
    }

    @Test(arguments: Kind.allCases)
    func mutantsNeverCrashAReader(_ kind: Kind) throws {
        let corpus = try Self.corpus(kind)
        #expect(!corpus.isEmpty, "no \(kind) samples found in fixtures/")
        var rng = SplitMix(seed: Self.seed ^ UInt64(Kind.allCases.firstIndex(of: kind)!) &* 0x9E37_79B9_7F4A_7C15)
        print("fuzz \(kind.rawValue): \(Self.mutants) mutants, FUZZ_SEED=\(Self.seed)")
        let dir = try TempFolder("fuzz")
        for n in 0..<Self.mutants {
            var sample = corpus[rng.below(corpus.count)]
            for _ in 0...rng.below(3) { Mutator.mutate(&sample, &rng) }
            try Self.run(kind, sample, in: dir, n: n)
        }
    }

    // MARK: - Samples

    static func corpus(_ kind: Kind) throws -> [[UInt8]] {
        switch kind {
        case .hdr: return try files(in: fixture("smartermail/Spool"), suffix: ".hdr")
        case .eml: return try files(in: fixture("smartermail/Spool"), suffix: ".eml").map { Array($0.prefix(16_384)) }
        case .postfixQueueFile: return try files(in: fixture("postfix/queue/postfix/deferred"), suffix: "")
        case .eximHeaderFile: return try files(in: fixture("exim/spool"), suffix: "-H")
        case .smartermailLog: return try excerpts(of: files(in: fixture("smartermail/Logs"), suffix: "-smtpLog.log")
                                                   + files(in: fixture("smartermail/Logs"), suffix: "-delivery.log"))
        case .postfixLog: return try excerpts(of: [read(fixture("postfix/maillog"))])
        case .eximLog: return try excerpts(of: [read(fixture("exim/log/mainlog"))])
        }
    }

    /// Runs of 40 lines of each log, at 40 places: a small file per mutant.
    static func excerpts(of logs: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for log in logs {
            let lines = log.split(separator: 0x0A, omittingEmptySubsequences: false)
            let step = max(1, lines.count / 40)
            for start in stride(from: 0, to: lines.count, by: step) {
                out.append(Array(lines[start..<min(lines.count, start + 40)].joined(separator: [0x0A])) + [0x0A])
            }
        }
        return out
    }

    // MARK: - The readers

    static func run(_ kind: Kind, _ bytes: [UInt8], in dir: TempFolder, n: Int) throws {
        switch kind {
        case .hdr:
            var m = QueuedMessage(id: "1", queue: "", state: "")
            _ = bytes.withUnsafeBytes { SmarterMailEnvelope.parse($0, into: &m) }
        case .eml:
            let headers = bytes.withUnsafeBytes { MessageHeaders.parse($0) }
            for field in ["Subject", "From", "To", "X-PHP-Originating-Script"] { _ = headers.first(field)?.decoded }
            _ = bytes.withUnsafeBytes { MessageHeaders.bodyOffset($0) }
        case .postfixQueueFile:
            var m = QueuedMessage(id: "1", queue: "deferred", state: "")
            _ = bytes.withUnsafeBytes { PostfixQueueFile.parse($0, into: &m) }
            _ = bytes.withUnsafeBytes { PostfixQueueFile.content($0) }
        case .eximHeaderFile:
            var m = QueuedMessage(id: "1xXVWl-0007Mm-1F", queue: "input", state: "")
            _ = bytes.withUnsafeBytes { EximHeaderFile.parse($0, id: m.id, into: &m) }
        case .smartermailLog:
            let name = n % 2 == 0 ? "2026.11.28-smtpLog.log" : "2026.11.28-delivery.log"
            try readLogs(dir, name, bytes, n: n)
        case .postfixLog:
            try readLogs(dir, "mail.log", bytes, n: n)
        case .eximLog:
            try readLogs(dir, "mainlog", bytes, n: n)
        }
    }

    /// The mutant as the only log of a folder: its facts into the ledger (on one thread or on
    /// three), the server's own totals, and every other mutant the suspects.
    static func readLogs(_ dir: TempFolder, _ name: String, _ bytes: [UInt8], n: Int) throws {
        _ = unlink(dir.at("mail.log")); _ = unlink(dir.at("mainlog"))
        _ = unlink(dir.at("2026.11.28-smtpLog.log")); _ = unlink(dir.at("2026.11.28-delivery.log"))
        try dir.write(name, bytes)
        var input = InputSelection(paths: [dir.path])
        input.threads = n % 2 == 0 ? 1 : 3
        guard let (summary, _) = try? Spoolsweep.summary(input, range: nil, top: 5) else { return } // not recognisable any more
        _ = summary.json().rendered()
        if n % 4 < 2 { _ = try? Spoolsweep.suspects(input, range: nil, thresholds: SuspectThresholds(), top: 5, pathsText: "x") }
    }

    // MARK: - Files

    static func fixture(_ path: String) -> String { repositoryRoot + "/fixtures/" + path }

    static func files(in folder: String, suffix: String) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        guard let entries = FileSystem.entries(folder) else { return [] }
        for (name, kind) in entries.sorted(by: { $0.0 < $1.0 }) {
            let path = FileSystem.join(folder, name)
            switch kind {
            case .folder: out += try files(in: path, suffix: suffix)
            case .file where name.hasSuffix(suffix): out.append(try read(path))
            default: continue
            }
        }
        return out
    }

    static func read(_ path: String) throws -> [UInt8] {
        let source = try ByteSource(path: path, allowMapping: false)
        var bytes: [UInt8] = []
        _ = try source.readAll(into: &bytes, limit: 64 << 20)
        return bytes
    }
}

/// The damage a file can take.
enum Mutator {
    static let hugeNumbers: [[UInt8]] = ["9223372036854775807", "99999999999999999999999", "-1", "18446744073709551616",
                                         "0", "4294967296", "1e308", "00000000000000000000000000001"].map { Array($0.utf8) }

    static func mutate(_ s: inout [UInt8], _ rng: inout SplitMix) {
        let n = s.count
        switch rng.below(10) {
        case 0 where n > 0: // flip a bit
            s[rng.below(n)] ^= UInt8(1 << rng.below(8))
        case 1: // cut
            s.removeLast(n - rng.below(n + 1))
        case 2 where n > 0: // a digit run becomes a huge number
            var i = rng.below(n)
            while i < n, !isDigit(s[i]) { i += 1 }
            guard i < n else { return }
            var j = i
            while j < n, isDigit(s[j]) { j += 1 }
            s.replaceSubrange(i..<j, with: hugeNumbers[rng.below(hugeNumbers.count)])
        case 3: // a huge number anywhere
            s.insert(contentsOf: hugeNumbers[rng.below(hugeNumbers.count)], at: rng.below(n + 1))
        case 4 where n > 0: // a line repeated many times
            let lines = s.split(separator: 0x0A, omittingEmptySubsequences: false)
            let line = lines[rng.below(lines.count)]
            let at = rng.below(n + 1)
            var repeated: [UInt8] = []
            for _ in 0..<(1 + rng.below(200)) { repeated += line; repeated.append(0x0A) }
            s.insert(contentsOf: repeated, at: at)
        case 5: // a huge line
            s.insert(contentsOf: [UInt8](repeating: [0x41, 0x3A, 0x20, 0x5B, 0x28][rng.below(5)], count: 100_000 + rng.below(400_000)), at: rng.below(n + 1))
        case 6: // control and odd bytes
            for _ in 0..<(1 + rng.below(8)) {
                s.insert([0x00, 0x0D, 0x0A, 0x09, 0xFF, 0xC3, 0x22, 0x5C, 0x3C, 0x3E][rng.below(10)], at: rng.below(s.count + 1))
            }
        case 7 where n > 1: // delete a range
            let a = rng.below(n), b = min(n, a + 1 + rng.below(64))
            s.removeSubrange(a..<b)
        case 8 where n > 1: // double a range
            let a = rng.below(n), b = min(n, a + 1 + rng.below(256))
            s.insert(contentsOf: s[a..<b], at: b)
        default: // swap two bytes
            guard n > 1 else { return }
            s.swapAt(rng.below(n), rng.below(n))
        }
    }
}
