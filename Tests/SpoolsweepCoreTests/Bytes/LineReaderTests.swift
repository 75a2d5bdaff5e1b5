import Glibc
import Testing
@testable import SpoolsweepCore

/// One delivered line, copied out of the callback.
private struct SeenLine: Equatable, CustomStringConvertible {
    let text: String
    let count: Int
    let number: Int
    let wasCut: Bool
    let isContinuation: Bool
    var description: String { "#\(number) \(wasCut ? "cut " : "")\(count) bytes: \(text.prefix(40))" }
}

private struct Split: Equatable {
    let lines: [SeenLine]
    let stats: LineStats
}

/// Splits the file at `path` with `reader`, checking which path (map or buffer) ByteSource took.
private func split(_ path: String, _ reader: LineReader, expectMapped: Bool) throws -> Split {
    let source = try ByteSource(path: path)
    #expect(source.isMapped == expectMapped, "isMapped for \(path)")
    var lines: [SeenLine] = []
    let stats = try reader.forEachLine(in: source) { line in
        lines.append(SeenLine(text: line.bytes.printable, count: line.bytes.count, number: line.number,
                              wasCut: line.wasCut, isContinuation: line.isContinuation))
    }
    return Split(lines: lines, stats: stats)
}

/// Writes `bytes` to a fresh file and splits it twice: first fresh (read through the buffer,
/// since a just-written file may still grow), then with its mtime two hours back (mapped).
private func splitBothWays(_ bytes: [UInt8], _ reader: LineReader) throws -> (buffered: Split, mapped: Split) {
    let dir = try TempFolder("lines")
    let path = try dir.write("input.log", bytes)
    let buffered = try split(path, reader, expectMapped: false)
    try TempFolder.age(path, seconds: 7200)
    let mapped = try split(path, reader, expectMapped: !bytes.isEmpty)
    return (buffered, mapped)
}

private func texts(_ s: Split) -> [String] { s.lines.map(\.text) }

private func stats(lines: Int, cut: Int = 0, binary: Bool = false, midLine: Bool = false) -> LineStats {
    var s = LineStats()
    s.lines = lines
    s.cutLines = cut
    s.isBinary = binary
    s.endsMidLine = midLine
    return s
}

private func smallReader() -> LineReader { LineReader(maxLineLength: 64, chunkSize: 16) }

@Suite struct LineReaderTests {
    @Test(arguments: [false, true])
    func lfCrlfAndMixedEndings(small: Bool) throws {
        let reader = small ? smallReader() : LineReader()
        let (buffered, mapped) = try splitBothWays(Array("one\ntwo\r\nthree\r\n\nfive\n".utf8), reader)
        #expect(texts(buffered) == ["one", "two", "three", "", "five"])
        #expect(buffered.lines.map(\.number) == [1, 2, 3, 4, 5])
        #expect(buffered.stats == stats(lines: 5))
        #expect(mapped == buffered)
    }

