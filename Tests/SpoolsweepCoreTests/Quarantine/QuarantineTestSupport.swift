import Glibc
import Testing
@testable import SpoolsweepCore

/// Helpers shared by the quarantine tests (namespaced so they cannot clash with other test files).
enum QTest {
    /// `<repo>/fixtures/smartermail/Spool`, found from this file's path.
    static let fixtureSpool: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)
        return parts.joined(separator: "/") + "/fixtures/smartermail/Spool"
    }()

    /// What a regular file is: content hash, permission bits, modification time.
    struct FileState: Equatable, CustomStringConvertible {
        var sha256: String
        var size: Int
        var mode: UInt32
        var mtimeSeconds: Int
        var mtimeNanoseconds: Int
        var description: String { "\(sha256.prefix(12)) \(size)B mode \(String(mode, radix: 8)) mtime \(mtimeSeconds).\(mtimeNanoseconds)" }
    }

    static func bytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    static func sha(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { SHA256.hex($0) } }
    static func sha(path: String) -> String? { bytes(path).map(sha) }

    static func lstatOf(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func exists(_ path: String) -> Bool { lstatOf(path) != nil }
    static func isLink(_ path: String) -> Bool { lstatOf(path).map { $0.st_mode & S_IFMT == S_IFLNK } ?? false }
    static func mode(_ path: String) -> UInt32? { lstatOf(path).map { UInt32($0.st_mode & 0o7777) } }

    static func state(_ path: String) -> FileState? {
        guard let st = lstatOf(path), st.st_mode & S_IFMT == S_IFREG, let b = bytes(path) else { return nil }
        return FileState(sha256: sha(b), size: b.count, mode: UInt32(st.st_mode & 0o7777),
                         mtimeSeconds: Int(st.st_mtim.tv_sec), mtimeNanoseconds: Int(st.st_mtim.tv_nsec))
    }

    static func names(_ folder: String) -> [String] { (FileSystem.list(folder) ?? []).sorted() }

    /// Every regular file below `root` (relative path → state); links are not followed.
    static func snapshot(_ root: String) -> [String: FileState] {
        var out: [String: FileState] = [:]
        func walk(_ rel: String) {
            let abs = rel.isEmpty ? root : root + "/" + rel
            for n in names(abs) {
                let r = rel.isEmpty ? n : rel + "/" + n
                guard let st = lstatOf(root + "/" + r) else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: walk(r)
                case S_IFREG: out[r] = state(root + "/" + r)
                default: continue
                }
            }
        }
        walk("")
        return out
    }

    /// Every folder below `root` (relative paths), links not followed.
    static func folders(_ root: String) -> [String] {
        var out: [String] = []
        func walk(_ rel: String) {
            for n in names(rel.isEmpty ? root : root + "/" + rel) {
                let r = rel.isEmpty ? n : rel + "/" + n
                if let st = lstatOf(root + "/" + r), st.st_mode & S_IFMT == S_IFDIR { out.append(r); walk(r) }
            }
        }
        walk("")
        return out
    }

    static func copyFile(_ from: String, _ to: String, mode: mode_t = 0o644) throws {
        guard let b = bytes(from) else { throw SetupError("read \(from)") }
        let fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SetupError("open \(to)") }
        defer { close(fd) }
        try TempFolder.writeAll(fd, b)
    }

    static func setTimes(_ path: String, seconds: Int, nanoseconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw SetupError("utimensat \(path)") }
    }

    /// A copy of the sample spool at `<dir>/Spool`. Every file gets a modification time hours
    /// ago with a distinct non-zero nanosecond part, and one of three modes, so that a move
    /// that loses either is caught.
    static func spoolCopy(_ tag: String) throws -> (dir: TempFolder, spool: String) {
        let dir = try TempFolder(tag)
        let spool = try dir.folder("Spool")
        let now = Int(time(nil))
        var i = 0
        let modes: [mode_t] = [0o644, 0o640, 0o600]
        for sub in names(fixtureSpool) {
            try dir.folder("Spool/" + sub)
            for n in names(fixtureSpool + "/" + sub) {
                let to = "\(spool)/\(sub)/\(n)"
                try copyFile("\(fixtureSpool)/\(sub)/\(n)", to)
                guard chmod(to, modes[i % 3]) == 0 else { throw SetupError("chmod \(to)") }
                try setTimes(to, seconds: now - 3 * 3600 - i * 7, nanoseconds: 1 + (i * 7_654_321) % 999_999_998)
                i += 1
            }
        }
        return (dir, spool)
    }

    static func options(all: Bool = true, filter: SpoolFilter = SpoolFilter(), quarantineRoot: String? = nil, minAge: Int = 0) -> CleanupOptions {
        var o = CleanupOptions(filter: filter, now: LocalTime.now())
        o.all = all
        o.quarantineRoot = quarantineRoot
        o.minAge = minAge
        return o
    }

    /// The files of the sample spool grouped by message: "SubSpool1/123" → ["SubSpool1/123.eml", ...].
    static func messages(_ files: some Sequence<String>) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for f in files {
            let key = f.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
            out[key, default: []].append(f)
        }
        return out.mapValues { $0.sorted() }
    }

    /// The ids the sample spool leaves alone: state Writing (one of them with an `.em_`).
    static let writingIDs: Set<String> = ["509978090040", "80661811", "94733036"]
    /// The spool files of those messages.
    static let writingFiles: Set<String> = [
        "SubSpool2/509978090040.hdr", "SubSpool2/509978090040.eml",
        "SubSpool3/80661811.hdr", "SubSpool3/80661811.eml",
        "SubSpool3/94733036.hdr", "SubSpool3/94733036.em_",
    ]

    /// The full text of a file.
    static func text(_ path: String) -> String? { bytes(path).map { String(decoding: $0, as: UTF8.self) } }

    static func writeText(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SetupError("open \(path)") }
        defer { close(fd) }
        try TempFolder.writeAll(fd, Array(text.utf8))
    }

    /// The only journal in `<qroot>/journal`.
    static func journalPaths(_ qroot: String) -> [String] {
        names(qroot + "/journal").filter { $0.hasSuffix(".journal") }.map { qroot + "/journal/" + $0 }
    }
}

extension SpoolsweepError {
    var quarantineText: String? { if case .quarantine(let t) = self { return t }; return nil }
    var badValueText: String? { if case .badValue(let t) = self { return t }; return nil }
    var lockedText: String? { if case .locked(let t) = self { return t }; return nil }
}
