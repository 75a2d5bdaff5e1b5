import Glibc

/// The purge audit, `purged.jsonl` in the quarantine root: one JSON record per purged message,
/// the only record left of an irreversible deletion.
///
/// A record says purged only once the deletion is settled: a run appends a group's records
/// after the journal holds the group's outcomes, and a recovery appends the records a crash
/// kept from being written (from the journal, which names every message before it is touched),
/// never one twice. Each append is one `write` of whole lines, fsynced; a write that fails (a
/// full disk) is cut back so no partial record stays. A tail torn anyway (a crash mid-write of
/// an earlier version, a power cut) is moved to `purged.damaged` before the next append, so the
/// next record is never glued to it, and said.
struct PurgeAudit {
    let path: String
    /// Where torn records are kept.
    let damagedPath: String

    init(quarantineRoot: String) {
        path = FileSystem.join(quarantineRoot, "purged.jsonl")
        damagedPath = FileSystem.join(quarantineRoot, "purged.damaged")
    }

    /// Appends the records of `intents`, purged by `run`; with `skipRecorded`, those already in
    /// the audit are left out (a recovery). Returns the records written, and what was repaired
    /// on the way, to report.
    func append(_ intents: [JournalIntent], run: String, time: LocalTime, skipRecorded: Bool) throws(SpoolsweepError) -> (written: Int, problems: [String]) {
        guard !intents.isEmpty else { return (0, []) }
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
        defer { close(fd) }
        var problems: [String] = []
        let size = try repairTail(fd, problems: &problems)
        var todo = intents
        if skipRecorded {
            let recorded = Set(try read().records.compactMap { r -> String? in
                guard r["run"]?.stringValue == run else { return nil }
                return r["id"]?.stringValue
            })
            todo.removeAll { recorded.contains($0.id) }
        }
        guard !todo.isEmpty else { return (0, problems) }
        var text = ""
        for i in todo { text += Self.record(i, run: run, time: time).compact() + "\n" }
        let bytes = Array(text.utf8)
        if let code = bytes.withUnsafeBytes({ FileSystem.writeAll(fd, $0) }) ?? (fsync(fd) == 0 ? nil : errno) {
            _ = ftruncate(fd, off_t(size)) // no partial record left behind
            _ = fsync(fd)
            throw .quarantine("\(path): cannot write the audit record: \(FileSystem.errorText(code))")
        }
        return (todo.count, problems)
    }

    /// The records, oldest first, and the numbers of the lines that are not whole records.
    func read() throws(SpoolsweepError) -> (records: [JSON], damaged: [Int]) {
        guard FileSystem.kind(path) == .file else { return ([], []) }
        var buffer: [UInt8] = []
        do { _ = try ByteSource(path: path, allowMapping: false).readAll(into: &buffer, limit: 1 << 30) }
        catch { throw .quarantine("\(path): \(error.reason)") }
        var records: [JSON] = [], damaged: [Int] = []
        for (n, line) in buffer.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if let r = line.withUnsafeBytes({ JSON.parse($0) }), r["id"]?.stringValue != nil { records.append(r) } else { damaged.append(n + 1) }
        }
        return (records, damaged)
    }

    static func record(_ i: JournalIntent, run: String, time: LocalTime) -> JSON {
        .object([
            ("time", .string(time.description)), ("run", .string(run)), ("id", .string(i.id)), ("queue", .string(i.queue)),
            ("sender", .string(i.sender)), ("auth", .optional(i.account)), ("recipients", .strings(i.recipients)),
            ("subject", .string(i.subject)), ("size", .int(i.size)),
            ("files", JournalFile.recorded(i.files)),
        ])
    }

    /// The file's size once a torn last line (no newline at the end) is moved to
    /// `purged.damaged`.
    private func repairTail(_ fd: Int32, problems: inout [String]) throws(SpoolsweepError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
        let size = Int(st.st_size)
        guard size > 0 else { return 0 }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(size - 1)) == 1 else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
        if last == 0x0A { return size }
        // Find the start of the torn line, reading back a chunk at a time.
        var start = 0, end = size
        var chunk = [UInt8](repeating: 0, count: 65_536)
        search: while end > 0 {
            let from = max(0, end - chunk.count)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, end - from, off_t(from)) }
            guard n == end - from else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
            for k in stride(from: n - 1, through: 0, by: -1) where chunk[k] == 0x0A { start = from + k + 1; break search }
            end = from
        }
        var torn = [UInt8](repeating: 0, count: size - start)
        guard torn.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, size - start, off_t(start)) }) == size - start else {
            throw .quarantine("\(path): \(FileSystem.errorText(errno))")
        }
        let keep = open(damagedPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard keep >= 0 else { throw .quarantine("\(damagedPath): \(FileSystem.errorText(errno))") }
        defer { close(keep) }
        if let code = (torn + [0x0A]).withUnsafeBytes({ FileSystem.writeAll(keep, $0) }) ?? (fsync(keep) == 0 ? nil : errno) {
            throw .quarantine("\(damagedPath): cannot keep the torn audit record: \(FileSystem.errorText(code))")
        }
        guard ftruncate(fd, off_t(start)) == 0, fsync(fd) == 0 else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
        problems.append("\(path): its last record was cut short (\(size - start) bytes: a crash or a full disk while it was written); moved to \(damagedPath), the records of interrupted purges are written again from their journals")
        return start
    }
}
