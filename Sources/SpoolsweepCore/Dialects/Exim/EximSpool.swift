import Glibc

/// Walks an Exim spool directory's `input/`, split (`input/<6th character of the id>/`, with
/// `split_spool_directory`) or not, or both (Exim finds a message in either). Each message is a
/// `<id>-H` (envelope and headers) and `<id>-D` (body) pair; the per-message logs in `msglog/`
/// are not part of the message. Never follows a link.
///
/// A message Exim is working on is never acted on: its `-D` is locked (Exim holds an fcntl write
/// lock on it while receiving or delivering), it has a `-J` journal (a delivery in progress, or
/// one a crash cut short: Exim applies it on the next run), or a temporary `-H` (`hdr.<id>`,
/// `<id>-T`) is beside it.
struct EximSpoolWalker {
    var diagnostics: Diagnostics
    /// Threads that read -H files at once.
    var threads = 1
    private var buffer: [UInt8] = []

    /// A -H larger than this is not read (Exim's own header limit is far below).
    static let headerFileLimit = 64 << 20

    init(diagnostics: Diagnostics = Diagnostics()) { self.diagnostics = diagnostics }

    /// One message found in the listing.
    struct Item: Sendable {
        let folder: String
        let id: String
        /// The named queue it is in (`<spool>/<name>/input/`); nil for the default queue.
        var queue: String? = nil
        /// A -J journal or a temporary -H is beside it.
        var journal = false
        var temporary = false
    }

    /// What the listing of one folder holds for one id.
    private struct Names { var header = false, data = false, journal = false, temporary = false }

    /// Reports every message under `spoolDirectory` (the folder holding `input/`), in id order
    /// (the order of arrival) whatever `threads`.
    mutating func walk(spoolDirectory: String, visit: (QueuedMessage) -> Void) {
        let items = list(spoolDirectory: spoolDirectory)
        Parallel.readMessages(items, threads: threads, diagnostics: &diagnostics, visit: visit) { slice, found in
            var reader = EximSpoolWalker()
            for item in slice { reader.read(item, visit: found) }
            return reader.diagnostics
        }
    }

    /// The messages of the spool (pairs found; lone halves warned about), sorted by id.
    mutating func list(spoolDirectory: String) -> [Item] {
        let input = FileSystem.join(spoolDirectory, "input")
        switch FileSystem.kind(input) {
        case .folder: break
        case .link: diagnostics.warn(input, "is a symbolic link (not followed)"); return []
        default: diagnostics.warn(input, "cannot list the folder"); return []
        }
        var items: [Item] = []
        listFolder(input, split: true, queue: nil, into: &items)
        // Named queues (Exim 4.93+, `queue_name` or `exim -MG`): `<spool>/<name>/input/`.
        for (name, kind) in FileSystem.entries(spoolDirectory) ?? [] where kind == .folder && EximControl.isQueueName(name) {
            let named = FileSystem.join(FileSystem.join(spoolDirectory, name), "input")
            if FileSystem.kind(named) == .folder { listFolder(named, split: true, queue: name, into: &items) }
        }
        return items.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }

