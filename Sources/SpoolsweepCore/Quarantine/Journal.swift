import Glibc

/// What a journaled run does with the messages it names.
public enum JournalOperation: String, Sendable {
    /// Spool → quarantine batch.
    case quarantine
    /// Quarantine batch → spool.
    case restore
    /// Delete from the spool.
    case purge
}

/// One file of a journaled message: where it is (relative to the spool root and to the batch
/// folder alike) and what it must be.
public struct JournalFile: Equatable, Sendable {
    public let path: RelativePath
    public let facts: FileFacts
}

/// A message a run is about to move or delete, written (and fsynced) before anything happens.
/// The descriptive fields make `spool quarantined` and the purge audit readable without the files.
public struct JournalIntent: Equatable, Sendable {
    public let seq: Int
    public let id: String
    public let queue: String
    public let state: String
    public let sender: String
    public let account: String?
    public let clientIP: String?
    public let recipients: [String]
    public let subject: String
    public let created: LocalTime?
    public let size: Int
    /// The message's RFC 5322 file, one of `files`.
    public let content: RelativePath?
    public let files: [JournalFile]
}

/// How a journaled message ended.
public enum JournalOutcome: Equatable, Sendable {
    /// Moved (or deleted) completely.
    case done
    /// Nothing changed: the reason it could not be done.
    case failed(String)
}

/// The first line of every journal.
public struct JournalHeader: Equatable, Sendable {
    public let run: String
    public let operation: JournalOperation
    /// The batch the files go to (quarantine) or come from (restore); the run id for a purge.
    public let batch: String
    public let spoolRoot: String
    public let quarantineRoot: String
    public let started: LocalTime
    /// The server's command the run acts through (`postsuper`); nil when it moves files.
    public var via: String? = nil
}

/// A journal as read back: everything a recovery or a listing needs.
public struct Journal: Sendable {
    public let path: String
    public let header: JournalHeader
    public private(set) var intents: [JournalIntent] = []
    public private(set) var outcomes: [Int: JournalOutcome] = [:]
    /// The run finished (or a recovery finished it).
    public private(set) var ended = false

    /// How intent `seq` ended, in words: `done`, `failed: <reason>`, or `interrupted`.
    public func outcomeText(_ seq: Int, interrupted: String = "interrupted") -> String {
        switch outcomes[seq] {
        case .done: "done"
        case .failed(let reason): "failed: \(reason)"
        case nil: interrupted
        }
    }

    /// Intents with no outcome: what an interrupted run left.
    public var pending: [JournalIntent] { intents.filter { outcomes[$0.seq] == nil } }

    /// Whether the journal's last complete line is the `end` record, reading only its tail.
    public static func hasEnded(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return false }
        var tail = [UInt8](repeating: 0, count: min(Int(st.st_size), 256))
        let n = pread(fd, &tail, tail.count, off_t(Int(st.st_size) - tail.count))
        guard n == tail.count, tail.last == 0x0A else { return false }
        let lines = tail.dropLast().split(separator: 0x0A)
        guard let last = lines.last else { return false }
        return String(decoding: last, as: UTF8.self).hasPrefix("{\"op\":\"end\"")
    }

    /// Reads a journal. A torn last line (the run was killed while appending) is ignored: the
    /// step it announced never began. Any other malformed line means the journal was damaged
    /// or tampered with, and it is refused.
    public static func read(_ path: String) throws(MoveError) -> Journal {
        var buffer: [UInt8] = []
        do {
            let source = try ByteSource(path: path, allowMapping: false)
            _ = try source.readAll(into: &buffer, limit: 1 << 30)
        } catch {
            throw MoveError("\(path): \(error.reason)")
        }
        var lines = buffer.split(separator: 0x0A, omittingEmptySubsequences: false)
        let complete = buffer.last == 0x0A
        if lines.last?.isEmpty == true { lines.removeLast() }
        if !complete && !lines.isEmpty { lines.removeLast() } // torn tail
        guard let first = lines.first else {
            // Killed while writing its header: the run never began.
            throw MoveError.abandonedJournal
        }
        guard let headerJSON = first.withUnsafeBytes({ JSON.parse($0) }), let header = JournalHeader(headerJSON) else {
            throw MoveError("\(path): not a spoolsweep journal (bad first line)")
        }
        var journal = Journal(path: path, header: header)
        for (n, line) in lines.dropFirst().enumerated() {
            guard let record = line.withUnsafeBytes({ JSON.parse($0) }), let op = record["op"]?.stringValue else {
                throw MoveError("\(path): line \(n + 2) is damaged; the journal is refused")
            }
            switch op {
            case "intent":
                guard let intent = JournalIntent(record) else {
                    throw MoveError("\(path): line \(n + 2) names a path outside its roots or lacks a field; the journal is refused")
                }
                journal.intents.append(intent)
            case "done", "failed":
                guard let seq = record["seq"]?.intValue else { throw MoveError("\(path): line \(n + 2) has no seq") }
                journal.outcomes[seq] = op == "done" ? .done : .failed(record["reason"]?.stringValue ?? "")
            case "end":
                journal.ended = true
            default:
                throw MoveError("\(path): line \(n + 2): unknown record '\(op)'")
            }
        }
        return journal
    }
}

/// Appends records to one run's journal, fsyncing when asked.
public final class JournalWriter {
    public let path: String
    private let fd: Int32

    /// Creates the journal `name` in `folder` with its header, durably (file and folder fsynced).
    public init(creating name: String, in folder: SafeFolder, header: JournalHeader) throws(MoveError) {
        path = "\(folder.path)/\(name)"
        fd = openat(folder.fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MoveError(path, errno: errno) }
        try append([header.json], sync: true)
        folder.sync()
    }

