import Glibc

/// Walks a Postfix `queue_directory` (default `/var/spool/postfix`): the message queues
/// `incoming active deferred hold corrupt maildrop`, each possibly hashed into subfolders
/// (`deferred/8/8377DA1094`). Never follows a link; the per-message logs (`defer`, `bounce`,
/// `trace`) are not messages and are not read.
struct PostfixQueueWalker {
    var diagnostics: Diagnostics
    /// Threads that read queue files at once.
    var threads = 1
    private var buffer: [UInt8] = []

    /// The queues holding messages, in the order Postfix moves mail through them.
    static let queueNames = ["incoming", "active", "deferred", "hold", "corrupt", "maildrop"]
    /// A queue file larger than this is not read.
    static let fileLimit = 256 << 20
    /// Hash levels are at most a few deep (`hash_queue_depth`); deeper folders are not Postfix's.
    private static let maxDepth = 6

    init(diagnostics: Diagnostics = Diagnostics()) { self.diagnostics = diagnostics }

    /// Reports every message in the queues under `queueDirectory` (the folder holding
    /// `deferred/`, `hold/`...). A missing queue folder is skipped: not every Postfix has all.
    mutating func walk(queueDirectory: String, visit: (QueuedMessage) -> Void) {
        if FileSystem.kind(queueDirectory) != .folder {
            diagnostics.warn(queueDirectory, "cannot list the folder")
            return
        }
        for queue in Self.queueNames {
            let path = FileSystem.join(queueDirectory, queue)
            switch FileSystem.kind(path) {
            case .folder:
                read(path, queue: queue, depth: 0, visit: visit)
            case .missing:
                continue
            case .link:
                diagnostics.warn(path, "is a symbolic link (not followed)")
            case .file:
                diagnostics.warn(path, "not a folder (a regular file)")
            case .other(let kind):
                diagnostics.warn(path, "not a folder (\(kind))")
            }
        }
    }

    /// Names of a folder listed at once: a queue folder of millions of files is read a run at
    /// a time, so memory does not grow with the queue.
    var runNames = FileSystem.spoolRunNames

    /// Reads the queue files under `folder` (`list`): those listed are read on several threads
    /// (slices, each with its own buffer) and reported in the listing's order.
    mutating func read(_ folder: String, queue: String, depth: Int, visit: (QueuedMessage) -> Void) {
        var files: [(path: String, id: String)] = []
        let threads = threads
        Self.list(folder, depth: depth, runNames: runNames, diagnostics: &diagnostics, file: { files.append(($0, $1)) }) { diagnostics in
            let listed = files
            files.removeAll(keepingCapacity: true)
            Parallel.readMessages(listed, threads: threads, diagnostics: &diagnostics, visit: visit) { slice, found in
                var reader = PostfixQueueWalker()
                for f in slice { reader.readFile(f.path, id: f.id, queue: queue, visit: found) }
                return reader.diagnostics
            }
        }
    }

    /// The queue files under `folder`, hashed subfolders included, in listing order (by name; a
    /// folder of more than `runNames` names a run of them at a time), each given to `file` with
    /// its path and id. `listed` is called when the files given so far are all there are before
    /// a subfolder or the next run: what they are kept for can be done then, and let go.
    static func list(_ folder: String, depth: Int, runNames: Int, diagnostics: inout Diagnostics,
                     file: (_ path: String, _ id: String) -> Void, listed: (inout Diagnostics) -> Void) {
        guard let handle = FileSystem.Folder(folder) else {
            diagnostics.warn(folder, "cannot list the folder")
            return
        }
        let ok = FileSystem.listing(handle, runsOf: runNames) { listing, _ in
            for e in listing.entries {
                let name = listing.name(e), path = FileSystem.join(folder, name)
                switch e.kind {
                case .folder:
                    guard depth < maxDepth else {
                        diagnostics.warn(path, "folder nested too deep in the queue, not read")
                        continue
                    }
                    listed(&diagnostics) // the files that sort before the subfolder come first
                    list(path, depth: depth + 1, runNames: runNames, diagnostics: &diagnostics, file: file, listed: listed)
                case .file:
                    file(path, name)
                case .link:
                    diagnostics.warn(path, "is a symbolic link (not followed)")
                case .missing:
                    continue // delivered and removed between listing and looking
                case .other(let kind):
                    diagnostics.warn(path, "not a regular file (\(kind))")
                }
            }
            listed(&diagnostics)
        }
        if !ok { diagnostics.warn(folder, "cannot list the folder") }
    }

    /// Reads one queue file and reports it, or warns why not.
    mutating func readFile(_ path: String, id: String, queue: String, visit: (QueuedMessage) -> Void) {
        var message = QueuedMessage(id: id, queue: queue, state: queue)
        message.envelopePath = path
        message.contentPath = path
        message.files = [path]
        message.contentEncoding = .postfixQueueFile // the content is in N/L records
        do {
            let source = try ByteSource(path: path, allowMapping: false)
            // A file in incoming (or maildrop) with mode 0600 is still being written: Postfix
            // sets the owner execute bit (maildrop: 0444) once it is complete.
            if queue == "incoming" || queue == "maildrop", source.mode & 0o777 == 0o600 {
                message.beingWritten = true
                message.state = "\(queue) (being written)"
            }
            if queue == "deferred" {
                // Postfix sets a deferred file's modification time to its next retry.
                message.nextAttempt = LocalTime(unixTime: source.modificationTime)
            }
            guard try source.readAll(into: &buffer, limit: Self.fileLimit) else {
                diagnostics.warn(path, "queue file larger than \(Self.fileLimit >> 20) MiB, not read")
                return
            }
            let problem = buffer.withUnsafeBytes { PostfixQueueFile.parse($0, into: &message) }
            if message.created == nil && queue != "deferred" {
                message.created = LocalTime(unixTime: source.modificationTime)
            }
            // A file being written is incomplete by nature: report what is there.
            if let problem, !message.beingWritten {
                diagnostics.warn(path, problem)
                return
            }
        } catch .vanished {
            return // delivered or moved to another queue between listing and reading
        } catch {
            diagnostics.warn(path, error.reason)
            return
        }
        diagnostics.filesRead += 1
        visit(message)
    }
}
