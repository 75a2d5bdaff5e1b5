import CSystemShims
import Glibc

/// A program to run for a notice (`--exec`, or `sendmail -t` for `--mail-to`): what it is
/// given, and how often it was tried. Kept in the state until it succeeds.
public struct NoticeDelivery: Equatable, Sendable {
    /// What it is, for the messages: `--exec /usr/local/bin/page` or `--mail-to admin@x`.
    public var label: String
    /// Whose notice: the sender's name and the event.
    public var about: String
    public var program: String
    public var arguments: [String]
    /// `NAME=value` added to the environment.
    public var environment: [String]
    public var input: String
    public var attempts = 0
    public init(label: String, about: String, program: String, arguments: [String], environment: [String], input: String) {
        (self.label, self.about, self.program, self.arguments, self.environment, self.input) = (label, about, program, arguments, environment, input)
    }
}

/// Runs notice deliveries without waiting for them: each has `timeLimit` seconds, then its
/// process group is killed; a failure (it cannot start, exits non-zero, is killed, or runs out
/// of time) is reported and retried after 10 s, 20 s, 40 s... (at most 10 minutes apart) until
/// it succeeds: a notice is never dropped silently.
public final class Notifier {
    public var timeLimit: Int64 = 30
    /// How many deliveries run at once.
    public var parallel = 4
    private struct Waiting { var delivery: NoticeDelivery; var notBefore: Int64 }
    private struct Running { var delivery: NoticeDelivery; let pid: pid_t; let output: Int32; let started: Int64; var killed = false }
    private var waiting: [Waiting] = []
    private var running: [Running] = []

    public init() {}

    /// Deliveries not done yet (for the state: they are retried after a restart).
    public var pending: [NoticeDelivery] { running.map(\.delivery) + waiting.map(\.delivery) }
    public var isIdle: Bool { waiting.isEmpty && running.isEmpty }

    public func add(_ d: NoticeDelivery) { waiting.append(Waiting(delivery: d, notBefore: 0)) }

    /// Reaps finished deliveries, ends those out of time, starts those due; returns what to
    /// report (failures, and successes after a failure).
    public func tick() -> [String] {
        let now = LogFollower.clock()
        var report: [String] = []
        var i = 0
        while i < running.count {
            var r = running[i]
            var status: Int32 = 0
            let done = waitpid(r.pid, &status, WNOHANG)
            if done == r.pid || (done < 0 && errno == ECHILD) {
                let output = Self.lastLine(r.output)
                close(r.output)
                running.remove(at: i)
                let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
                if !r.killed && exit == 0 {
                    if r.delivery.attempts > 1 { report.append("\(r.delivery.label) for \(r.delivery.about): delivered on attempt \(r.delivery.attempts)") }
                } else {
                    let why = r.killed ? "ran longer than \(timeLimit)s: killed" : exit < 0 ? "killed by signal \(-exit)" : "exit status \(exit)"
                    retry(r.delivery, why + (output.isEmpty ? "" : ": \(output)"), now: now, into: &report)
                }
                continue
            }
            if !r.killed && now - r.started >= timeLimit {
                kill(-r.pid, SIGKILL)
                r.killed = true
                running[i] = r
            }
            i += 1
        }
        while running.count < parallel, let k = waiting.firstIndex(where: { $0.notBefore <= now }) {
            var d = waiting.remove(at: k).delivery
            d.attempts += 1
            switch start(d) {
            case .success(let r): running.append(Running(delivery: d, pid: r.pid, output: r.output, started: now))
            case .failure(let why): retry(d, why.text, now: now, into: &report)
            }
        }
        return report
    }

    /// Waits for every running delivery (at most its time limit), then gives up on the rest:
    /// what is left is in `pending` for the state.
    public func drain(upTo seconds: Int64) -> [String] {
        let end = LogFollower.clock() + seconds
        var report: [String] = []
        while !running.isEmpty && LogFollower.clock() < end {
            report += tick()
            var ts = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            nanosleep(&ts, nil)
        }
        for r in running { kill(-r.pid, SIGKILL); var s: Int32 = 0; waitpid(r.pid, &s, 0); close(r.output) }
        waiting = running.map { Waiting(delivery: $0.delivery, notBefore: 0) } + waiting
        running = []
        return report
    }

    private func retry(_ d: NoticeDelivery, _ why: String, now: Int64, into report: inout [String]) {
        let delay = min(600, Int64(10) << Int64(min(d.attempts - 1, 6)))
        report.append("\(d.label) for \(d.about) failed (attempt \(d.attempts)): \(why); retried in \(delay)s")
        waiting.append(Waiting(delivery: d, notBefore: now + delay))
    }

    private func start(_ d: NoticeDelivery) -> Result<(pid: pid_t, output: Int32), SpawnFailure> {
        let input = spoolsweep_memfd("notice"), output = spoolsweep_memfd("output")
        guard input >= 0, output >= 0 else {
            if input >= 0 { close(input) }
            if output >= 0 { close(output) }
            return .failure(SpawnFailure("cannot make a buffer: \(FileSystem.errorText(errno))"))
        }
        defer { close(input) }
        let bytes = Array(d.input.utf8)
        guard bytes.withUnsafeBytes({ FileSystem.writeAll(input, $0) }) == nil, lseek(input, 0, SEEK_SET) == 0 else {
            close(output)
            return .failure(SpawnFailure("cannot write its input"))
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([d.program] + d.arguments).map { strdup($0) } + [nil]
        var names = Set(d.environment.map { String($0.prefix { $0 != "=" }) })
        var env = d.environment
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            let name = String(s.prefix { $0 != "=" })
            if !names.contains(name) { env.append(s); names.insert(name) }
            p += 1
        }
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { for q in argv { free(q) }; for q in envp { free(q) } }
        let pid = spoolsweep_spawn(d.program, &argv, &envp, input, output)
        guard pid > 0 else {
            close(output)
            return .failure(SpawnFailure("cannot run \(d.program): \(FileSystem.errorText(errno))"))
        }
        return .success((pid, output))
    }

    struct SpawnFailure: Error { let text: String; init(_ t: String) { text = t } }

    /// The last line the program printed (at most 200 characters), for a failure's report.
    private static func lastLine(_ fd: Int32) -> String {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return "" }
        let size = Int(min(st.st_size, 4096))
        var bytes = [UInt8](repeating: 0, count: size)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, off_t(st.st_size) - off_t(size)) }
        guard n > 0 else { return "" }
        let lines = bytes[0..<n].split(separator: 0x0A).filter { !$0.isEmpty }
        return String(decoding: lines.last ?? [], as: UTF8.self).terminalSafe.prefix(200).description
    }
}
