import Foundation
import Testing

/// A running process whose standard output and error are read as they come, each standard
/// output line with the time it arrived.
final class LiveProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var outLines: [(at: Double, text: String)] = []
    private var errText = ""
    private var readers: [Thread] = []

    init(_ program: URL, _ args: [String], in folder: URL, environment: [String: String] = [:]) throws {
        process.executableURL = program
        process.arguments = args
        process.currentDirectoryURL = folder
        process.environment = ["TZ": "UTC", "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outFD = out.fileHandleForReading.fileDescriptor, errFD = err.fileHandleForReading.fileDescriptor
        let o = Thread { [self] in
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                let now = Date().timeIntervalSince1970
                pending += chunk[0..<n]
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<nl], as: UTF8.self)
                    pending.removeSubrange(...nl)
                    lock.withLock { outLines.append((now, line)) }
                }
            }
        }
        let e = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(errFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                let text = String(decoding: chunk[0..<n], as: UTF8.self)
                lock.withLock { errText += text }
            }
        }
        readers = [o, e]
        o.start()
        e.start()
    }

    /// `spoolsweep ARGS` with TZ=UTC.
    static func spoolsweep(_ args: [String], in folder: URL, environment: [String: String] = [:]) throws -> LiveProcess {
        try LiveProcess(CLI.binary, args, in: folder, environment: environment)
    }

    /// The live log writer (fixtures/tools/live_log_writer.py).
    static func writer(_ args: [String], in folder: URL) throws -> LiveProcess {
        try LiveProcess(URL(fileURLWithPath: "/usr/bin/python3"), [CLI.root.appendingPathComponent("fixtures/tools/live_log_writer.py").path] + args, in: folder)
    }

    var lines: [(at: Double, text: String)] { lock.withLock { outLines } }
    var stderr: String { lock.withLock { errText } }

    /// The JSON objects printed so far.
    var objects: [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.text.utf8)) as? [String: Any] }
    }

    /// Waits until a standard output line satisfies `test` (at most `timeout` seconds).
    @discardableResult
    func wait(for test: (String) -> Bool, timeout: Double = 30) -> (at: Double, text: String)? {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if let l = lines.first(where: { test($0.text) }) { return l }
            usleep(20_000)
        }
        return nil
    }

    /// Waits until standard error holds `text`.
    @discardableResult
    func wait(stderr text: String, timeout: Double = 30) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if stderr.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the end of the process (and of its output).
    func finish(timeout: Double = 30) -> Int32? {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { usleep(20_000) }
        guard !process.isRunning else { return nil }
        while readers.contains(where: { !$0.isFinished }) { usleep(5_000) }
        return process.terminationStatus
    }

    func terminate() -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        return finish()
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        _ = finish()
    }
}

