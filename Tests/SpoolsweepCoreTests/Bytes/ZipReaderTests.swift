import Glibc
import Testing
@testable import SpoolsweepCore

/// The lines of `path` as the reader delivers them, and its stats.
private func lines(_ path: String, _ reader: LineReader = LineReader()) throws(FileReadError) -> ([String], LineStats) {
    var out: [String] = []
    let stats = try reader.forEachLine(path: path) { out.append($0.bytes.printable) }
    return (out, stats)
}

private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// Why the reader refuses `path`, or nil when it reads it.
private func refusal(_ path: String) -> String? {
    do {
        _ = try lines(path)
        return nil
    } catch {
        return error.reason
    }
}

/// A SmarterMail day zipped by the server's maintenance task: one `.log` member, read through
/// libzip in chunks, line for line the log it was.
@Suite struct ZipReaderTests {
    /// 20,000 lines (about 1.3 MB): many chunks of the reader's buffer, a line across each edge.
    static let bigLog = (0..<20_000).map { "10:\(pad($0 / 60 % 60)):\(pad($0 % 60)).\(pad($0 % 1000 + 1000).dropFirst()) [192.0.2.\($0 % 250)][\($0)] cmd: RCPT TO:<user\($0)@northwind.test>" }

    @Test(arguments: ZipMethod.allCases)
    func theMemberIsReadLineForLine(_ method: ZipMethod) throws {
        let dir = try TempFolder("zipread")
        let text = Self.bigLog.joined(separator: "\r\n") + "\r\n"
        let path = try dir.zip("2026.11.27-smtpLog.log.zip", [("2026.11.27-smtpLog.log", "\u{FEFF}" + text)], method)
        for reader in [LineReader(), LineReader(maxLineLength: 200, chunkSize: 4096)] {
            let (seen, stats) = try lines(path, reader)
            let common = min(seen.count, Self.bigLog.count)
            if let i = (0..<common).first(where: { seen[$0] != Self.bigLog[$0] }) ?? (seen.count == Self.bigLog.count ? nil : common) {
                Issue.record("line \(i + 1) differs: \(i < seen.count ? seen[i] : "(none)")")
            }
            #expect(stats.lines == 20_000)
            #expect(stats.cutLines == 0 && !stats.endsMidLine && !stats.isBinary)
        }
        #expect(try fileBytes(path).count < text.utf8.count || method == .stored)
    }

    /// The first 4 KiB, to tell whose log it is, come decompressed.
    @Test func theHeadIsDecompressed() throws {
        let dir = try TempFolder("ziphead")
        let path = try dir.zip("a.log.zip", [("a.log", Self.bigLog.joined(separator: "\n"))])
        let head = try #require(LogFiles.head(path))
        #expect(head.count == 4096)
        #expect(String(decoding: head.prefix(Self.bigLog[0].utf8.count), as: UTF8.self) == Self.bigLog[0])
        try dir.write("b.log.zip", "not a zip")
        #expect(LogFiles.head(dir.at("b.log.zip")) == nil)
    }

    /// Anything but one `.log` member, or damaged data, is refused with the reason.
    @Test func anArchiveThatIsNotOneLogIsRefusedWithTheReason() throws {
        let dir = try TempFolder("zipbad")
        let log = "10:00:00.000 [192.0.2.1][1] cmd: EHLO x\n"
        try dir.zip("two.log.zip", [("a.log", log), ("b.log", log)])
        try dir.zip("none.log.zip", [] as [(String, String)])
        try dir.zip("notes.log.zip", [("notes.txt", log)], .stored)
        try dir.write("empty.log.zip", "")
        try dir.write("text.log.zip", log)
        let whole = try dir.zip("whole.log.zip", [("whole.log", Self.bigLog.joined(separator: "\n"))])
        let bytes = try fileBytes(whole)
        try dir.write("cut.log.zip", Array(bytes.prefix(bytes.count / 2)))
        // Damage inside the deflated data, the archive's directory intact.
        var damaged = bytes
        for i in stride(from: 2000, to: 2400, by: 1) { damaged[i] ^= 0x55 }
        try dir.write("damaged.log.zip", damaged)
        // A stored member with one byte changed: only its CRC tells.
        let stored = try fileBytes(try dir.zip("stored.log.zip", [("stored.log", log)], .stored))
        var flipped = stored
        flipped[30 + "stored.log".utf8.count + 3] ^= 0x01
        try dir.write("crc.log.zip", flipped)

        #expect(refusal(dir.at("two.log.zip")) == "zip archive holds 2 files, not one log")
        #expect(refusal(dir.at("none.log.zip")) == "zip archive holds no file (a zipped log holds one .log)")
        #expect(refusal(dir.at("empty.log.zip")) == "not a readable zip archive (Not a zip archive)")
        #expect(refusal(dir.at("notes.log.zip")) == "zip archive holds \"notes.txt\", not a .log")
        #expect(refusal(dir.at("text.log.zip")) == "not a readable zip archive (Not a zip archive)")
        #expect(refusal(dir.at("cut.log.zip")) == "not a readable zip archive (Not a zip archive)")
        #expect(refusal(dir.at("damaged.log.zip")) == "damaged zip data (Zlib error: data error)")
        #expect(refusal(dir.at("crc.log.zip")) == "damaged zip data (CRC error)")
        #expect(refusal(dir.at("stored.log.zip")) == nil)
        #expect(refusal(dir.at("missing.log.zip")) == "vanished before it could be read")
    }

    /// Seeded damage anywhere in an archive (flipped bytes, a cut, a huge count): never a crash;
    /// the log is read or refused with a reason that is not empty.
    @Test func damagedArchivesNeverCrash() throws {
        let dir = try TempFolder("zipfuzz")
        let log = Self.bigLog.prefix(300).joined(separator: "\n") + "\n"
        var rng = SplitMix(seed: 14)
        for method in ZipMethod.allCases {
            let original = try fileBytes(try dir.zip("a-\(method).log.zip", [("a.log", log)], method))
            var read = 0, refused = 0
            for n in 0..<300 {
                var bytes = original
                switch n % 3 {
                case 0: for _ in 0..<(1 + rng.below(4)) { bytes[rng.below(bytes.count)] ^= UInt8(1 + rng.below(255)) }
                case 1: bytes.removeLast(1 + rng.below(bytes.count - 1))
                default:
                    let at = rng.below(bytes.count - 4)
                    for k in 0..<4 { bytes[at + k] = 0xFF }
                }
                let path = try dir.write("m.log.zip", bytes)
                switch refusal(path) {
                case nil: read += 1
                case let reason?: refused += 1; #expect(!reason.isEmpty)
                }
            }
            #expect(read + refused == 300)
            #expect(refused > 100, "\(method): \(refused) of 300 mutants refused")
        }
    }
}
