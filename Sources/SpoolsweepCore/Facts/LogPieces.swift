import Glibc

/// A large log file read on every core: its mapped bytes cut at line starts into pieces, each
/// piece split and read on a thread of its own, into a ledger of its own. Whatever a piece's
/// lines need from the lines before it (a message received in an earlier piece) the piece keeps
/// aside, and the reader that read the earlier pieces reads it when the pieces are put together
/// in order; the ledgers merge in the same order (`MailLedger.merge` takes the later part).
enum LogPieces {
    /// Bytes below which a piece is not cut off: its fixed costs (a reader, a ledger and their
    /// merge) would outweigh what another core gains on it.
    static let minimumPiece = 16 << 20

    /// `map`'s text (after a byte-order mark) cut into at most `count` pieces of about equal
    /// size, none shorter than `minimum` bytes (one piece for a small file).
    static func cut(_ map: UnsafeRawBufferPointer, into count: Int, minimum: Int = minimumPiece) -> [Range<Int>] {
        let start = map.count > 0 ? LineReader.bomLength(map.baseAddress!, map.count) : 0
        let n = max(1, min(count, (map.count - start) / max(1, minimum)))
        return cut(map, at: (1..<n).map { start + (map.count - start) * $0 / n })
    }

    /// `map`'s text cut at the first line start at or after each of `offsets` (ascending);
    /// empty pieces left out.
    static func cut(_ map: UnsafeRawBufferPointer, at offsets: [Int]) -> [Range<Int>] {
        guard let base = map.baseAddress else { return [] }
        var cuts = [LineReader.bomLength(base, map.count)]
        for offset in offsets {
            var at = min(max(offset, cuts.last!), map.count)
            if at > cuts.last!, at < map.count, map[at - 1] != 0x0A {
                at = memchr(base + at, 0x0A, map.count - at).map { UnsafeRawPointer($0) - base + 1 } ?? map.count
            }
            cuts.append(at)
        }
        cuts.append(map.count)
        return zip(cuts, cuts.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
    }
}

extension LogPieces {
    /// What a reading in pieces makes of one piece: its readers' state and its ledger.
    struct Piece<Readers>: @unchecked Sendable {
        var readers: Readers, ledger: MailLedger, stats: LineStats, unrecognised: Int
    }

    /// Reads `paths` in order into one ledger, every mapped file in the pieces `cut` makes of
    /// it, read on `threads` threads as the pieces before them are taken over (`Parallel.stream`).
    ///
    /// - `pieceReaders(first)`: readers for a piece (`first`: the first piece of the reading, with
    ///   nothing before it), made on the piece's thread;
    /// - `readLine`: reads a line of file `i` with a piece's readers into its ledger, counting it
    ///   when unrecognised;
    /// - `takeOver`: the readers of the pieces so far take over from the next piece's (reading
    ///   what it kept aside into the ledger);
    /// - `readWhole`: reads a file that is not mapped (compressed, too fresh, not text) with the
    ///   readers so far, into the ledger, reporting on it;
    /// - `fileDone`: reports on a mapped file once its last piece is taken over.
    static func read<Readers>(
        paths: [String], threads: Int, template: MailLedger, readers: inout Readers, diagnostics: inout Diagnostics,
        cut: (UnsafeRawBufferPointer) -> [Range<Int>],
        pieceReaders: @Sendable (_ first: Bool) -> Readers,
        readLine: @Sendable (inout Readers, inout MailLedger, _ file: Int, Line, inout Int) -> Void,
        takeOver: (inout Readers, Readers, inout MailLedger) -> Void,
        readWhole: (_ file: Int, inout Readers, inout MailLedger, inout Diagnostics) -> Void,
        fileDone: (_ file: Int, LineStats, _ unrecognised: Int, inout Readers, inout Diagnostics) -> Void
    ) -> MailLedger {
        let maps = paths.map(MappedLog.init)
        var items: [(file: Int, range: Range<Int>?)] = []
        for (i, map) in maps.enumerated() {
            guard let map else { items.append((i, nil)); continue }
            items += cut(map.bytes).map { (i, $0) }
        }
        let work = items, mapped = maps
        var ledger = template
        var stats = LineStats(), unrecognised = 0
        Parallel.stream(count: work.count, threads: threads, ahead: threads) { k -> Piece<Readers>? in
            guard let range = work[k].range, let map = mapped[work[k].file] else { return nil }
            var piece = Piece(readers: pieceReaders(k == 0), ledger: template, stats: LineStats(), unrecognised: 0)
            piece.stats = LineReader().forEachLine(inMapped: map.bytes, range: range) { line in
                readLine(&piece.readers, &piece.ledger, work[k].file, line, &piece.unrecognised)
            }
            return piece
        } consume: { k, piece in
            guard let piece else { return readWhole(work[k].file, &readers, &ledger, &diagnostics) }
            // The ledger of the first piece is the reading's so far (merged into an empty
            // ledger, it would be copied id by id).
            if k == 0 { ledger = piece.ledger } else { ledger.merge(piece.ledger) }
            takeOver(&readers, piece.readers, &ledger)
            stats.add(piece.stats)
            unrecognised += piece.unrecognised
            if k + 1 == work.count || work[k + 1].file != work[k].file {
                ReadProgress.shared.fileDone()
                fileDone(work[k].file, stats, unrecognised, &readers, &diagnostics)
                (stats, unrecognised) = (LineStats(), 0)
            }
        }
        return ledger
    }
}

/// A log file mapped for reading in pieces: nil when it is compressed, cannot be mapped (a
/// file modified moments ago), or is not text; it is then read the usual way, which says why.
/// It is handed to the threads that read its pieces.
final class MappedLog: @unchecked Sendable {
    private let source: ByteSource
    /// The mapping, valid while this lives.
    let bytes: UnsafeRawBufferPointer

    init?(_ path: String) {
        guard Compression(path: path) == nil, let source = try? ByteSource(path: path), let map = source.mappedBytes,
              !LineReader.isBinary(map) else { return nil }
        bytes = map
        self.source = source
    }
}

/// The entries a piece's reader keeps aside for the reader of the pieces before it, their bytes
/// in one buffer: each a time and two byte strings (a Postfix entry's program and text).
struct KeptEntries {
    private var bytes: [UInt8] = []
    private var records: [(time: LocalTime, start: Int, split: Int, end: Int)] = []

    mutating func append(_ time: LocalTime, _ head: UnsafeRawBufferPointer, _ tail: UnsafeRawBufferPointer) {
        let start = bytes.count
        bytes.append(contentsOf: head)
        let split = bytes.count
        bytes.append(contentsOf: tail)
        records.append((time, start, split, bytes.count))
    }

    /// The entries in the order they were kept (the bytes valid during the call).
    func forEach(_ body: (LocalTime, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { b in
            for r in records { body(r.time, b.slice(r.start..<r.split), b.slice(r.split..<r.end)) }
        }
    }
}
