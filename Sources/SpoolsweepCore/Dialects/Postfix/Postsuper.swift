import Glibc

/// Changes a live Postfix queue the way Postfix wants it changed: through `postsuper`, with the
/// queue ids on its standard input. Quarantine is `postsuper -h -` (put on hold: the file moves
/// to `hold/`, Postfix no longer delivers it), restore is `postsuper -H -` (released to
/// `deferred/`), purge is `postsuper -d -`.
public struct PostsuperControl: QueueControl {
    public let tool = "postsuper"
    public let holdQueue = "hold"
    public let contentEncoding = ContentEncoding.postfixQueueFile
    /// The queue directory spoolsweep read (`/var/spool/postfix`).
    public let queueDirectory: String
    /// `--queue-tool`: the postsuper to run; found in `$PATH` or `/usr/sbin` when nil.
    public let command: String?
    /// `--server-config`: postsuper's `-c` (the folder of `main.cf`); Postfix's default when nil.
    public let configDirectory: String?

    public init(queueDirectory: String, command: String?, configDirectory: String?) {
        self.queueDirectory = queueDirectory
        self.command = command
        self.configDirectory = configDirectory
    }

    /// Postfix queue ids: short hex (`8377DA1094`) or long (`4jcXN002Gxz7ls5`), letters and digits.
    public func isValidID(_ id: String) -> Bool {
        (6...32).contains(id.utf8.count) && id.utf8.allSatisfy { isDigit($0) || isLetter($0) }
    }

    private var configArguments: [String] { configDirectory.map { ["-c", $0] } ?? [] }

    private func postsuper() throws(SpoolsweepError) -> String {
        try ToolRun.tool(command, names: ["postsuper"], fallbacks: ["/usr/sbin", "/usr/local/sbin"],
                         missing: "postsuper not found in $PATH or /usr/sbin: a live Postfix queue is changed through it (give --queue-tool PATH); for a copy of the queue with Postfix not running on it, add --offline")
    }

    /// postsuper is there, and its configuration's `queue_directory` (asked of `postconf`, found
    /// beside it) is the queue spoolsweep read: otherwise it would act on another queue.
    public func check() throws(SpoolsweepError) {
        let postsuper = try postsuper()
        var folder = postsuper
        if let slash = folder.lastIndex(of: "/") { folder = String(folder[..<slash]) } else { folder = "." }
        let postconf = FileSystem.join(folder, "postconf")
        let result: ToolRun.Result
        do { result = try ToolRun.run(postconf, configArguments + ["-h", "queue_directory"]) } catch {
            throw .badValue("cannot ask \(postconf) for queue_directory (\(error)); postsuper's queue cannot be checked")
        }
        let answer = result.lines.last { !$0.contains("warning:") } ?? ""
        guard result.status == 0, !answer.isEmpty else {
            throw .badValue("\(postconf) -h queue_directory failed: \(result.lines.joined(separator: "; "))")
        }
        guard Self.real(answer) == Self.real(queueDirectory) else {
            let config = configDirectory ?? "Postfix's default configuration"
            throw .badValue("postsuper would act on \(answer) (queue_directory of \(config)), not on \(queueDirectory); give --server-config with the folder of the main.cf that serves this queue, or --offline for a copy Postfix does not run on")
        }
    }

    static func real(_ path: String) -> String { FileSystem.resolved(path) ?? path }

    public func act(_ operation: JournalOperation, ids: [String]) throws(MoveError) -> [String] {
        let flag = switch operation { case .quarantine: "-h"; case .restore: "-H"; case .purge: "-d" }
        let postsuper: String
        do { postsuper = try self.postsuper() } catch { throw MoveError(error.description) }
        let input = Array(ids.map { $0 + "\n" }.joined().utf8)
        let result = try ToolRun.run(postsuper, configArguments + [flag, "-"], input: input)
        guard result.status == 0 else {
            throw MoveError("\(postsuper) \(flag) - exited with status \(result.status): \(result.lines.joined(separator: "; "))")
        }
        return result.lines
    }

    /// Lists the queue folders (names only, nothing is read) for `ids`.
    public func locate(_ ids: Set<String>) -> [String: QueueLocation] {
        var found: [String: QueueLocation] = [:]
        var unsaid = Diagnostics() // warnings are the listing's business, not this look's
        for queue in PostfixQueueWalker.queueNames {
            PostfixQueueWalker.list(FileSystem.join(queueDirectory, queue), depth: 0, runNames: FileSystem.spoolRunNames,
                                    diagnostics: &unsaid, file: { path, id in
                if ids.contains(id) { found[id] = QueueLocation(queue: queue, path: path) }
            }, listed: { _ in })
        }
        return found
    }
}
