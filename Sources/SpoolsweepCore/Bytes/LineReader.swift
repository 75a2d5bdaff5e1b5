import Glibc

/// One line of a file: its bytes without the line ending (LF or CRLF) and without a leading
/// UTF-8 byte-order mark. Valid only during the callback that receives it.
public struct Line {
    public let bytes: UnsafeRawBufferPointer
    /// 1-based line number in the file.
    public let number: Int
    /// The line was longer than the reader's limit and holds only its first part.
    public let wasCut: Bool

    /// A continuation line (it starts with a space or a TAB) belongs to the entry above it.
    @inline(__always) public var isContinuation: Bool {
        guard let first = bytes.first else { return false }
        return first == 0x20 || first == 0x09
    }
}

/// What a reader saw in one file, for the warnings.
public struct LineStats: Equatable, Sendable {
    public var lines = 0
    public var cutLines = 0
    /// The file holds NUL bytes in its first 8 KiB: it is not text and was not split.
    public var isBinary = false
    /// The last line had no line ending (a file cut mid-line, or still being written).
    public var endsMidLine = false
    public init() {}

    /// Adds what a reader saw in the next piece of the same file.
    mutating func add(_ later: LineStats) {
        lines += later.lines
        cutLines += later.cutLines
        endsMidLine = later.endsMidLine
    }
}

/// How a log file is compressed, by its name: `.gz` (a rotated syslog-style log), `.zst` (one
/// rotated by logrotate's zstd, or events `-o FILE.zst`) or `.zip` (a SmarterMail day compressed
/// by the server's maintenance task).
enum Compression {
    case gzip, zstd, zip

    init?(path: String) {
        if path.hasSuffix(".gz") {
            self = .gzip
        } else if path.hasSuffix(".zst") {
            self = .zstd
        } else if path.utf8.count > 4, path.lowercased().hasSuffix(".zip") {
            self = .zip
        } else {
            return nil
        }
    }

    /// The name without the compression suffix (`2026.11.27-smtpLog.log.zip` → `…-smtpLog.log`).
    static func stripped(_ name: String) -> String {
        switch Compression(path: name) {
        case .gzip: return String(name.dropLast(3))
        case .zstd, .zip: return String(name.dropLast(4))
        case nil: return name
        }
    }
}

/// The one line splitter: LF and CRLF, a UTF-8 BOM, lines of any length.
///
/// A line longer than `maxLineLength` is delivered cut to that length (flagged `wasCut`) and the
/// rest of it is skipped, so memory stays bounded by one buffer whatever the input. The buffer is
/// allocated once and reused for every file a reader reads.
public final class LineReader {
    public let maxLineLength: Int
    private let chunkSize: Int
    private let buffer: UnsafeMutableRawBufferPointer

