import Glibc
import Testing
@testable import SpoolsweepCore

/// An I/O step of a test's setup failed (not a finding about spoolsweep).
struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what) failed: \(String(cString: strerror(errno)))" }
}

/// A fresh folder under /tmp (mkdtemp), removed with everything in it when released.
/// Removal never follows a symbolic link.
final class TempFolder {
    let path: String

    init(_ tag: String) throws {
        var template = Array("/tmp/spoolsweep-\(tag)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SetupError("mkdtemp") }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { TempFolder.removeTree(path) }

    func at(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` (relative to the folder), creating or truncating it.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = at(name)
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SetupError("open \(p)") }
        defer { close(fd) }
        try TempFolder.writeAll(fd, bytes)
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    @discardableResult
    func folder(_ name: String) throws -> String {
        let p = at(name)
        guard mkdir(p, 0o755) == 0 else { throw SetupError("mkdir \(p)") }
        return p
    }

    @discardableResult
    func fifo(_ name: String) throws -> String {
        let p = at(name)
        guard mkfifo(p, 0o644) == 0 else { throw SetupError("mkfifo \(p)") }
        return p
    }

    @discardableResult
    func link(_ name: String, to target: String) throws -> String {
        let p = at(name)
        guard symlink(target, p) == 0 else { throw SetupError("symlink \(p)") }
        return p
    }

    /// Sets the modification (and access) time of `path` `seconds` into the past.
    static func age(_ path: String, seconds: Int) throws {
        let t = time(nil) - seconds
        var times = [timeval(tv_sec: t, tv_usec: 0), timeval(tv_sec: t, tv_usec: 0)]
        guard utimes(path, &times) == 0 else { throw SetupError("utimes \(path)") }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw SetupError("write") }
                offset += n
            }
        }
    }

    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for n in names { removeTree(path + "/" + n) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

extension String {
    /// The text with every LF turned into CRLF (files copied off Windows).
    var crlf: String { split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n") }
}

/// The reasons warned about for the file named `name` (last path component).
func reasons(_ diagnostics: Diagnostics, for name: String) -> [String] {
    diagnostics.warnings.filter { FileSystem.baseName($0.path) == name }.map(\.reason)
}
