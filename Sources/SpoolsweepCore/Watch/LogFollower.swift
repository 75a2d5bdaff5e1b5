import Glibc

/// Where a followed file was: which file (device and inode, to know it again under another
/// name after a rotation) and how far it had been read. Kept in `watch`'s state.
public struct FileMark: Equatable, Sendable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var offset: Int64
}

/// Something the follower saw happen to a file, for the log of `watch` on standard error.
public struct FollowEvent: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A file began to be followed (from its start).
        case opened
        /// The name now holds another file (a rotation by rename, or a new file after a
        /// delete): the old one is read to its end, then the new one from its start.
        case rotated
        /// The file got shorter (copy-truncate): read again from its start.
        case truncated
        /// The name is gone; the file is read to its end and followed again if it reappears.
        case vanished
        /// The file cannot be opened or read.
        case unreadable
        /// A line longer than the limit was cut.
        case lineCut
    }
    public let kind: Kind
    public let path: String
    public let detail: String
}

/// Follows log files as they grow, like `tail -F`: each byte is read once, complete lines are
/// handed on, and a name that is rotated (renamed away and created again), truncated (copy-
/// truncate), deleted or created later is followed through. A rotated file stays open and is
/// read until it has been quiet for `retiredQuiet` seconds, so lines a server writes to it after
/// the rename (before it reopens its log) are not lost. Changes are waited for with inotify on
/// the files' folders (a bounded poll where inotify is not available).
public final class LogFollower {
    struct Followed {
        let path: String
        var fd: Int32 = -1
        var device: UInt64 = 0, inode: UInt64 = 0
        var offset: Int64 = 0
        /// The start of a line whose end has not been written yet.
        var partial: [UInt8] = []
        /// Skipping the rest of a line longer than the limit.
        var skipping = false
        /// No longer the file at `path` (rotated away or deleted): read until quiet, then closed.
        var retired = false
        var quietSince: Int64 = 0
        var reportedUnreadable = false
        /// The last bytes read, to know the copy of a copy-truncate by.
        var tail: [UInt8] = []
    }

    public let maxLineLength: Int
    /// How long a rotated-away file is kept open with nothing new before it is closed.
    public var retiredQuiet: Int64 = 10
    private var files: [Followed] = []
    private var buffer: UnsafeMutableRawBufferPointer
    private var inotify: Int32 = -1
    private var watchedFolders: [String: Int32] = [:]

    public init(maxLineLength: Int = 1 << 20) {
        self.maxLineLength = maxLineLength
        buffer = .allocate(byteCount: 1 << 18, alignment: 16)
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    }

    deinit {
        for f in files where f.fd >= 0 { close(f.fd) }
        if inotify >= 0 { close(inotify) }
        buffer.deallocate()
    }

    /// Whether changes are waited for with inotify (else by polling).
    public var usesInotify: Bool { inotify >= 0 }

    /// Files read since `forgetClosed()` and closed since (rotated away and quiet).
    private var closed: [FileMark] = []

    /// Every file read since `forgetClosed()`, open or closed, and how far: all that a restart
    /// reads again to rebuild the evidence.
    public var marks: [FileMark] {
        closed + files.filter { $0.fd >= 0 }.map { FileMark(path: $0.path, device: $0.device, inode: $0.inode, offset: $0.offset) }
    }

    /// From now on `marks` names only the files open (a new day: the closed ones hold no line of it).
    public func forgetClosed() { closed = [] }

    /// The paths followed (current names).
    public var paths: [String] { files.filter { !$0.retired }.map(\.path) }

    /// Follows exactly `paths` from now on: a new path is read from its start (`resume` names
    /// the file a path held before a restart: if it now has another name, that file is read
    /// from its start and to its end first); a path no longer wanted is read to its end and closed.
    public func follow(_ paths: [String], resume: [FileMark] = [], events: inout [FollowEvent]) {
        for i in files.indices where !files[i].retired && !paths.contains(files[i].path) {
            files[i].retired = true
            files[i].quietSince = Self.clock()
        }
        for mark in resume { resumeRotated(mark, current: paths, events: &events) }
        for path in paths where !files.contains(where: { !$0.retired && $0.path == path }) {
            files.append(Followed(path: path))
            open(&files[files.count - 1], events: &events)
            watchFolder(FileSystem.folderName(path))
        }
    }

