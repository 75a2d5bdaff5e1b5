import Glibc

/// What a running `watch` keeps on disk (`--state FILE`, JSON), so a restarted watch resumes:
/// the files followed (by device and inode, to find them again after a rotation while it was
/// stopped) and how far each was read, the senders alerted about today (no alert is repeated),
/// the senders on hold, and the notices not delivered yet (retried). Today's evidence is
/// rebuilt on a restart by reading the followed files from their start (each line counted once:
/// the ledger is new); no alert is given again for a sender already alerted about.
public struct WatchState: Equatable, Sendable {
    public var server: String
    public var day: Int64
    public var files: [FileMark] = []
    public var alerted: [String: WatchEngine.AlertMark] = [:]
    public var held: [HeldSender] = []
    public var pending: [NoticeDelivery] = []

    public init(server: String, day: Int64) { self.server = server; self.day = day }

    static let version = 1

    public func json() -> JSON {
        .object([
            ("version", .int(Self.version)),
            ("server", .string(server)),
            ("day", .string(LocalTime(seconds: day * 86_400).description.prefix(10).description)),
            ("files", .array(files.map {
                .object([("path", .string($0.path)), ("device", .int(Int(bitPattern: UInt($0.device)))),
                         ("inode", .int(Int(bitPattern: UInt($0.inode)))), ("offset", .int(Int($0.offset)))])
            })),
            ("alerted", .array(alerted.sorted { $0.key < $1.key }.map { id, m in
                .object([("sender", .string(id)), ("alerted_at", .int(Int(m.alertedAt.seconds))),
                         ("last_notice", .int(Int(m.lastNotice.seconds))), ("messages", .int(m.messages))])
            })),
            ("held", .array(held.map {
                .object([("sender", .string($0.id)), ("since", .int(Int($0.since.seconds))), ("batches", .strings($0.batches))])
            })),
            ("pending", .array(pending.map {
                .object([("label", .string($0.label)), ("about", .string($0.about)), ("program", .string($0.program)),
                         ("arguments", .strings($0.arguments)), ("environment", .strings($0.environment)),
                         ("input", .string($0.input)), ("attempts", .int($0.attempts))])
            })),
        ])
    }

    /// The state in `path`: nil when there is none; an error when it is there and damaged.
    public static func load(_ path: String) throws(SpoolsweepError) -> WatchState? {
        guard FileSystem.exists(path) else { return nil }
        var bytes: [UInt8] = []
        do {
            let source = try ByteSource(path: path, allowMapping: false)
            _ = try source.readAll(into: &bytes, limit: 1 << 28)
        } catch {
            throw .cannotWrite("\(path): the watch state cannot be read: \(error.reason)")
        }
        guard let j = bytes.withUnsafeBytes({ JSON.parse($0) }), j["version"]?.intValue == version,
              let server = j["server"]?.stringValue, let dayText = j["day"]?.stringValue, let day = LocalTime.parse(dayText)?.day else {
            throw .cannotWrite("\(path): not a spoolsweep watch state (damaged?): move it away to start afresh")
        }
        func strings(_ v: JSON?) -> [String] { (v?.arrayValue ?? []).compactMap(\.stringValue) }
        var s = WatchState(server: server, day: day)
        for f in j["files"]?.arrayValue ?? [] {
            guard let p = f["path"]?.stringValue, let d = f["device"]?.intValue, let i = f["inode"]?.intValue,
                  let o = f["offset"]?.intValue, o >= 0 else { continue }
            s.files.append(FileMark(path: p, device: UInt64(UInt(bitPattern: d)), inode: UInt64(UInt(bitPattern: i)), offset: Int64(o)))
        }
        for a in j["alerted"]?.arrayValue ?? [] {
            guard let id = a["sender"]?.stringValue, let at = a["alerted_at"]?.intValue, let last = a["last_notice"]?.intValue,
                  let n = a["messages"]?.intValue else { continue }
            s.alerted[id] = WatchEngine.AlertMark(alertedAt: LocalTime(seconds: Int64(at)), lastNotice: LocalTime(seconds: Int64(last)), messages: n)
        }
        for h in j["held"]?.arrayValue ?? [] {
            guard let id = h["sender"]?.stringValue, let held = HeldSender(id: id), let since = h["since"]?.intValue else { continue }
            var x = held
            x.since = LocalTime(seconds: Int64(since))
            x.batches = strings(h["batches"])
            s.held.append(x)
        }
        for p in j["pending"]?.arrayValue ?? [] {
            guard let label = p["label"]?.stringValue, let program = p["program"]?.stringValue, let input = p["input"]?.stringValue else { continue }
            var d = NoticeDelivery(label: label, about: p["about"]?.stringValue ?? "", program: program, arguments: strings(p["arguments"]),
                                   environment: strings(p["environment"]), input: input)
            d.attempts = p["attempts"]?.intValue ?? 0
            s.pending.append(d)
        }
        return s
    }

    /// Writes the state to `path` atomically: a temporary file beside it, fsynced, renamed over it.
    public func save(_ path: String) throws(SpoolsweepError) {
        if let e = FileSystem.replaceFile(path, with: Array(json().rendered().utf8), mode: 0o600) {
            throw .cannotWrite("\(path): the watch state cannot be written: \(FileSystem.errorText(e))")
        }
    }

    /// The file `watch --release` appends a sender to, read and emptied by the running watch.
    public static func releasePath(_ statePath: String) -> String { statePath + ".release" }

    /// Appends `sender` to the release requests of the watch whose state is `statePath`.
    public static func requestRelease(_ sender: String, statePath: String) throws(SpoolsweepError) {
        let path = releasePath(statePath)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotWrite("\(path): \(FileSystem.errorText(errno))") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        let line = Array((MailText.headerSafe(sender) + "\n").utf8)
        if let e = line.withUnsafeBytes({ FileSystem.writeAll(fd, $0) }) ?? (fsync(fd) == 0 ? nil : errno) {
            throw .cannotWrite("\(path): \(FileSystem.errorText(e))")
        }
    }

    /// The release requests made since the last call (the file is emptied).
    public static func takeReleases(statePath: String) -> [String] {
        let path = releasePath(statePath)
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        _ = ftruncate(fd, 0)
        return bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
    }
}