    @Test(arguments: [false, true])
    func utf8ByteOrderMarkIsStrippedFromTheFirstLineOnly(small: Bool) throws {
        let reader = small ? smallReader() : LineReader()
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("first\r\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("second\r\n".utf8)
        let (buffered, mapped) = try splitBothWays(bytes, reader)
        #expect(buffered.lines.map(\.count) == [5, 9])
        #expect(texts(buffered) == ["first", "\u{FEFF}second"])
        #expect(mapped == buffered)
    }

    @Test func finalLineWithoutNewlineIsDeliveredAndFlagged() throws {
        let (buffered, mapped) = try splitBothWays(Array("10:00:00 a\r\n10:00:01 b".utf8), smallReader())
        #expect(texts(buffered) == ["10:00:00 a", "10:00:01 b"])
        #expect(buffered.stats == stats(lines: 2, midLine: true))
        #expect(mapped == buffered)
    }

    @Test func fileEndingWithNewlineIsNotMidLine() throws {
        let (buffered, mapped) = try splitBothWays(Array("a\nb\n".utf8), smallReader())
        #expect(buffered.stats == stats(lines: 2))
        #expect(mapped == buffered)
    }

    @Test func emptyFileHasNoLines() throws {
        let (buffered, mapped) = try splitBothWays([], LineReader())
        #expect(buffered.lines.isEmpty)
        #expect(buffered.stats == stats(lines: 0))
        #expect(mapped == buffered)
    }

    @Test func lineLongerThanTheLimitIsCutAndTheNextLineIsIntact() throws {
        let long = String(repeating: "x", count: 100)
        let (buffered, mapped) = try splitBothWays(Array("\(long)\nafter\n".utf8), smallReader())
        #expect(buffered.lines == [
            SeenLine(text: String(repeating: "x", count: 64), count: 64, number: 1, wasCut: true, isContinuation: false),
            SeenLine(text: "after", count: 5, number: 2, wasCut: false, isContinuation: false),
        ])
        #expect(buffered.stats == stats(lines: 2, cut: 1))
        #expect(mapped == buffered)
    }

    @Test func lineOneByteOverTheLimitIsCut() throws {
        let line = String(repeating: "y", count: 65)
        let (buffered, mapped) = try splitBothWays(Array("\(line)\nz\n".utf8), smallReader())
        #expect(buffered.lines.map(\.count) == [64, 1])
        #expect(buffered.lines.map(\.wasCut) == [true, false])
        #expect(mapped == buffered)
    }

    /// A line of exactly `maxLineLength` bytes fits: it is not cut, on either path (here its
    /// 64 bytes fill four 16-byte chunks exactly, so the buffer holds the line before its LF).
    @Test func lineOfExactlyTheLimitIsNotCut() throws {
        let line = String(repeating: "e", count: 64)
        let (buffered, mapped) = try splitBothWays(Array("\(line)\nnext\n".utf8), smallReader())
        #expect(mapped.lines.map(\.wasCut) == [false, false])
        #expect(mapped.stats == stats(lines: 2))
        #expect(buffered == mapped)
    }

    /// The last line of a file cut mid-way is both over-long and unterminated: the stats say so
    /// on both paths (the warning "last line has no line ending" depends on it).
    @Test func overlongLastLineWithoutNewlineIsCutAndMidLine() throws {
        let (buffered, mapped) = try splitBothWays(Array(("ok\n" + String(repeating: "q", count: 100)).utf8), smallReader())
        #expect(mapped.lines.map(\.count) == [2, 64])
        #expect(mapped.stats == stats(lines: 2, cut: 1, midLine: true))
        #expect(buffered == mapped)
    }

    @Test func lineSplitAcrossChunksIsDeliveredWhole() throws {
        // 40 bytes: spans three 16-byte chunks. Then a CRLF whose CR ends chunk 4 and LF starts chunk 5.
        let forty = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
        let crlfAtBoundary = "abcdefghijklmnopqrstuv\r\n"  // bytes 41...64: 22 + CR (63) + LF (64)
        let text = "\(forty)\n\(crlfAtBoundary)next\n"
        let (buffered, mapped) = try splitBothWays(Array(text.utf8), smallReader())
        #expect(texts(buffered) == [forty, "abcdefghijklmnopqrstuv", "next"])
        #expect(buffered.lines.allSatisfy { !$0.wasCut })
        #expect(mapped == buffered)
    }

    @Test func manyLinesOfVaryingLengthSplitTheSameOnBothPaths() throws {
        // Lengths 0...90 except exactly 64 (covered above), in a scrambled order.
        var lines: [String] = []
        var seed: UInt32 = 12345
        for i in 0..<300 {
            seed = seed &* 1_103_515_245 &+ 12345
            var n = Int((seed >> 16) % 91)
            if n == 64 { n = 63 }
            lines.append(String(repeating: Character(UnicodeScalar(UInt8(0x61 + i % 26))), count: n))
        }
        let (buffered, mapped) = try splitBothWays(Array((lines.joined(separator: "\n") + "\n").utf8), smallReader())
        let expected = lines.map { String($0.prefix(64)) }
        #expect(texts(mapped) == expected)
        #expect(mapped.lines.map(\.wasCut) == lines.map { $0.count > 64 })
        #expect(mapped.stats == stats(lines: 300, cut: lines.filter { $0.count > 64 }.count))
        #expect(buffered == mapped)
    }

    @Test func nulByteAtTheStartMeansBinary() throws {
        let (buffered, mapped) = try splitBothWays(Array("abc\u{0}def\nmore\n".utf8), LineReader())
        #expect(buffered.lines.isEmpty)
        #expect(buffered.stats == stats(lines: 0, binary: true))
        #expect(mapped == buffered)
    }

    @Test func nulByteWithinTheFirst8KiBMeansBinary() throws {
        var bytes = Array(String(repeating: "10:00:00 fine line of text\n", count: 180).utf8) // 4860 bytes
        bytes += [0x00] + Array("tail\n".utf8)
        let (buffered, mapped) = try splitBothWays(bytes, LineReader())
        #expect(buffered.stats == stats(lines: 0, binary: true))
        #expect(mapped == buffered)
    }

    /// The probe covers the first 8 KiB whatever the reader's chunk size.
    @Test func nulByteAtOffset100MeansBinaryWithSmallChunksToo() throws {
        var bytes = Array(String(repeating: "abcdefghi\n", count: 10).utf8) // 100 bytes
        bytes += [0x00] + Array("\n".utf8)
        let (buffered, mapped) = try splitBothWays(bytes, smallReader())
        #expect(mapped.stats == stats(lines: 0, binary: true))
        #expect(buffered == mapped)
    }

    @Test func nulByteAfterThe8KiBProbeIsReadAsText() throws {
        var bytes = Array(String(repeating: "0123456789abcdef\n", count: 600).utf8) // 10200 bytes
        bytes += Array("x".utf8) + [0x00] + Array("y\nlast\n".utf8)
        let (buffered, mapped) = try splitBothWays(bytes, LineReader())
        #expect(buffered.stats == stats(lines: 602))
        #expect(buffered.lines[600].count == 3)
        #expect(buffered.lines[601].text == "last")
        #expect(mapped == buffered)
    }

    @Test func continuationLinesStartWithSpaceOrTab() throws {
        let (buffered, mapped) = try splitBothWays(Array("10:00:00 entry\n   at Foo.Bar()\n\tdetail\nx\n\n".utf8), LineReader())
        #expect(buffered.lines.map(\.isContinuation) == [false, true, true, false, false])
        #expect(mapped == buffered)
    }

    /// A 100 MB line with the default reader: cut to the 1 MiB limit, memory bounded, and the
    /// line after it intact, on both paths.
    @Test func hundredMegabyteLineIsCutToOneMebibyte() throws {
        let dir = try TempFolder("hugeline")
        let path = dir.at("2026.11.28-smtpLog.log")
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        let mebibyte = [UInt8](repeating: 0x41, count: 1 << 20)
        for _ in 0..<100 { try TempFolder.writeAll(fd, mebibyte) }
        try TempFolder.writeAll(fd, Array("\n10:00:00.000 next line\n".utf8))
        close(fd)

        let reader = LineReader()
        #expect(reader.maxLineLength == 1 << 20)
        for mapped in [false, true] {
            if mapped { try TempFolder.age(path, seconds: 7200) }
            let source = try ByteSource(path: path)
            #expect(source.isMapped == mapped)
            #expect(source.size == 100 * (1 << 20) + 24)
            var counts: [Int] = [], cut: [Bool] = [], allA = true, second = ""
            let seen = try reader.forEachLine(in: source) { line in
                counts.append(line.bytes.count)
                cut.append(line.wasCut)
                if line.number == 1 { allA = line.bytes.allSatisfy { $0 == 0x41 } }
                if line.number == 2 { second = line.bytes.printable }
            }
            #expect(counts == [1 << 20, 22], "mapped: \(mapped)")
            #expect(cut == [true, false])
            #expect(allA)
            #expect(second == "10:00:00.000 next line")
            #expect(seen == stats(lines: 2, cut: 1))
        }
    }
}
