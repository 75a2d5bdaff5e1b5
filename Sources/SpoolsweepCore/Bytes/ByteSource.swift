import Glibc

/// Why a file could not be read. Each case renders as the reason a warning prints.
public enum FileReadError: Error, Equatable, Sendable {
    /// The file was listed but is gone (the server delivered or rotated it meanwhile).
    case vanished
    /// The path is a folder, a FIFO, a device or a socket, not a regular file.
    case notRegularFile(kind: String)
    /// A symbolic link: spoolsweep never follows links inside a spool or log folder.
    case symbolicLink
    /// The operating system refused (permissions, I/O error...).
    case system(operation: String, errno: Int32)
    /// The bytes cannot be decoded (a damaged or cut `.gz`, a zip that is not one log).
    case damaged(String)

    public var reason: String {
        switch self {
        case .vanished: return "vanished before it could be read"
        case .notRegularFile(let kind): return "not a regular file (\(kind))"
        case .symbolicLink: return "is a symbolic link (not followed)"
        case .system(let operation, let code):
            return "\(operation) failed: \(String(cString: strerror(code)))"
        case .damaged(let what): return what
        }
    }
}

/// The bytes of one file, memory-mapped when that is safe and read through a reused buffer
/// otherwise.
///
/// Mapping is safe only for a regular file that is not being written: a live file that shrinks
/// under a map kills the process with SIGBUS. So a file is mapped only when it is non-empty and
/// was last modified at least `settledAge` seconds ago (a past day's log); everything else is
/// read with `read(2)` in chunks.
public struct ByteSource: ~Copyable {
    /// Seconds since the last modification after which a file counts as settled (mappable).
    public static let settledAge: Int = 60

    public let path: String
    public let size: Int
    public let modificationTime: Int
    public let mode: UInt32
    private let fd: Int32
    private var map: UnsafeRawBufferPointer?

    /// Opens `path` without following a final symbolic link.
    public init(path: String, allowMapping: Bool = true) throws(FileReadError) {
        try self.init(path: path, in: nil, name: path, allowMapping: allowMapping)
    }

    /// Opens `name` in `folder` without following a link; `path` (the folder's path joined with
    /// the name) is how warnings name it.
    public init(_ name: String, in folder: FileSystem.Folder, path: String, allowMapping: Bool = true) throws(FileReadError) {
        try self.init(path: path, in: folder, name: name, allowMapping: allowMapping)
    }

    private init(path: String, in folder: FileSystem.Folder?, name: String, allowMapping: Bool) throws(FileReadError) {
        self.path = path
        let fd = openat(folder?.fd ?? AT_FDCWD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: throw .vanished
            case ELOOP: throw .symbolicLink
            default: throw .system(operation: "open", errno: code)
            }
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let code = errno
            close(fd)
            throw .system(operation: "stat", errno: code)
        }
        let type = st.st_mode & S_IFMT
        if type != S_IFREG {
            close(fd)
            throw .notRegularFile(kind: ByteSource.describe(fileType: type))
        }
        self.fd = fd
        self.size = Int(st.st_size)
        self.mode = UInt32(st.st_mode)
        self.modificationTime = Int(st.st_mtim.tv_sec)
        self.map = nil
        let settled = Int(time(nil)) - modificationTime >= ByteSource.settledAge
        if allowMapping && settled && size > 0 {
            if let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED {
                _ = madvise(base, size, MADV_SEQUENTIAL)
                map = UnsafeRawBufferPointer(start: base, count: size)
            }
        }
    }

    deinit {
        if let map { munmap(UnsafeMutableRawPointer(mutating: map.baseAddress), map.count) }
        close(fd)
    }

    /// Whether the bytes come from a memory map.
    public var isMapped: Bool { map != nil }

    /// The whole mapped file, when mapped.
    public var mappedBytes: UnsafeRawBufferPointer? { map }

    /// A new descriptor for the open file (for a library that takes one over: libzip), or -1.
    func duplicateDescriptor() -> Int32 { fcntl(fd, F_DUPFD_CLOEXEC, 0) }

    /// Reads up to `buffer.count` bytes at the current position; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .system(operation: "read", errno: errno)
        }
    }

    /// Reads the rest of the file into `buffer` (replacing its contents), up to `limit` bytes.
    /// Returns false when the file is longer than `limit` (the buffer then holds its first part).
    ///
    /// The bytes go straight into the buffer's storage (reused from call to call), room for the
    /// file's size plus one byte: a read that comes back short once the size is reached is the
    /// end of the file, and a file that grew since it was opened shows and is read on.
    public func readAll(into buffer: inout [UInt8], limit: Int) throws(FileReadError) -> Bool {
        var filled = 0
        var room = min(size, limit) + 1
        while true {
            let want = filled + room
            if buffer.count < want { buffer.append(contentsOf: repeatElement(0, count: want - buffer.count)) }
            var failure: Int32 = 0
            buffer.withUnsafeMutableBytes { storage in
                while filled < want {
                    let n = Glibc.read(fd, storage.baseAddress! + filled, want - filled)
                    if n > 0 {
                        filled += n
                        if size > 0 && filled >= size && filled < want { return } // short, at the size: the end
                    } else if n == 0 || errno != EINTR {
                        failure = n == 0 ? 0 : errno
                        return
                    }
                }
            }
            if failure != 0 { throw .system(operation: "read", errno: failure) }
            if filled < want {
                buffer.removeLast(buffer.count - filled)
                return true
            }
            if filled > limit {
                buffer.removeLast(buffer.count - limit)
                return false
            }
            room = min(max(room, 64 * 1024), limit + 1 - filled) // it grew: read on
        }
    }

    static func describe(fileType: UInt32) -> String {
        switch fileType {
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "unknown type"
        }
    }
}
