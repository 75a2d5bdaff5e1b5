import Glibc

/// Folder listing and file-type checks that never follow a symbolic link.
public enum FileSystem {
    public enum Kind: Equatable, Sendable { case file, folder, link, other(String), missing }

    /// The kind of `path` itself (a link is reported as a link, not as its target).
    public static func kind(_ path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .link
        case let t: return .other(ByteSource.describe(fileType: t))
        }
    }

    public static func exists(_ path: String) -> Bool { kind(path) != .missing }

    /// `path` with every symbolic link resolved (`realpath`), or nil when it cannot be.
    public static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Modification time (seconds since the epoch, UTC) and size, without following links.
    public static func status(_ path: String) -> (mtime: Int, size: Int)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (Int(st.st_mtim.tv_sec), Int(st.st_size))
    }

    /// The names in a folder (not `.` and `..`), sorted bytewise; nil when it cannot be listed.
    public static func list(_ folder: String) -> [String]? {
        entries(folder)?.map(\.name)
    }

    /// The names in a folder with their kinds, sorted bytewise by name; nil when it cannot be
    /// listed.
    public static func entries(_ folder: String) -> [(name: String, kind: Kind)]? {
        listing(folder).map { l in l.entries.map { (l.name($0), $0.kind) } }
    }

    /// A folder's listing as bytes: every name in one buffer (no String per name), with its
    /// kind, sorted bytewise by name.
    public struct Listing: Sendable {
        public struct Entry: Sendable {
            let start: Int32, count: Int32
            public let kind: Kind
        }
        /// Every name, back to back.
        private(set) var bytes: [UInt8] = []
        public private(set) var entries: [Entry] = []

        public func name(_ e: Entry) -> String {
            withName(e) { String(decoding: $0, as: UTF8.self) }
        }

        /// The name with its bytes that are not UTF-8 written `\xNN`, when it has any (nil when
        /// the name is valid UTF-8): such a name cannot be a path spoolsweep opens as text.
        public func escapedNonUTF8Name(_ e: Entry) -> String? {
            withName(e) { raw in
                if !raw.contains(where: { $0 >= 0x80 }) { return nil } // ASCII, as spool names are: no String made
                if String(validating: raw, as: UTF8.self) != nil { return nil }
                var out = ""
                for b in raw {
                    if b >= 0x20 && b < 0x7F { out.append(Character(UnicodeScalar(b))) }
                    else { let h = String(b, radix: 16, uppercase: true); out += "\\x" + (h.count < 2 ? "0" + h : h) }
                }
                return out
            }
        }

        public func withName<R>(_ e: Entry, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[Int(e.start)..<Int(e.start + e.count)])) }
        }

        /// How the names of `a` and `b` sort, bytewise (negative: `a` first; 0: the same),
        /// leaving out the last `dropping` bytes of each.
        public func compare(_ a: Entry, _ b: Entry, dropping: Int32 = 0) -> Int32 {
            let la = Int(a.count - dropping), lb = Int(b.count - dropping)
            return bytes.withUnsafeBufferPointer { p in
                let c = memcmp(p.baseAddress! + Int(a.start), p.baseAddress! + Int(b.start), min(la, lb))
                return c != 0 ? c : Int32(la - lb).signum()
            }
        }

        fileprivate mutating func add(_ name: UnsafeBufferPointer<UInt8>, kind: Kind) {
            entries.append(Entry(start: Int32(bytes.count), count: Int32(name.count), kind: kind))
            bytes.append(contentsOf: name)
        }

        fileprivate mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }

        fileprivate mutating func sort() {
            let listing = self
            entries.sort { listing.compare($0, $1) < 0 }
        }
    }

    /// An open folder: names in it are opened and examined relative to it (`openat`), so the
    /// kernel walks its path once, and a folder swapped for a link meanwhile is not followed.
    public final class Folder: Sendable {
        public let path: String
        let fd: Int32

        /// Opens `path`, which must be a folder itself (not a link to one).
        public init?(_ path: String) {
            fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            self.path = path
        }

        deinit { close(fd) }

        /// Modification time and size of `name` in this folder, without following a link.
        public func status(_ name: String) -> (mtime: Int, size: Int)? {
            var st = stat()
            guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
            return (Int(st.st_mtim.tv_sec), Int(st.st_size))
        }

        /// Whether `name` in this folder is a regular file (a link to one is not).
        public func holdsFile(_ name: String) -> Bool {
            var st = stat()
            return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFREG
        }
    }

    /// The folder's names and kinds, sorted bytewise; nil when it cannot be listed. The kind
    /// comes from the listing itself (no `lstat` per name) where the file system gives it; a name
    /// removed meanwhile may still be listed (its kind then `.missing` only if the file system
    /// gave none).
    public static func listing(_ folder: String) -> Listing? {
        Folder(folder).flatMap(listing)
    }

    public static func listing(_ handle: Folder) -> Listing? {
        var whole: Listing?
        guard listing(handle, runsOf: .max, { run, _ in whole = run }) else { return nil }
        return whole ?? Listing()
    }

    /// Names of a spool or queue folder its walker lists at once (`listing(_:runsOf:_:)`): a
    /// folder of millions of files is read a run of 65,536 names at a time (about 3 MB).
    public static let spoolRunNames = 1 << 16

    /// The folder's names and kinds a run at a time, so that a folder of millions of names is
    /// read in the memory of one run: each run holds at most `limit` names (the listing's next
    /// ones, in the file system's order) sorted bytewise, and `body` learns whether it is the
    /// last. A folder of at most `limit` names is one run; an empty folder, one empty run. False
    /// when the folder cannot be listed.
    public static func listing(_ handle: Folder, runsOf limit: Int, _ body: (Listing, _ last: Bool) -> Void) -> Bool {
        let folder = handle.path, limit = max(1, limit)
        let copy = dup(handle.fd) // closedir closes it; the handle keeps its own
        guard copy >= 0 else { return false }
        guard let dir = fdopendir(copy) else {
            close(copy)
            return false
        }
        defer { closedir(dir) }
        rewinddir(dir) // the copy shares the handle's offset: an earlier listing left it at the end
        var run = Listing()
        while let entry = readdir(dir) {
            withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { p in
                    let name = UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)))
                    if name.count <= 2 && name.allSatisfy({ $0 == UInt8(ascii: ".") }) { return } // . and ..
                    let kind: Kind = switch Int32(entry.pointee.d_type) {
                    case Int32(DT_REG): .file
                    case Int32(DT_DIR): .folder
                    case Int32(DT_LNK): .link
                    default: self.kind(join(folder, String(decoding: name, as: UTF8.self))) // DT_UNKNOWN, or a device, FIFO, socket
                    }
                    if run.entries.count == limit {
                        // Another name after a full run: that run was not the last.
                        run.sort()
                        body(run, false)
                        run.removeAll()
                    }
                    run.add(name, kind: kind)
                }
            }
        }
        run.sort()
        body(run, true)
        return true
    }

    /// Writes every byte of `bytes` to `fd` (a short write is continued, EINTR retried); the
    /// error number when it cannot (`ENOSPC` for a write that makes no progress).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return ENOSPC }
            done += n
        }
        return nil
    }

    /// Replaces the file at `path` with `bytes`, never leaving it half-written (`AtomicFile`).
    /// The errno of the first step that fails, or nil.
    public static func replaceFile(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) -> Int32? {
        var file = AtomicFile(path, mode: mode)
        bytes.withUnsafeBytes { file.write($0) }
        return file.commit()
    }

    /// A file written whole or not at all: into a temporary file beside it (never through a
    /// link), which `commit` fsyncs and renames over `path`, then fsyncs the folder. After a
    /// failure nothing more is written and `commit` removes the temporary file.
    public struct AtomicFile {
        public let path: String
        private let temporary: String
        private let fd: Int32
        /// The errno of the first step that failed.
        public private(set) var failure: Int32?

        public init(_ path: String, mode: mode_t = 0o644) {
            self.path = path
            temporary = path + ".tmp\(getpid())"
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
            failure = fd >= 0 ? nil : errno
        }

        public mutating func write(_ bytes: UnsafeRawBufferPointer) {
            guard failure == nil else { return }
            failure = FileSystem.writeAll(fd, bytes)
        }

        /// Puts the file in place; the errno of the first step that failed, or nil. Once only.
        public mutating func commit() -> Int32? {
            guard fd >= 0 else { return failure }
            if failure == nil, fsync(fd) != 0 { failure = errno }
            if close(fd) != 0, failure == nil { failure = errno }
            if failure == nil, rename(temporary, path) != 0 { failure = errno }
            if let failure {
                unlink(temporary)
                return failure
            }
            let dir = open(FileSystem.folderName(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 { fsync(dir); close(dir) }
            return nil
        }
    }

    public static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The folder `path` is in (`.` for a bare name).
    public static func folderName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    public static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return String(p) }
        return String(p[p.index(after: slash)...])
    }

    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
