import ArgumentParser
import Dispatch
import Glibc
import SpoolsweepCore

/// `--color auto|always|never`: ripgrep's choice. `auto` colours a terminal only, and never
/// when `NO_COLOR` is set (to anything) or `TERM` is `dumb`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether output on `fd` is coloured.
    func colors(_ fd: Int32) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = getenv("NO_COLOR"), noColor.pointee != 0 { return false }
            if let term = getenv("TERM"), String(decoding: UnsafeRawBufferPointer(start: term, count: strlen(term)), as: UTF8.self) == "dumb" { return false }
            return isatty(fd) != 0
        }
    }
}

/// The progress line on standard error while the logs are read: shown when standard error is a
/// terminal and the reading has lasted a second, redrawn four times a second, erased before
/// the report is printed. `bytes of total (percent), rate, file n of m, ETA`.
final class ProgressLine: @unchecked Sendable {
    nonisolated(unsafe) static var current: ProgressLine?

    private let stopped = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)

    /// Starts the line when `enabled` and standard error is a terminal.
    static func start(enabled: Bool) {
        guard enabled, isatty(2) != 0, current == nil else { return }
        let line = ProgressLine()
        current = line
        DispatchQueue.global().async { line.run() }
    }

    /// Erases the line (if it was drawn) and stops.
    static func stop() {
        guard let line = current else { return }
        current = nil
        line.stopped.signal()
        line.done.wait()
    }

    private func run() {
        let start = Self.now()
        var drawn = false
        while stopped.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            let elapsed = Self.now() - start
            guard elapsed >= 1.0, let s = ReadProgress.shared.snapshot, s.totalBytes > 0 else { continue }
            Self.write("\r\u{1B}[2K" + Self.text(s, elapsed: elapsed))
            drawn = true
        }
        if drawn { Self.write("\r\u{1B}[2K") }
        done.signal()
    }

    /// `reading logs: 412.0 MiB of 1.2 GiB (34%), 310.2 MiB/s, file 3 of 9, ETA 3s`.
    static func text(_ s: ReadProgress.Snapshot, elapsed: Double) -> String {
        let rate = Double(s.bytes) / max(elapsed, 0.001)
        let percent = s.totalBytes > 0 ? s.bytes * 100 / s.totalBytes : 0
        var out = "reading logs: \(formatBytes(s.bytes)) of \(formatBytes(s.totalBytes)) (\(percent)%), \(formatBytes(Int(rate)))/s, "
            + "file \(min(s.files + 1, s.totalFiles)) of \(s.totalFiles)"
        if rate > 0, s.bytes < s.totalBytes {
            out += ", ETA " + formatAge(seconds: Int64((Double(s.totalBytes - s.bytes) / rate).rounded(.up)))
        }
        return out
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    private static func write(_ text: String) {
        var s = text
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