    /// Opens an existing journal to finish it (recovery).
    public init(appendingTo path: String) throws(MoveError) {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw MoveError(path, errno: errno) }
        // A torn last line (the run died inside the write that announced it, so nothing it
        // announced happened) is cut off, so that it never becomes a damaged middle line.
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MoveError(path, errno: errno) }
        var keep = Int(st.st_size)
        let rfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if rfd >= 0 {
            var byte: UInt8 = 0
            while keep > 0, pread(rfd, &byte, 1, off_t(keep - 1)) == 1, byte != 0x0A { keep -= 1 }
            close(rfd)
        }
        if keep < Int(st.st_size) {
            guard ftruncate(fd, off_t(keep)) == 0, fsync(fd) == 0 else { throw MoveError("\(path): cutting a torn last line", errno: errno) }
        }
    }

    deinit { close(fd) }

    public func append(_ records: [JSON], sync: Bool) throws(MoveError) {
        var bytes: [UInt8] = []
        for r in records { bytes += Array(r.compact().utf8); bytes.append(0x0A) }
        try write(bytes)
        if sync { guard fsync(fd) == 0 else { throw MoveError("\(path): fsync", errno: errno) } }
    }

    private func write(_ bytes: [UInt8]) throws(MoveError) {
        if let code = bytes.withUnsafeBytes({ FileSystem.writeAll(fd, $0) }) {
            throw MoveError("writing the journal \(path)", errno: code)
        }
    }
}

// MARK: - JSON forms

extension JournalFile {
    /// Files as the purge audit and the history record them: path, size, SHA-256.
    static func recorded(_ files: [JournalFile]) -> JSON {
        .array(files.map { .object([("path", .string($0.path.description)), ("size", .int($0.facts.size)), ("sha256", .string($0.facts.sha256))]) })
    }
}

extension JournalHeader {
    var json: JSON {
        .object([
            ("spoolsweep_journal", .int(1)), ("run", .string(run)), ("operation", .string(operation.rawValue)),
            ("batch", .string(batch)), ("spool", .string(spoolRoot)), ("quarantine", .string(quarantineRoot)),
            ("started", .string(started.description)), ("pid", .int(Int(getpid()))), ("via", .optional(via)),
        ])
    }

    init?(_ j: JSON) {
        guard j["spoolsweep_journal"]?.intValue == 1, let run = j["run"]?.stringValue,
              let op = j["operation"]?.stringValue.flatMap(JournalOperation.init(rawValue:)),
              let batch = j["batch"]?.stringValue, RelativePath(batch)?.components.count == 1,
              let spool = j["spool"]?.stringValue, let q = j["quarantine"]?.stringValue,
              let started = j["started"]?.stringValue.flatMap(LocalTime.parse) else { return nil }
        self.init(run: run, operation: op, batch: batch, spoolRoot: spool, quarantineRoot: q, started: started,
                  via: j["via"]?.stringValue)
    }
}

extension JournalIntent {
    var json: JSON {
        .object([
            ("op", .string("intent")), ("seq", .int(seq)), ("id", .string(id)), ("queue", .string(queue)),
            ("state", .string(state)), ("sender", .string(sender)), ("auth", .optional(account)),
            ("client_ip", .optional(clientIP)), ("recipients", .strings(recipients)), ("subject", .string(subject)),
            ("created", .optional(created?.description)), ("size", .int(size)),
            ("content", .optional(content?.description)),
            ("files", .array(files.map { f in
                .object([("path", .string(f.path.description)), ("size", .int(f.facts.size)),
                         ("sha256", .string(f.facts.sha256)), ("mode", .int(Int(f.facts.mode))),
                         ("mtime", .int(f.facts.mtimeSeconds)), ("mtime_ns", .int(f.facts.mtimeNanoseconds))])
            })),
        ])
    }

    init?(_ j: JSON) {
        guard let seq = j["seq"]?.intValue, let id = j["id"]?.stringValue, let queue = j["queue"]?.stringValue,
              let fileList = j["files"]?.arrayValue, !fileList.isEmpty else { return nil }
        var files: [JournalFile] = []
        for f in fileList {
            guard let p = f["path"]?.stringValue.flatMap({ RelativePath($0) }), let size = f["size"]?.intValue,
                  let sha = f["sha256"]?.stringValue, sha.utf8.count == 64, let mode = f["mode"]?.intValue,
                  let mtime = f["mtime"]?.intValue else { return nil }
            files.append(JournalFile(path: p, facts: FileFacts(size: size, sha256: sha, mode: UInt32(mode & 0o7777),
                                                               mtimeSeconds: mtime, mtimeNanoseconds: f["mtime_ns"]?.intValue ?? 0)))
        }
        let content = j["content"]?.stringValue.flatMap { RelativePath($0) }
        if let content, !files.contains(where: { $0.path == content }) { return nil }
        self.init(seq: seq, id: id, queue: queue, state: j["state"]?.stringValue ?? "",
                  sender: j["sender"]?.stringValue ?? "", account: j["auth"]?.stringValue,
                  clientIP: j["client_ip"]?.stringValue,
                  recipients: j["recipients"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                  subject: j["subject"]?.stringValue ?? "", created: j["created"]?.stringValue.flatMap(LocalTime.parse),
                  size: j["size"]?.intValue ?? 0, content: content, files: files)
    }
}

extension JSON {
    /// On one line, no spaces: a journal record.
    public func compact() -> String {
        switch self {
        case .null, .bool, .int, .double, .string:
            var s = rendered()
            s.removeLast()
            return s
        case .array(let items): return "[" + items.map { $0.compact() }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { k, v in
                var key = ""
                JSON.quote(k, into: &key)
                return key + ":" + v.compact()
            }.joined(separator: ",") + "}"
        }
    }
}