    /// A file read before a restart that is not one of `current` now: found by its inode under
    /// its name or another in its folder (rotated before or while stopped), it is read whole
    /// again (and until quiet), so the evidence it held is rebuilt.
    private func resumeRotated(_ mark: FileMark, current: [String], events: inout [FollowEvent]) {
        var st = stat()
        for path in current where stat(path, &st) == 0 && UInt64(st.st_dev) == mark.device && UInt64(st.st_ino) == mark.inode { return }
        guard !files.contains(where: { $0.device == mark.device && $0.inode == mark.inode }) else { return }
        let folder = FileSystem.folderName(mark.path)
        for name in FileSystem.list(folder) ?? [] {
            let candidate = FileSystem.join(folder, name)
            guard lstat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
                  UInt64(st.st_dev) == mark.device, UInt64(st.st_ino) == mark.inode else { continue }
            var old = Followed(path: candidate)
            open(&old, events: &events)
            old.retired = true
            old.quietSince = Self.clock()
            events.append(FollowEvent(kind: .rotated, path: candidate, detail: "read before the restart (inode \(mark.inode)): read again"))
            files.append(old)
            return
        }
        if mark.offset > 0 {
            events.append(FollowEvent(kind: .vanished, path: mark.path, detail: "a file read before the restart (inode \(mark.inode)) is gone (compressed or deleted): its lines are not read again, and those written to it after the stop are not read at all"))
        }
    }

