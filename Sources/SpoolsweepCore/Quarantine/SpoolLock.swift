import Glibc

/// Holds an exclusive lock on a spool folder for as long as it lives, so that two spoolsweep
/// runs never change the same spool at once (whatever quarantine folder each uses).
///
/// The lock is `flock` on the spool folder itself: the kernel drops it when the process dies,
/// even by SIGKILL, so a crashed run never leaves a stale lock behind. The holder of a lock is
/// named from `/proc/locks`.
public final class SpoolLock {
    private let fd: Int32

    /// Takes the lock, or fails at once naming the process that holds it.
    public init(spoolRoot: String) throws(SpoolsweepError) {
        // The descriptor is kept only once locked: a thrown init of a whole object runs its
        // deinit, so closing it here as well would close a number another thread may reuse.
        let fd = open(spoolRoot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .badValue("\(spoolRoot): cannot open the spool folder: \(FileSystem.errorText(errno))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = SpoolLock.holder(of: fd)
            close(fd)
            throw .locked("another spoolsweep run is changing \(spoolRoot)\(holder.map { ": \($0)" } ?? ""); wait for it to finish")
        }
        self.fd = fd
    }

    deinit { close(fd) } // releases the lock

    /// "pid 1234 (spoolsweep spool quarantine --all Spool)", from /proc/locks and /proc/PID/cmdline.
    static func holder(of fd: Int32) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var locks: [UInt8] = []
        guard (try? ByteSource(path: "/proc/locks", allowMapping: false).readAll(into: &locks, limit: 1 << 22)) != nil else { return nil }
        let wanted = ":\(String(st.st_ino))"
        for line in String(decoding: locks, as: UTF8.self).split(separator: "\n") where line.contains("FLOCK") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[5].hasSuffix(wanted), let pid = Int32(fields[4]), pid != getpid() else { continue }
            var cmdline: [UInt8] = []
            _ = try? ByteSource(path: "/proc/\(pid)/cmdline", allowMapping: false).readAll(into: &cmdline, limit: 4096)
            let command = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                .enumerated().map { $0.offset == 0 ? FileSystem.baseName($0.element) : $0.element }.joined(separator: " ")
            return command.isEmpty ? "pid \(pid)" : "pid \(pid) (\(command))"
        }
        return nil
    }
}
