import Glibc

/// Changes a live Exim queue through the exim binary, as Exim's specification asks (its spool
/// files "are not intended as an interface to other programs"): quarantine freezes
/// (`exim -Mf ID...`: Exim no longer delivers it, its files stay), restore thaws (`-Mt`), purge
/// removes (`-Mrm`, no bounce). Frozen is a flag in the `-H`, not a folder: `locate` reads it.
///
/// With a named queue (`--named-queue NAME`), quarantine moves the messages to that queue
/// instead (`exim -MG NAME ID...`: a queue runner of the default queue no longer sees them),
/// restore moves them back (`exim -qGNAME -MG '' ID...`), and purge removes them from it
/// (`exim -qGNAME -Mrm`). The run's `via` names the queue, so that restoring or recovering it
/// takes the same option.
public struct EximControl: QueueControl {
    /// `--named-queue`: the queue quarantined messages are moved to; nil to freeze them.
    public let namedQueue: String?
    public var tool: String { namedQueue.map { "exim -MG \($0)" } ?? "exim" }
    public var holdQueue: String { namedQueue ?? "frozen" }
    public let contentEncoding = ContentEncoding.eximSpool
    public var alreadyHeld: String {
        namedQueue.map { "already in queue \($0)" } ?? "already frozen (not frozen by spoolsweep)"
    }
    public var holdWords: HoldWords {
        guard let q = namedQueue else { return HoldWords(hold: "frozen", release: "thawed", held: "frozen in the queue") }
        return HoldWords(hold: "moved to queue \(q)", release: "moved back to the default queue", held: "in queue \(q)")
    }
    /// The spool directory spoolsweep read (`/var/spool/exim4`).
    public let spoolDirectory: String
    /// `--queue-tool`: the exim binary; `exim` or `exim4` in `$PATH`, `/usr/sbin` when nil.
    public let command: String?
    /// `--server-config`: the configuration file (`exim -C`); the compiled-in one when nil.
    public let configFile: String?

    public init(spoolDirectory: String, command: String?, configFile: String?, namedQueue: String? = nil) {
        self.spoolDirectory = spoolDirectory
        self.command = command
        self.configFile = configFile
        self.namedQueue = namedQueue
    }

    /// A run made by freezing (`exim`) or through a named queue (`exim -MG NAME`): the control
    /// for it, whichever `--named-queue` was given now.
    public func acting(for via: String) -> (any QueueControl)? {
        if via == "exim" { return EximControl(spoolDirectory: spoolDirectory, command: command, configFile: configFile) }
        guard via.hasPrefix("exim -MG ") else { return nil }
        let queue = String(via.dropFirst("exim -MG ".count))
        guard Self.isQueueName(queue) else { return nil }
        return EximControl(spoolDirectory: spoolDirectory, command: command, configFile: configFile, namedQueue: queue)
    }