    private func open(_ f: inout Followed, events: inout [FollowEvent]) {
        let fd = Glibc.open(f.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else {
            let e = errno
            if e != ENOENT && !f.reportedUnreadable {
                events.append(FollowEvent(kind: .unreadable, path: f.path, detail: FileSystem.errorText(e)))
                f.reportedUnreadable = true
            }
            return
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            if !f.reportedUnreadable {
                events.append(FollowEvent(kind: .unreadable, path: f.path, detail: "not a regular file"))
                f.reportedUnreadable = true
            }
            return
        }
        (f.fd, f.device, f.inode, f.offset, f.partial, f.skipping) = (fd, UInt64(st.st_dev), UInt64(st.st_ino), 0, [], false)
        f.reportedUnreadable = false
        events.append(FollowEvent(kind: .opened, path: f.path, detail: "inode \(f.inode), \(st.st_size) bytes"))
    }

    private func watchFolder(_ folder: String) {
        guard inotify >= 0, watchedFolders[folder] == nil else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        watchedFolders[folder] = inotify_add_watch(inotify, folder, mask)
    }

    /// Also wakes `wait` when `folder` changes (a folder where new files appear).
    public func watch(folder: String) { watchFolder(folder) }

    /// Reads what every followed file gained since the last call, calling `body` with each
    /// complete line (without its line ending; `path` is the name it was followed by) in file
    /// order, and notes rotations, truncations and files that vanished or appeared.
    public func poll(events: inout [FollowEvent], _ body: (String, UnsafeRawBufferPointer) -> Void) {
        let now = Self.clock()
        var i = 0
        while i < files.count {
            if files[i].fd < 0 {
                if !files[i].retired { open(&files[i], events: &events) }
                if files[i].fd < 0 { i += 1; continue }
            }
            let grew = drain(&files[i], events: &events, body)
            if files[i].retired {
                if grew { files[i].quietSince = now }
                if now - files[i].quietSince >= retiredQuiet {
                    flushPartial(&files[i], body)
                    close(files[i].fd)
                    closed.append(FileMark(path: files[i].path, device: files[i].device, inode: files[i].inode, offset: files[i].offset))
                    files.remove(at: i)
                    continue
                }
            } else {
                checkName(i, events: &events, body)
            }
            i += 1
        }
    }

    /// Whether the name of `files[i]` still holds the file open; if not, the open file is
    /// retired (read on until quiet) and the name followed afresh.
    private func checkName(_ i: Int, events: inout [FollowEvent], _ body: (String, UnsafeRawBufferPointer) -> Void) {
        var st = stat()
        let found = lstat(files[i].path, &st) == 0
        if found, UInt64(st.st_dev) == files[i].device, UInt64(st.st_ino) == files[i].inode { return }
        var old = files[i]
        old.retired = true
        old.quietSince = Self.clock()
        events.append(FollowEvent(kind: found ? .rotated : .vanished, path: old.path,
                                  detail: found ? "a new file has the name: the old one is read to its end, the new one from its start"
                                              : "the name is gone: the file is read to its end, and followed again if it reappears"))
        var fresh = Followed(path: old.path)
        if found { open(&fresh, events: &events) }
        files[i] = fresh
        files.append(old)
        // The old file was read to its end above: the new one's lines follow at once.
        if files[i].fd >= 0 { _ = drain(&files[i], events: &events, body) }
    }

    /// Reads `f` from its offset to its end; whether anything was read.
    private func drain(_ f: inout Followed, events: inout [FollowEvent], _ body: (String, UnsafeRawBufferPointer) -> Void) -> Bool {
        var st = stat()
        guard fstat(f.fd, &st) == 0 else { return false }
        if Int64(st.st_size) < f.offset {
            var detail = "now \(st.st_size) bytes, was read to \(f.offset): read again from its start"
            if let copy = copy(of: f) {
                // What was read is in the copy now: a restart reads it there.
                closed.append(copy)
                detail += "; its copy is \(FileSystem.baseName(copy.path))"
            }
            events.append(FollowEvent(kind: .truncated, path: f.path, detail: detail))
            f.offset = 0
            f.tail = []
            f.partial = []
            f.skipping = false
        }
        var grew = false
        while true {
            let n = pread(f.fd, buffer.baseAddress, buffer.count, off_t(f.offset))
            if n < 0 {
                if errno == EINTR { continue }
                if !f.reportedUnreadable {
                    events.append(FollowEvent(kind: .unreadable, path: f.path, detail: FileSystem.errorText(errno)))
                    f.reportedUnreadable = true
                }
                return grew
            }
            if n == 0 { return grew }
            grew = true
            let atStart = f.offset == 0
            f.offset += Int64(n)
            let keep = min(n, Self.tailLength)
            f.tail.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(n - keep)..<n]))
            if f.tail.count > Self.tailLength { f.tail.removeFirst(f.tail.count - Self.tailLength) }
            split(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), atStart: atStart, &f, events: &events, body)
        }
    }

    static let tailLength = 256

    /// The copy copy-truncate made of `f` before truncating it: a regular file beside it, another
    /// inode, at least as long as what was read, with the same last bytes at the same place.
    private func copy(of f: Followed) -> FileMark? {
        guard !f.tail.isEmpty else { return nil }
        let folder = FileSystem.folderName(f.path)
        var probe = [UInt8](repeating: 0, count: f.tail.count)
        for name in FileSystem.list(folder) ?? [] where Compression(path: name) == nil {
            let path = FileSystem.join(folder, name)
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, UInt64(st.st_ino) != f.inode,
                  Int64(st.st_size) >= f.offset else { continue }
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            let n = probe.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(f.offset) - off_t(f.tail.count)) }
            close(fd)
            if n == f.tail.count && probe == f.tail {
                return FileMark(path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), offset: f.offset)
            }
        }
        return nil
    }

    /// Splits a chunk into lines, joining the partial line the chunk before ended with.
    private func split(
        _ chunk: UnsafeRawBufferPointer, atStart: Bool, _ f: inout Followed, events: inout [FollowEvent],
        _ body: (String, UnsafeRawBufferPointer) -> Void
    ) {
        var start = 0
        if atStart, chunk.count >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { start = 3 }
        let base = chunk.baseAddress!
        while start < chunk.count {
            guard let nl = memchr(base + start, 0x0A, chunk.count - start) else {
                append(UnsafeRawBufferPointer(rebasing: chunk[start...]), to: &f, events: &events, body)
                return
            }
            let end = base.distance(to: UnsafeRawPointer(nl))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            if f.skipping {
                f.skipping = false
            } else if f.partial.isEmpty {
                deliver(piece, f.path, body)
            } else {
                f.partial.append(contentsOf: piece)
                f.partial.withUnsafeBytes { deliver($0, f.path, body) }
                f.partial.removeAll(keepingCapacity: true)
            }
            start = end + 1
        }
    }

    /// Keeps the start of a line not yet ended; a line past the limit is delivered cut and the
    /// rest of it skipped.
    private func append(_ piece: UnsafeRawBufferPointer, to f: inout Followed, events: inout [FollowEvent], _ body: (String, UnsafeRawBufferPointer) -> Void) {
        guard !f.skipping else { return }
        f.partial.append(contentsOf: piece)
        if f.partial.count > maxLineLength {
            f.partial.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0[0..<maxLineLength]), f.path, body) }
            f.partial = []
            f.skipping = true
            events.append(FollowEvent(kind: .lineCut, path: f.path, detail: "a line longer than \(maxLineLength) bytes was cut"))
        }
    }

    /// A retired file's last line, ended by nothing: it will get no more.
    private func flushPartial(_ f: inout Followed, _ body: (String, UnsafeRawBufferPointer) -> Void) {
        if !f.partial.isEmpty && !f.skipping { f.partial.withUnsafeBytes { deliver($0, f.path, body) } }
        f.partial = []
    }

    @inline(__always) private func deliver(_ line: UnsafeRawBufferPointer, _ path: String, _ body: (String, UnsafeRawBufferPointer) -> Void) {
        var line = line
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        body(path, line)
    }

    /// Waits until a watched folder changes, or `milliseconds` pass (without inotify: sleeps
    /// `milliseconds`). Returns early when a signal arrives.
    public func wait(milliseconds: Int32) {
        guard inotify >= 0 else {
            var ts = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
            nanosleep(&ts, nil)
            return
        }
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
        if Glibc.poll(&fds, 1, milliseconds) > 0 {
            // The events only wake the loop: every file is looked at anyway.
            while read(inotify, buffer.baseAddress, buffer.count) > 0 {}
        }
    }

    /// Seconds on the monotonic clock.
    static func clock() -> Int64 { milliseconds() / 1000 }

    /// Milliseconds on the monotonic clock.
    static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