    public init(maxLineLength: Int = 1 << 20, chunkSize: Int = 1 << 18) {
        precondition(maxLineLength > 0 && chunkSize > 0)
        self.maxLineLength = maxLineLength
        self.chunkSize = chunkSize
        buffer = .allocate(byteCount: max(chunkSize + maxLineLength, LineReader.nulProbe + chunkSize), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with every line of `source`, in order.
    public func forEachLine(
        in source: borrowing ByteSource, _ body: (Line) -> Void
    ) throws(FileReadError) -> LineStats {
        if let map = source.mappedBytes {
            return splitMapped(map, body)
        }
        let counts = countsProgress
        return try splitBuffered({ (b) throws(FileReadError) in
            let n = try source.read(into: b)
            if counts { ReadProgress.shared.add(bytes: n) }
            return n
        }, body)
    }

    /// Opens `path` and calls `body` with every line; a `.gz` file, or the one log of a `.zip`
    /// archive, is decompressed as it is read. The bytes and the file count in `ReadProgress`.
    public func forEachLine(path: String, _ body: (Line) -> Void) throws(FileReadError) -> LineStats {
        defer { ReadProgress.shared.fileDone() }
        if let compression = Compression(path: path) {
            // A compressed file counts its size on disk once read.
            defer { ReadProgress.shared.add(bytes: FileSystem.status(path)?.size ?? 0) }
            switch compression {
            case .gzip:
                let source = try ByteSource(path: path, allowMapping: false)
                let gzip = GzipReader()
                return try splitBuffered({ (b) throws(FileReadError) in try gzip.read(from: source, into: b) }, body)
            case .zstd:
                let source = try ByteSource(path: path, allowMapping: false)
                let zstd = ZstdReader()
                return try splitBuffered({ (b) throws(FileReadError) in try zstd.read(from: source, into: b) }, body)
            case .zip:
                let zip = try ZipReader(ByteSource(path: path, allowMapping: false))
                return try splitBuffered({ (b) throws(FileReadError) in try zip.read(into: b) }, body)
            }
        }
        let source = try ByteSource(path: path)
        countsProgress = true
        defer { countsProgress = false }
        return try forEachLine(in: source, body)
    }

    /// Whether the file being split counts its bytes in `ReadProgress` as they are split.
    private var countsProgress = false

    // MARK: - Splitting

    private static let nulProbe = 8192
    private static let releaseStep = 8 << 20

    private func splitMapped(_ map: UnsafeRawBufferPointer, _ body: (Line) -> Void) -> LineStats {
        if LineReader.isBinary(map) {
            var stats = LineStats()
            stats.isBinary = true
            return stats
        }
        return splitMapped(map, range: LineReader.bomLength(map.baseAddress!, map.count)..<map.count, counts: countsProgress, body)
    }

    /// Whether a mapped file holds NUL bytes in its first 8 KiB: it is not text.
    static func isBinary(_ map: UnsafeRawBufferPointer) -> Bool {
        map.count > 0 && memchr(map.baseAddress!, 0, min(map.count, LineReader.nulProbe)) != nil
    }

    /// Calls `body` with every line of `range` of a mapped text file: one piece of a file read
    /// in pieces (`LogPieces`), which starts at the start of a line. Its bytes count in
    /// `ReadProgress`; line numbers count from the piece's start.
    func forEachLine(inMapped map: UnsafeRawBufferPointer, range: Range<Int>, _ body: (Line) -> Void) -> LineStats {
        splitMapped(map, range: range, counts: true, body)
    }

    private func splitMapped(_ map: UnsafeRawBufferPointer, range: Range<Int>, counts: Bool, _ body: (Line) -> Void) -> LineStats {
        var stats = LineStats()
        let base = map.baseAddress!
        var start = range.lowerBound
        let end = range.upperBound
        // Released in whole steps of the mapping (madvise takes page-aligned addresses).
        var released = (start + LineReader.releaseStep - 1) & ~(LineReader.releaseStep - 1)
        var counted = start
        while start < end {
            let nl = memchr(base + start, 0x0A, end - start)
            let lineEnd = nl.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? end
            if nl == nil { stats.endsMidLine = true }
            deliver(UnsafeRawBufferPointer(start: base + start, count: lineEnd - start), &stats, body)
            start = lineEnd + 1
            if start - released >= LineReader.releaseStep {
                // Pages already split are dropped from the process's resident set (they stay in
                // the page cache), so memory stays flat however large the file.
                let upTo = start & ~(LineReader.releaseStep - 1)
                madvise(UnsafeMutableRawPointer(mutating: base + released), upTo - released, MADV_DONTNEED)
                released = upTo
                if counts { ReadProgress.shared.add(bytes: upTo - counted) }
                counted = upTo
            }
        }
        if counts { ReadProgress.shared.add(bytes: end - counted) }
        return stats
    }

    /// Splits what `readMore` delivers (0 at the end), through the reused buffer.
    private func splitBuffered(
        _ readMore: (UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int, _ body: (Line) -> Void
    ) throws(FileReadError) -> LineStats {
        var stats = LineStats()
        let base = buffer.baseAddress!
        var (end, atEOF) = try prefill(readMore, base)
        if memchr(base, 0, min(end, LineReader.nulProbe)) != nil {
            stats.isBinary = true
            return stats
        }
        var start = LineReader.bomLength(base, end)
        var skippingRest = false
        while true {
            // Deliver every complete line in [start, end).
            while start < end {
                guard let nl = memchr(base + start, 0x0A, end - start) else { break }
                let lineEnd = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
                if skippingRest {
                    skippingRest = false
                } else {
                    deliver(UnsafeRawBufferPointer(start: base + start, count: lineEnd - start), &stats, body)
                }
                start = lineEnd + 1
            }
            if atEOF {
                if skippingRest {
                    stats.endsMidLine = true // the cut line never ended
                } else if start < end {
                    stats.endsMidLine = true
                    deliver(UnsafeRawBufferPointer(start: base + start, count: end - start), &stats, body)
                }
                return stats
            }
            if skippingRest {
                start = 0; end = 0
            } else if end - start > maxLineLength {
                // A line longer than the limit: deliver its first part, skip to its end.
                deliver(UnsafeRawBufferPointer(start: base + start, count: maxLineLength), &stats, body, cut: true)
                skippingRest = true
                start = 0; end = 0
            } else if start > 0 {
                memmove(base, base + start, end - start)
                end -= start; start = 0
            }
            let n = try readMore(UnsafeMutableRawBufferPointer(start: base + end, count: min(chunkSize, buffer.count - end)))
            if n == 0 { atEOF = true; continue }
            end += n
        }
    }

    /// Reads the first 8 KiB (or the whole file if smaller) before any line is delivered, so a
    /// file with NUL bytes there is rejected as binary whatever the chunk size.
    private func prefill(
        _ readMore: (UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int, _ base: UnsafeMutableRawPointer
    ) throws(FileReadError) -> (end: Int, atEOF: Bool) {
        var end = 0
        while end < LineReader.nulProbe {
            let n = try readMore(UnsafeMutableRawBufferPointer(start: base + end, count: min(chunkSize, buffer.count - end)))
            if n == 0 { return (end, true) }
            end += n
        }
        return (end, false)
    }

    @inline(__always)
    private func deliver(
        _ raw: UnsafeRawBufferPointer, _ stats: inout LineStats, _ body: (Line) -> Void, cut: Bool = false
    ) {
        var bytes = raw
        var wasCut = cut
        if bytes.count > maxLineLength {
            bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<maxLineLength])
            wasCut = true
        } else if let last = bytes.last, last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 1)])
        }
        stats.lines += 1
        if wasCut { stats.cutLines += 1 }
        body(Line(bytes: bytes, number: stats.lines, wasCut: wasCut))
    }

    static func bomLength(_ base: UnsafeRawPointer, _ count: Int) -> Int {
        guard count >= 3 else { return 0 }
        let b = base.assumingMemoryBound(to: UInt8.self)
        return b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0
    }
}