    private mutating func listFolder(_ folder: String, split: Bool, queue: String?, into items: inout [Item]) {
        guard let entries = FileSystem.entries(folder) else {
            diagnostics.warn(folder, "cannot list the folder")
            return
        }
        var names: [String: Names] = [:]
        var order: [String] = []
        func note(_ id: Substring, _ set: (inout Names) -> Void) {
            let key = String(id)
            if names[key] == nil { order.append(key) }
            set(&names[key, default: Names()])
        }
        for (name, kind) in entries {
            let path = FileSystem.join(folder, name)
            switch kind {
            case .folder:
                if split && name.utf8.count == 1 { listFolder(path, split: false, queue: queue, into: &items) }
                else { diagnostics.warn(path, "not an Exim spool folder (split folders are one character), not read") }
                continue
            case .file: break
            case .missing: continue // delivered and removed between listing and looking
            case .link: diagnostics.warn(path, "is a symbolic link (not followed)"); continue
            case .other(let what): diagnostics.warn(path, "not a regular file (\(what))"); continue
            }
            if name.hasPrefix("hdr.") { note(name.dropFirst(4)) { $0.temporary = true }; continue }
            guard name.utf8.count > 2, EximControl.isMessageID(name.dropLast(2)) else {
                diagnostics.warn(path, "not an Exim spool file, ignored")
                continue
            }
            let id = name.dropLast(2)
            switch name.suffix(2) {
            case "-H": note(id) { $0.header = true }
            case "-D": note(id) { $0.data = true }
            case "-J": note(id) { $0.journal = true }
            case "-T": note(id) { $0.temporary = true }
            default: diagnostics.warn(path, "not an Exim spool file, ignored")
            }
        }
        for id in order {
            let n = names[id]!
            switch (n.header, n.data) {
            case (true, true):
                items.append(Item(folder: folder, id: id, queue: queue, journal: n.journal, temporary: n.temporary))
            case (true, false):
                diagnostics.note(FileSystem.join(folder, id + "-H"), "-H without its -D (not a whole message)")
            case (false, true):
                // Exim writes the -D first, locked, while it receives: not yet a message.
                let data = FileSystem.join(folder, id + "-D")
                if !n.temporary && Self.lockHolder(data) == nil { diagnostics.note(data, "-D without its -H (not a whole message)") }
            case (false, false):
                continue // a journal or temporary file alone: Exim's business
            }
        }
    }

    /// The pid of the process holding an fcntl lock on the file at `path` (Exim's lock on a
    /// `-D` it works on), 0 when the holder is not known; nil when unlocked or gone.
    static func lockHolder(_ path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return lockHolder(fd: fd)
    }

    static func lockHolder(fd: Int32) -> Int32? {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0 // the whole file: Exim locks its first bytes
        guard fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        return lock.l_pid > 0 ? lock.l_pid : 0
    }

    /// Reads one message and reports it, or warns why not.
    mutating func read(_ item: Item, visit: (QueuedMessage) -> Void) {
        let headerPath = FileSystem.join(item.folder, item.id + "-H")
        let dataPath = FileSystem.join(item.folder, item.id + "-D")
        var message = QueuedMessage(id: item.id, queue: "queued", state: "queued")
        message.envelopePath = headerPath
        message.contentPath = dataPath
        message.files = [headerPath, dataPath]
        message.contentEncoding = .eximSpool
        // The -D: its size, and whether Exim holds its lock.
        let fd = open(dataPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { return } // delivered between listing and reading
            diagnostics.warn(dataPath, errno == ELOOP ? "is a symbolic link (not followed)" : "cannot open: \(FileSystem.errorText(errno))")
            return
        }
        var st = stat()
        let statted = fstat(fd, &st) == 0
        let locker = Self.lockHolder(fd: fd)
        close(fd)
        guard statted, st.st_mode & S_IFMT == S_IFREG else {
            diagnostics.warn(dataPath, "not a regular file")
            return
        }
        do {
            let source = try ByteSource(path: headerPath, allowMapping: false)
            guard try source.readAll(into: &buffer, limit: Self.headerFileLimit) else {
                diagnostics.warn(headerPath, "-H file larger than \(Self.headerFileLimit >> 20) MiB, not read")
                return
            }
            let parsed = buffer.withUnsafeBytes { EximHeaderFile.parse($0, id: item.id, into: &message) }
            let busy = locker != nil || item.journal || item.temporary
            switch parsed {
            case .success(let layout):
                // What `exim -bp` shows: the headers, the -D without its id line, and one for
                // the empty line between them.
                let idLine = item.id.utf8.count + 3
                message.size = layout.headerBytes + max(0, Int(st.st_size) - idLine) + 1
            case .failure(let problem):
                // A message being worked on may be between two writes: report what is there.
                guard busy else {
                    diagnostics.warn(headerPath, problem.reason)
                    return
                }
            }
            message.queue = item.queue ?? message.state
            if busy {
                message.beingWritten = true
                let why = locker.map { $0 > 0 ? "locked by pid \($0)" : "locked" } ?? (item.journal ? "delivery journal -J" : "being written")
                message.state = "\(message.state) (\(why))"
            }
        } catch .vanished {
            return // delivered between listing and reading
        } catch {
            diagnostics.warn(headerPath, error.reason)
            return
        }
        diagnostics.filesRead += 1
        visit(message)
    }
}
