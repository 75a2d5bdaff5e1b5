import Glibc

/// The compacted journals, `journal/history.jsonl` in the quarantine root: one line per message
/// of each finished run that has nothing left to do or undo (a restore, a purge, a quarantine
/// whose batch is empty), with what `trace` tells of it. The run's journal is removed once its
/// lines are durable, so the journal folder holds only what recovery, `quarantined` and
/// `restore` still need: one file instead of one per run, about 530 bytes a message a run
/// against about 730 in a quarantine's journal (the sample: file modes and times, subjects and
/// states dropped).
struct QuarantineHistory {
    let path: String

    init(quarantineRoot: String) { path = FileSystem.join(quarantineRoot, "journal/history.jsonl") }

    /// One message of a finished run, as kept.
    struct Entry {
        let header: JournalHeader
        let id, sender: String
        let account: String?
        let recipients: [String]
        let outcome: String
        let files: [QuarantineEvent.RecordedFile]

        var event: QuarantineEvent {
            QuarantineEvent(time: header.started, operation: header.operation, run: header.run, batch: header.batch,
                            via: header.via, outcome: outcome, files: files)
        }
    }

    /// Appends the lines of `journal` (unless its run is already there: a compaction cut short
    /// between the append and the journal's removal).
    func append(_ journal: Journal, known runs: inout Set<String>) throws(SpoolsweepError) {
        guard !runs.contains(journal.header.run) else { return }
        let h = journal.header
        var text = ""
        for i in journal.intents {
            let outcome = journal.outcomeText(i.seq)
            text += JSON.object([
                ("run", .string(h.run)), ("operation", .string(h.operation.rawValue)), ("batch", .string(h.batch)),
                ("via", .optional(h.via)), ("time", .string(h.started.description)), ("id", .string(i.id)),
                ("sender", .string(i.sender)), ("auth", .optional(i.account)), ("recipients", .strings(i.recipients)),
                ("outcome", .string(outcome)),
                ("files", JournalFile.recorded(i.files)),
            ]).compact() + "\n"
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .quarantine("\(path): \(FileSystem.errorText(errno))") }
        defer { close(fd) }
        var st = stat()
        let size = fstat(fd, &st) == 0 ? st.st_size : 0
        if let code = Array(text.utf8).withUnsafeBytes({ FileSystem.writeAll(fd, $0) }) ?? (fsync(fd) == 0 ? nil : errno) {
            _ = ftruncate(fd, size)
            throw .quarantine("\(path): cannot write the history: \(FileSystem.errorText(code))")
        }
        runs.insert(h.run)
    }

    /// Every entry, oldest run first; lines that are not whole entries are skipped (the history
    /// only tells; nothing is decided from it).
    func read() -> [Entry] {
        guard FileSystem.kind(path) == .file else { return [] }
        var buffer: [UInt8] = []
        guard (try? ByteSource(path: path, allowMapping: false).readAll(into: &buffer, limit: 1 << 30)) != nil else { return [] }
        return buffer.split(separator: 0x0A).compactMap { line in
            guard let r = line.withUnsafeBytes({ JSON.parse($0) }),
                  let run = r["run"]?.stringValue, let op = r["operation"]?.stringValue.flatMap(JournalOperation.init(rawValue:)),
                  let id = r["id"]?.stringValue, let time = r["time"]?.stringValue.flatMap(LocalTime.parse) else { return nil }
            let header = JournalHeader(run: run, operation: op, batch: r["batch"]?.stringValue ?? run, spoolRoot: "", quarantineRoot: "",
                                       started: time, via: r["via"]?.stringValue)
            let files = QuarantineEvent.RecordedFile.list(r["files"])
            return Entry(header: header, id: id, sender: r["sender"]?.stringValue ?? "", account: r["auth"]?.stringValue,
                         recipients: (r["recipients"]?.arrayValue ?? []).compactMap(\.stringValue),
                         outcome: r["outcome"]?.stringValue ?? "", files: files)
        }
    }

    /// The runs already in the history.
    func runs() -> Set<String> { Set(read().map(\.header.run)) }
}
