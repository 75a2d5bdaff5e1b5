import CSystemShims
import Glibc

/// Why a file operation on a message failed; the text is what the report prints.
public struct MoveError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
    init(_ what: String, errno code: Int32) { description = "\(what): \(FileSystem.errorText(code))" }

    /// A journal without a complete first line: its run was killed before it began.
    static let abandonedJournal = MoveError("abandoned journal")
}

/// A path below a root, checked: relative, no `.`/`..`/empty components. Journal paths are
/// turned into these before anything is done with them, so a tampered journal cannot point
/// outside the spool or the quarantine.
public struct RelativePath: Hashable, Sendable, CustomStringConvertible {
    public let components: [String]

    public init?(_ text: String) {
        guard !text.isEmpty, !text.hasPrefix("/"), !text.utf8.contains(0) else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
        components = parts
    }

    /// `path` relative to `root`, if it lies below it (textually; links are refused later).
    public init?(_ path: String, under root: String) {
        let r = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(r) else { return nil }
        self.init(String(path.dropFirst(r.count)))
    }

    public var description: String { components.joined(separator: "/") }
    public var name: String { components.last! }
    public var folder: [String] { Array(components.dropLast()) }
}

/// An open folder, reached from a root one component at a time with `O_NOFOLLOW`, so that no
/// symbolic link anywhere on the way is followed.
public final class SafeFolder {
    public let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) { self.fd = fd; self.path = path }
    deinit { close(fd) }

    /// Opens `root` itself (it must be a real folder, not a link).
    public static func root(_ path: String) throws(MoveError) -> SafeFolder {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw MoveError(path, errno: errno) }
        return SafeFolder(fd: fd, path: path)
    }

    /// Opens the folder `components` below this one, creating missing ones with `mode` when
    /// `create` is set. A link on the way is an error.
    public func open(_ components: [String], create: Bool, mode: mode_t = 0o700) throws(MoveError) -> SafeFolder {
        var current = SafeFolder(fd: dup(fd), path: path)
        for c in components {
            var fd = openat(current.fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 && errno == ENOENT && create {
                if mkdirat(current.fd, c, mode) != 0 && errno != EEXIST {
                    throw MoveError("\(current.path)/\(c)", errno: errno)
                }
                fd = openat(current.fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard fd >= 0 else {
                let code = errno
                if code == ELOOP || code == ENOTDIR { throw MoveError("\(current.path)/\(c): is a symbolic link or not a folder (not followed)") }
                throw MoveError("\(current.path)/\(c)", errno: code)
            }
            current = SafeFolder(fd: fd, path: "\(current.path)/\(c)")
        }
        return current
    }

    public func sync() { _ = fsync(fd) }

    /// Facts about the regular file `name` in this folder; nil if it does not exist. A link or
    /// any other kind of file is an error.
    public func facts(_ name: String) throws(MoveError) -> stat? {
        var st = stat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw MoveError("\(path)/\(name)", errno: errno)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw MoveError("\(path)/\(name): not a regular file (\(ByteSource.describe(fileType: st.st_mode & S_IFMT)))")
        }
        return st
    }

    public func exists(_ name: String) -> Bool {
        var st = stat()
        return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
    }

    public func remove(_ name: String) throws(MoveError) {
        guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else { throw MoveError("\(path)/\(name)", errno: errno) }
    }
}

/// Size, hash, mode and modification time of one file: what the journal records before a move
/// and what proves the file arrived whole.
public struct FileFacts: Equatable, Sendable {
    public var size: Int
    public var sha256: String
    public var mode: UInt32
    public var mtimeSeconds: Int
    public var mtimeNanoseconds: Int

    /// Reads and hashes `name` in `folder` (never through a link).
    public static func of(_ name: String, in folder: SafeFolder) throws(MoveError) -> FileFacts {
        let fd = openat(folder.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw MoveError("\(folder.path)/\(name)", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MoveError("\(folder.path)/\(name)", errno: errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw MoveError("\(folder.path)/\(name): not a regular file") }
        let sha = try hash(fd: fd, what: "\(folder.path)/\(name)")
        return FileFacts(size: Int(st.st_size), sha256: sha, mode: UInt32(st.st_mode & 0o7777),
                         mtimeSeconds: Int(st.st_mtim.tv_sec), mtimeNanoseconds: Int(st.st_mtim.tv_nsec))
    }

    static func hash(fd: Int32, what: String) throws(MoveError) -> String {
        var sha = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw MoveError(what, errno: errno) }
            if n == 0 { break }
            sha.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return sha.finalizeHex()
    }
}

/// Moves one file between two safe folders without ever replacing an existing file, keeping
/// its bytes, mode and modification time.
///
/// Same file system: `renameat2(RENAME_NOREPLACE)` (or `link` + `unlink` where the file system
/// lacks it). Across file systems: copy to a temporary name beside the target, fsync, verify
/// the hash against `expected`, give it the source's mode and times, rename it into place
/// (no-replace), fsync the folder, and only then unlink the source.
public enum FileMove {
    /// The suffix of a copy in progress; recovery removes such leftovers.
    public static let partialSuffix = ".spoolsweep-partial"

    public static func move(
        _ name: String, from source: SafeFolder, to target: SafeFolder, targetName: String? = nil, expected: FileFacts
    ) throws(MoveError) {
        let destination = targetName ?? name
        guard try renameNoReplace(name, in: source, to: destination, in: target) else {
            return try copyAcross(name, from: source, to: target, destination: destination, expected: expected)
        }
    }

    /// Renames without replacing; false when the two folders are on different file systems.
    static func renameNoReplace(_ name: String, in source: SafeFolder, to destination: String, in target: SafeFolder) throws(MoveError) -> Bool {
        if spoolsweep_rename_noreplace(source.fd, name, target.fd, destination) == 0 { return true }
        var code = errno
        if code == EINVAL || code == ENOSYS {
            // No RENAME_NOREPLACE on this file system: link (which refuses an existing target),
            // then unlink. A crash in between leaves two names for one file: recovery sees both
            // verify and removes the source.
            if linkat(source.fd, name, target.fd, destination, 0) == 0 {
                try source.remove(name)
                return true
            }
            code = errno
        }
        switch code {
        case EXDEV: return false
        case EEXIST: throw MoveError("\(target.path)/\(destination): a file is already there; not overwritten")
        default: throw MoveError("\(source.path)/\(name)", errno: code)
        }
    }

    private static func copyAcross(
        _ name: String, from source: SafeFolder, to target: SafeFolder, destination: String, expected: FileFacts
    ) throws(MoveError) {
        if target.exists(destination) {
            throw MoveError("\(target.path)/\(destination): a file is already there; not overwritten")
        }
        let temp = "." + destination + partialSuffix
        let input = openat(source.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw MoveError("\(source.path)/\(name)", errno: errno) }
        defer { close(input) }
        _ = unlinkat(target.fd, temp, 0) // a leftover of an interrupted copy
        let output = openat(target.fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw MoveError("\(target.path)/\(temp)", errno: errno) }
        var placed = false
        defer {
            close(output)
            if !placed { _ = unlinkat(target.fd, temp, 0) }
        }
        var sha = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var copied = 0
        while true {
            let n = read(input, buffer.baseAddress, buffer.count)
            if n < 0 { if errno == EINTR { continue }; throw MoveError("\(source.path)/\(name)", errno: errno) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = write(output, buffer.baseAddress! + done, n - done)
                if w < 0 { if errno == EINTR { continue }; throw MoveError("writing \(target.path)/\(destination)", errno: errno) }
                done += w
            }
            sha.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            copied += n
        }
        guard copied == expected.size, sha.finalizeHex() == expected.sha256 else {
            throw MoveError("\(source.path)/\(name): changed while being moved (size or SHA-256 differs from the journal); left in place")
        }
        guard fchmod(output, mode_t(expected.mode)) == 0 else { throw MoveError("\(target.path)/\(temp)", errno: errno) }
        var times = [timespec(tv_sec: expected.mtimeSeconds, tv_nsec: expected.mtimeNanoseconds),
                     timespec(tv_sec: expected.mtimeSeconds, tv_nsec: expected.mtimeNanoseconds)]
        guard futimens(output, &times) == 0 else { throw MoveError("\(target.path)/\(temp)", errno: errno) }
        guard fsync(output) == 0 else { throw MoveError("writing \(target.path)/\(destination)", errno: errno) }
        // Verify what the file system now holds, not what was written.
        let reread = openat(target.fd, temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard reread >= 0 else { throw MoveError("\(target.path)/\(temp)", errno: errno) }
        let check = Result { () throws(MoveError) in try FileFacts.hash(fd: reread, what: "\(target.path)/\(temp)") }
        close(reread)
        guard try check.get() == expected.sha256 else {
            throw MoveError("\(target.path)/\(destination): the copy does not verify; source left in place")
        }
        guard try renameNoReplace(temp, in: target, to: destination, in: target) else {
            throw MoveError("\(target.path)/\(destination): rename across file systems")
        }
        placed = true
        target.sync()
        try source.remove(name)
        source.sync()
    }
}