    /// A named queue's name: what Exim takes (letters, digits, `-`, `_`, `.`; no `/`), not the
    /// folders of the spool itself.
    public static func isQueueName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !["input", "msglog", "db", ".", ".."].contains(name)
            && name.utf8.allSatisfy { isDigit($0) || isLetter($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    /// Message ids: `1xXVaT-0007iM-0L` (6-6-2, before 4.97) or `1xXVaT-00000007iM-0L1a` (6-11-4),
    /// base-62 characters.
    static func isMessageID<S: StringProtocol>(_ id: S) -> Bool {
        let u = Array(id.utf8)
        let parts: [Int] = switch u.count { case 16: [6, 6, 2]; case 23: [6, 11, 4]; default: [] }
        guard !parts.isEmpty else { return false }
        var i = 0
        for (n, length) in parts.enumerated() {
            if n > 0 { guard u[i] == 0x2D else { return false }; i += 1 }
            for _ in 0..<length {
                guard isDigit(u[i]) || isLetter(u[i]) else { return false }
                i += 1
            }
        }
        return true
    }

    public func isValidID(_ id: String) -> Bool { Self.isMessageID(id) }

    private var configArguments: [String] { configFile.map { ["-C", $0] } ?? [] }

    private func exim() throws(SpoolsweepError) -> String {
        try ToolRun.tool(command, names: ["exim", "exim4"], fallbacks: ["/usr/sbin", "/usr/local/sbin", "/usr/exim/bin"],
                         missing: "exim not found in $PATH or /usr/sbin: a live Exim queue is changed through it (give --queue-tool PATH); for a copy of the spool with Exim not running on it, add --offline")
    }

    /// The exim binary is there, and its configuration's `spool_directory` (`exim -bP`) is the
    /// spool spoolsweep read: otherwise it would act on another queue.
    public func check() throws(SpoolsweepError) {
        if let q = namedQueue, !Self.isQueueName(q) {
            throw .badValue("--named-queue \(q): a queue name is letters, digits, '-', '_' and '.' (not input, msglog or db)")
        }
        let exim = try exim()
        let result: ToolRun.Result
        do { result = try ToolRun.run(exim, configArguments + ["-bP", "spool_directory"]) } catch {
            throw .badValue("cannot ask \(exim) for spool_directory (\(error)); the queue it acts on cannot be checked")
        }
        let prefix = "spool_directory = "
        guard result.status == 0, let line = result.lines.last(where: { $0.hasPrefix(prefix) }) else {
            throw .badValue("\(exim) \((configArguments + ["-bP", "spool_directory"]).joined(separator: " ")) failed: \(result.lines.joined(separator: "; "))")
        }
        let answer = String(line.dropFirst(prefix.count))
        guard PostsuperControl.real(answer) == PostsuperControl.real(spoolDirectory) else {
            let config = configFile ?? "Exim's compiled-in configuration"
            throw .badValue("exim would act on \(answer) (spool_directory of \(config)), not on \(spoolDirectory); give --server-config with the configuration file that serves this spool, or --offline for a copy Exim does not run on")
        }
    }

    public func act(_ operation: JournalOperation, ids: [String]) throws(MoveError) -> [String] {
        let exim: String
        do { exim = try self.exim() } catch { throw MoveError(error.description) }
        switch (operation, namedQueue) {
        case (.quarantine, nil): return try run(exim, ["-Mf"], ids)
        case (.restore, nil): return try run(exim, ["-Mt"], ids)
        case (.quarantine, let q?): return try run(exim, ["-MG", q], ids)
        case (.restore, let q?): return try run(exim, ["-qG" + q, "-MG", ""], ids)
        case (.purge, _):
            // Each message from the queue it is in (a named queue needs -qGNAME).
            let places = locate(Set(ids))
            var byQueue: [String: [String]] = [:]
            for id in ids { byQueue[places[id]?.namedQueue ?? "", default: []].append(id) }
            var lines: [String] = []
            for (queue, group) in byQueue.sorted(by: { $0.key < $1.key }) {
                lines += try run(exim, queue.isEmpty ? ["-Mrm"] : ["-qG" + queue, "-Mrm"], group)
            }
            return lines
        }
    }

    private func run(_ exim: String, _ flags: [String], _ ids: [String]) throws(MoveError) -> [String] {
        let result = try ToolRun.run(exim, configArguments + flags + ids)
        // exim exits 1 when one of the ids was not acted on ("is already frozen"): each
        // message's place then says what happened, its line why.
        guard result.status == 0 || (result.status > 0 && result.lines.contains(where: { l in ids.contains { l.contains($0) } })) else {
            throw MoveError("\(exim) \(flags.joined(separator: " ")) exited with status \(result.status): \(result.lines.joined(separator: "; "))")
        }
        return result.lines
    }

    /// The default queue's `input/`, then each named queue's (`<spool>/<name>/input/`).
    private var inputs: [(folder: String, queue: String?)] {
        var out: [(String, String?)] = [(FileSystem.join(spoolDirectory, "input"), nil)]
        for (name, kind) in FileSystem.entries(spoolDirectory) ?? [] where kind == .folder && Self.isQueueName(name) {
            let input = FileSystem.join(FileSystem.join(spoolDirectory, name), "input")
            if FileSystem.kind(input) == .folder { out.append((input, name)) }
        }
        return out
    }

    /// Reads the `-H` of each of `ids` (split folder or not) for its `-frozen` line; a message in
    /// a named queue is in that queue.
    public func locate(_ ids: Set<String>) -> [String: QueueLocation] {
        var found: [String: QueueLocation] = [:]
        var buffer: [UInt8] = []
        let inputs = self.inputs
        for id in ids where Self.isMessageID(id) {
            let u = Array(id.utf8)
            search: for (input, queue) in inputs {
            let split = FileSystem.join(input, String(decoding: u[5...5], as: UTF8.self))
            for folder in [split, input] {
                let header = FileSystem.join(folder, id + "-H"), data = FileSystem.join(folder, id + "-D")
                guard (try? ByteSource(path: header, allowMapping: false).readAll(into: &buffer, limit: EximSpoolWalker.headerFileLimit)) == true,
                      FileSystem.kind(data) == .file else { continue }
                var m = QueuedMessage(id: id, queue: "", state: "")
                // A -H that cannot be read is still there: never taken for a removed message.
                let frozen = try? buffer.withUnsafeBytes { EximHeaderFile.parse($0, id: id, into: &m) }.get().frozen
                found[id] = QueueLocation(queue: queue ?? frozen.map { $0 ? "frozen" : "queued" } ?? "unreadable", path: data,
                                          namedQueue: queue)
                break search
            }
            }
        }
        return found
    }
}