/// `spoolsweep watch` on logs a real process writes as the test runs: detection latency,
/// rotation and restarts, `--hold`, `--exec` and `--mail-to`.
@Suite(.serialized) struct WatchCLITests {
    /// The figures of each sender, as `suspects --format json` and watch's `stopped` line give them.
    static func figures(_ suspects: [[String: Any]]) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for s in suspects {
            out[s["name"] as! String] = ["messages", "recipients", "recipient_domains", "peak_in_window"].map { s[$0] as! Int }
        }
        return out
    }

    /// `suspects --date today --format json` over `paths`, with `options`: every sender's figures.
    static func suspects(_ paths: [String], _ options: [String], in folder: URL) throws -> [String: [Int]] {
        let r = try CLI.run(["suspects", "--date", "today", "--top", "0", "--format", "json"] + options + paths, in: folder)
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return figures(try #require(j["suspects"] as? [[String: Any]]))
    }

    static func alerts(_ runs: [LiveProcess]) -> [String] {
        runs.flatMap(\.objects).filter { $0["event"] as? String == "alert" }.map { $0["name"] as! String }
    }

    static func stopped(_ run: LiveProcess) throws -> [String: [Int]] {
        let s = try #require(run.objects.last { $0["event"] as? String == "stopped" }, "no stopped line: \(run.stderr)")
        return figures(try #require(s["suspects"] as? [[String: Any]]))
    }

    // MARK: - Latency

    struct LatencyCase: Sendable, CustomStringConvertible {
        let format: String, normal: Int
        var description: String { format }
    }

    /// 2,000 lines a second of ordinary traffic, then a spam wave: one alert, for the spammer,
    /// within 2 s of the line that makes its 50th message known; none for the 200 others.
    @Test(arguments: [LatencyCase(format: "postfix", normal: 2000), LatencyCase(format: "exim", normal: 2000),
                      LatencyCase(format: "smartermail", normal: 800)])
    func alertsWithinTwoSecondsOfTheCrossingLine(_ c: LatencyCase) throws {
        let folder = try CLI.freshFolder("watch-latency-\(c.format)")
        let log: String
        switch c.format {
        case "smartermail":
            log = folder.appendingPathComponent("Logs").path
            try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
            // SmarterMail's day file appears with its first line: a line of the day before starts the folder.
            try "".write(toFile: log + "/2026.01.01-smtpLog.log", atomically: true, encoding: .utf8)
        case "postfix": log = folder.appendingPathComponent("mail.log").path
        default: log = folder.appendingPathComponent("mainlog").path
        }
        if c.format != "smartermail" { try "".write(toFile: log, atomically: true, encoding: .utf8) }
        let watch = try LiveProcess.spoolsweep(["watch", "--format", "json", "--server", c.format, log], in: folder)
        #expect(watch.wait(stderr: "now following"), "\(watch.stderr)")
        let writer = try LiveProcess.writer(["--format", c.format, "--log", log, "--rate", "2000", "--normal", "\(c.normal)",
                                             "--senders", "200", "--spammer", "spam@northwind.test", "--spam", "100"], in: folder)
        #expect(writer.finish(timeout: 120) == 0, "\(writer.stderr)")
        let crossing = try #require(writer.lines.first { $0.text.hasPrefix("crossing ") })
        let writtenAt = try #require(Double(crossing.text.dropFirst(9)))
        let alert = try #require(watch.wait(for: { $0.contains("\"event\":\"alert\"") }, timeout: 5), "no alert: \(watch.stderr)")
        #expect(watch.terminate() == 0)
        let latency = alert.at - writtenAt
        print("watch \(c.format): alert \(String(format: "%.3f", latency)) s after the crossing line was written")
        #expect(latency < 2.0)
        #expect(Self.alerts([watch]) == ["spam@northwind.test"])
        let first = try #require(watch.objects.first { $0["event"] as? String == "alert" })
        let reasons = try #require(first["reasons"] as? [[String: Any]])
        #expect(reasons.filter { $0["crosses"] as? Bool == true }.map { $0["code"] as! String } == ["rate"])
        // The figures at the end are those of suspects over the same file.
        #expect(try Self.stopped(watch) == Self.suspects([log], ["--server", c.format], in: folder))
    }

    // MARK: - Rotation and restarts

    struct RotationCase: Sendable, CustomStringConvertible {
        let name: String
        let events: [String]
        /// The writer's event after which the watch is started again (nil: at once after the kill).
        let restartAfter: String?
        var description: String { name }
    }

    /// Every line counted exactly once through a rotation by rename, copy-truncate, or a
    /// rotation while the watch was killed (kill -9, then a restart from its state): the
    /// figures of every sender at the end equal `suspects` over the rotated and the new file,
    /// and each sender was alerted about once over both runs (every sender crosses
    /// `--min-domains 1`).
    @Test(arguments: [
        RotationCase(name: "rename, then kill -9", events: ["rename@400", "pause@800"], restartAfter: nil),
        RotationCase(name: "copytruncate, then kill -9", events: ["copytruncate@400", "pause@800"], restartAfter: nil),
        RotationCase(name: "kill -9, rename while stopped", events: ["pause@800", "rename@800"], restartAfter: "event rename"),
    ])
    func everyLineCountedOnce(_ c: RotationCase) throws {
        let folder = try CLI.freshFolder("watch-rotation")
        let log = folder.appendingPathComponent("mail.log").path
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("state.json").path
        let args = ["watch", "--format", "json", "--min-domains", "1", "--state", state, log]
        let first = try LiveProcess.spoolsweep(args, in: folder)
        #expect(first.wait(stderr: "now following"))
        let writer = try LiveProcess.writer(["--format", "postfix", "--log", log, "--normal", "1500", "--spammer", "spam@northwind.test",
                                             "--spam", "100"] + c.events.flatMap { ["--event", $0] }, in: folder)
        #expect(writer.wait(for: { $0.hasPrefix("event pause") }) != nil)
        first.kill9()
        if let after = c.restartAfter { #expect(writer.wait(for: { $0.hasPrefix(after) }) != nil) }
        let second = try LiveProcess.spoolsweep(args, in: folder)
        #expect(writer.finish(timeout: 120) == 0, "\(writer.stderr)")
        #expect(second.wait(stderr: "now following"))
        usleep(1_000_000)
        #expect(second.terminate() == 0)
        let expected = try Self.suspects([log + ".1", log], ["--min-domains", "1"], in: folder)
        #expect(expected.count == 101)
        #expect(try Self.stopped(second) == expected, "\(first.stderr)\n\(second.stderr)")
        let alerts = Self.alerts([first, second])
        #expect(alerts.count == 101 && Set(alerts).count == 101, "\(alerts.count) alerts")
    }

    /// SmarterMail changes file at midnight: the lines go on in a new day's file the watch was
    /// not following yet, and a kill -9 and restart later every line of today counts once.
    @Test func smarterMailNewDayFileAndRestart() throws {
        let folder = try CLI.freshFolder("watch-midnight")
        let logs = folder.appendingPathComponent("Logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let state = folder.appendingPathComponent("state.json").path
        let writer = try LiveProcess.writer(["--format", "smartermail", "--log", logs.path, "--normal", "900", "--spammer", "spam@northwind.test",
                                             "--spam", "60", "--event", "midnight@200", "--event", "pause@600"], in: folder)
        // The day before's file is there before the watch starts; today's appears later.
        while !((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).contains(where: { $0.hasSuffix("-smtpLog.log") }) { usleep(10_000) }
        let args = ["watch", "--format", "json", "--min-domains", "1", "--state", state, logs.path]
        let first = try LiveProcess.spoolsweep(args, in: folder)
        #expect(writer.wait(for: { $0.hasPrefix("event pause") }, timeout: 60) != nil)
        first.kill9()
        #expect(first.stderr.contains("-smtpLog.log: opened"), "\(first.stderr)") // today's file, found as it appeared
        let second = try LiveProcess.spoolsweep(args, in: folder)
        #expect(writer.finish(timeout: 120) == 0, "\(writer.stderr)")
        #expect(second.wait(stderr: "now following"))
        usleep(1_000_000)
        #expect(second.terminate() == 0)
        let expected = try Self.suspects([logs.path], ["--min-domains", "1"], in: folder)
        #expect(try Self.stopped(second) == expected, "\(second.stderr)")
        #expect(expected["spam@northwind.test"]?[0] == 60)
        let alerts = Self.alerts([first, second])
        #expect(alerts.count == expected.count && Set(alerts).count == expected.count)
    }

    // MARK: - Notices

    /// `--exec` that fails, then one that hangs: each bounded and reported, and the watch goes
    /// on (its later alerts printed, a clean stop); the failed notice is kept in the state.
    @Test func execFailsOrHangsAndTheWatchGoesOn() throws {
        let folder = try CLI.freshFolder("watch-exec")
        let log = folder.appendingPathComponent("mail.log").path
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let record = folder.appendingPathComponent("record").path
        let fail = folder.appendingPathComponent("fail.sh").path
        try "#!/bin/sh\ncat > \(record).json\nenv | grep ^SPOOLSWEEP_ | sort > \(record).env\necho 'pager gateway down'\nexit 3\n"
            .write(toFile: fail, atomically: true, encoding: .utf8)
        let hang = folder.appendingPathComponent("hang.sh").path
        try "#!/bin/sh\ncat > /dev/null\nsleep 60\n".write(toFile: hang, atomically: true, encoding: .utf8)
        for f in [fail, hang] { chmod(f, 0o755) }

        let state = folder.appendingPathComponent("state.json").path
        let failing = try LiveProcess.spoolsweep(["watch", "--format", "json", "--exec", fail, "--state", state, log], in: folder)
        #expect(failing.wait(stderr: "now following"))
        var writer = try LiveProcess.writer(["--format", "postfix", "--log", log, "--normal", "300", "--spammer", "spam@northwind.test", "--spam", "60"], in: folder)
        #expect(writer.finish(timeout: 60) == 0)
        #expect(failing.wait(stderr: "--exec \(fail) for alert spam@northwind.test failed (attempt 1): exit status 3: pager gateway down; retried in 10s"), "\(failing.stderr)")
        #expect(failing.terminate() == 0)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record + ".json"))) as? [String: Any])
        #expect(sent["event"] as? String == "alert" && sent["name"] as? String == "spam@northwind.test")
        let env = try String(contentsOfFile: record + ".env", encoding: .utf8)
        #expect(env.contains("SPOOLSWEEP_SENDER=spam@northwind.test\n") && env.contains("SPOOLSWEEP_REASONS=rate\n") && env.contains("SPOOLSWEEP_EVENT=alert\n"))
        let saved = try String(contentsOfFile: state, encoding: .utf8)
        #expect(saved.contains("\"label\": \"--exec \(fail)\""), "the undelivered notice is kept for the next run")

        // A command that hangs: killed at --exec-timeout, the watch still alerts and stops cleanly.
        try FileManager.default.removeItem(atPath: state)
        let hanging = try LiveProcess.spoolsweep(["watch", "--format", "json", "--exec", hang, "--exec-timeout", "1s", "--state", state, log], in: folder)
        #expect(hanging.wait(stderr: "now following"))
        #expect(hanging.wait(stderr: "--exec \(hang) for alert spam@northwind.test failed (attempt 1): ran longer than 1s: killed; retried in 10s", timeout: 10), "\(hanging.stderr)")
        writer = try LiveProcess.writer(["--format", "postfix", "--log", log, "--normal", "100", "--spammer", "other@contoso.test", "--spam", "60"], in: folder)
        #expect(writer.finish(timeout: 60) == 0)
        #expect(hanging.wait(for: { $0.contains("\"name\":\"other@contoso.test\"") }, timeout: 5) != nil, "\(hanging.stderr)")
        let began = Date()
        #expect(hanging.terminate() == 0)
        #expect(Date().timeIntervalSince(began) < 5)
        #expect(Self.alerts([hanging]) == ["spam@northwind.test", "other@contoso.test"])
    }

    /// `--mail-to` through a sendmail that records what it is given: one message per alert,
    /// addressed, with the headline as its subject and the alert in its body.
    @Test func mailsTheAlertThroughSendmail() throws {
        let folder = try CLI.freshFolder("watch-mail")
        let log = folder.appendingPathComponent("mail.log").path
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let sendmail = folder.appendingPathComponent("sendmail").path
        let recorded = folder.appendingPathComponent("sent.eml").path
        try "#!/bin/sh\necho \"$@\" > \(recorded).args\ncat > \(recorded)\n".write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
        let watch = try LiveProcess.spoolsweep(["watch", "--mail-to", "postmaster@example.test", "--sendmail", sendmail, log], in: folder)
        #expect(watch.wait(stderr: "now following"))
        let writer = try LiveProcess.writer(["--format", "postfix", "--log", log, "--normal", "200", "--spammer", "spam@northwind.test", "--spam", "60"], in: folder)
        #expect(writer.finish(timeout: 60) == 0)
        #expect(watch.wait(for: { $0.contains("ALERT spam@northwind.test") }, timeout: 5) != nil)
        let end = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: recorded) && Date() < end { usleep(20_000) }
        usleep(200_000)
        #expect(watch.terminate() == 0)
        #expect(try String(contentsOfFile: recorded + ".args", encoding: .utf8) == "-t -i\n")
        let mail = try String(contentsOfFile: recorded, encoding: .utf8)
        let head = mail.components(separatedBy: "\n\n")[0].split(separator: "\n").map(String.init)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        #expect(head == ["To: postmaster@example.test",
                         "Subject: [spoolsweep] ALERT on \(String(cString: host)): spam@northwind.test (score 40, over rate)",
                         "Auto-Submitted: auto-generated", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                         "Content-Transfer-Encoding: 8bit"])
        #expect(mail.contains(" ALERT spam@northwind.test (authenticated mailbox): score 40, over rate\n   ! "))
        #expect(mail.contains(" messages in 10m from "))
        #expect(mail.contains("   next: spoolsweep spool list --auth '^spam@northwind\\.test$' \(log)\n"))
    }

    /// The example unit's command line is one `watch` takes: with its paths replaced by a
    /// missing one, it fails for the path (66), not for an option (64).
    @Test func theSystemdUnitsCommandLineParses() throws {
        let unit = try String(contentsOf: CLI.root.appendingPathComponent("examples/systemd/spoolsweep-watch.service"), encoding: .utf8)
        let exec = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        var words = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/bin/spoolsweep" && words[1] == "watch")
        words = Array(words.dropFirst().prefix { !$0.hasPrefix("/var/log") && !$0.hasPrefix("/var/spool") })
        let r = try CLI.run(words + ["/nonexistent/mail.log"])
        #expect(r.status == 66 && r.stderr == "error: /nonexistent/mail.log: no such file or folder\n", "\(r.stderr)")
    }

    /// What watch cannot do is refused before anything is followed, saying why (status 64).
    @Test func refusesWhatItCannotFollow() throws {
        let csv = try CLI.run(["watch", "--format", "csv", "smartermail"])
        #expect(csv.status == 64 && csv.stderr == "error: --format csv: watch prints text or json\n")
        let now = try CLI.run(["watch", "--now", "2026-11-28T18:00:00", "smartermail"])
        #expect(now.status == 64 && now.stderr == "error: --now: watch follows the logs as they are written, on this machine's clock\n")
        let exec = try CLI.run(["watch", "--exec", "page-oncall", "smartermail"])
        #expect(exec.status == 64 && exec.stderr == "error: --exec page-oncall: give the program's path (no shell looks it up)\n")
        let folder = try CLI.freshFolder("watch-events")
        let events = try CLI.run(["events", "-o", folder.appendingPathComponent("all.ndjson").path, "smartermail"])
        #expect(events.status == 0, "\(events.stderr)")
        let r = try CLI.run(["watch", folder.appendingPathComponent("all.ndjson").path])
        #expect(r.status == 64)
        #expect(r.stderr == "error: watch follows a server's current logs (SmarterMail's Logs folder, Postfix's mail.log, Exim's mainlog); none found in \(folder.appendingPathComponent("all.ndjson").path): event files are read by summary and suspects\n")
    }
}
