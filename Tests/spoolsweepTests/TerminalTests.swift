import Foundation
import Testing

/// Terminal manners, under a real pseudo-terminal (fixtures/tools/pty_run.py): the progress line
/// on standard error, colour on standard output and in the warnings, and neither when piped,
/// with `--quiet`, `--color never` or `NO_COLOR`.
@Suite(.serialized) struct TerminalTests {
    struct Run: Decodable, Equatable {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// `spoolsweep args` with the chosen streams on a terminal, in the sample copy's folder.
    static func run(_ args: [String], stdoutTTY: Bool = false, stderrTTY: Bool = false, env: [String: String] = [:]) throws -> Run {
        var options: [String] = []
        if stdoutTTY { options.append("--stdout-tty") }
        if stderrTTY { options.append("--stderr-tty") }
        // Clear what the test runner's own terminal may have set.
        for (k, v) in ["NO_COLOR": "", "TERM": "xterm"].merging(env, uniquingKeysWith: { $1 }) { options += ["--env", "\(k)=\(v)"] }
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/python3"),
                            [CLI.root.appendingPathComponent("fixtures/tools/pty_run.py").path] + options + ["--", CLI.binary.path] + args,
                            in: CLI.sampleCopy)
        try #require(r.status == 0, "pty_run: \(r.stderr)")
        return try JSONDecoder().decode(Run.self, from: Data(r.stdout.utf8))
    }

    /// A Postfix log of about 150 MB (the corpus log, 320 times): more than a second to read.
    static let bigLog: URL = {
        let url = try! CLI.freshFolder("big-log").appendingPathComponent("mail.log")
        let chunk = try! Data(contentsOf: CLI.root.appendingPathComponent("fixtures/postfix/maillog"))
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try! FileHandle(forWritingTo: url)
        for _ in 0..<320 { handle.write(chunk) }
        try! handle.close()
        return url
    }()

    @Test func progressIsShownOnATerminalAndErasedBeforeTheReport() throws {
        let args = ["summary", "--threads", "1", Self.bigLog.path]
        let size = formatBytesLikeSpoolsweep(Int((try FileManager.default.attributesOfItem(atPath: Self.bigLog.path)[.size] as! NSNumber).intValue))
        let tty = try Self.run(args, stderrTTY: true)
        let piped = try Self.run(args)
        #expect(tty.status == 0 && piped.status == 0)
        #expect(tty.stdout == piped.stdout, "the report does not change")
        #expect(piped.stderr == "", "no progress when standard error is piped")
        let updates = tty.stderr.components(separatedBy: "\r\u{1B}[2K").filter { !$0.isEmpty }
        try #require(!updates.isEmpty, "a progress line after a second: \(tty.stderr.debugDescription)")
        #expect(tty.stderr.hasSuffix("\r\u{1B}[2K"), "the line is erased at the end")
        for u in updates {
            #expect(u.hasPrefix("reading logs: ") && u.contains(" of \(size) (") && u.contains("/s, file 1 of 1"), "\(u)")
        }
        #expect(updates.contains { $0.contains(", ETA ") })
        let quiet = try Self.run(args + ["--quiet"], stderrTTY: true)
        #expect(quiet.stderr == "", "--quiet: no progress line")
        #expect(quiet.stdout == piped.stdout)
    }

    /// A run shorter than a second draws nothing.
    @Test func aShortRunDrawsNoProgress() throws {
        let r = try Self.run(["summary", "smartermail/Logs"], stderrTTY: true)
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    @Test func colourOnATerminalOnly() throws {
        let args = ["suspects"] + GoldenTests.now + ["smartermail"]
        let plain = try CLI.run(args)
        let tty = try Self.run(args, stdoutTTY: true, stderrTTY: true)
        // Crossing reasons bold red, context reasons plain, titles bold; the warnings' words coloured.
        #expect(tty.stdout.hasPrefix("\u{1B}[1mSuspects (smartermail): all logs read"))
        #expect(tty.stdout.contains("\n\u{1B}[1;31m   ! 59 messages in 10m from 2026-11-28 02:40:07 (threshold 50)\u{1B}[0m\n"))
        #expect(tty.stdout.contains("\n   - logged in from 2 IPs: 10.0.0.21, 203.0.113.77\n"))
        #expect(tty.stdout.contains("\n\u{1B}[1mNext steps\u{1B}[0m\n"))
        #expect(Self.strip(tty.stdout) == plain.stdout, "the same report, coloured")
        #expect(tty.stderr == GoldenTests.orphanWarnings.replacingOccurrences(of: "spoolsweep: finding:", with: "spoolsweep: \u{1B}[36mfinding\u{1B}[0m:"))

        for (extra, env, stdoutTTY) in [(["--color", "never"], [:], true), ([], ["NO_COLOR": "1"], true),
                                        ([], ["TERM": "dumb"], true), ([], [:], false)] as [([String], [String: String], Bool)] {
            let r = try Self.run(args + extra, stdoutTTY: stdoutTTY, stderrTTY: stdoutTTY, env: env)
            #expect(r.stdout == plain.stdout, "\(extra) \(env) tty: \(stdoutTTY)")
            #expect(r.stderr == GoldenTests.orphanWarnings)
        }
        let always = try Self.run(args + ["--color", "always"])
        #expect(always.stdout == tty.stdout, "--color always colours a pipe")
        let json = try Self.run(["suspects", "--format", "json", "--color", "always"] + GoldenTests.now + ["smartermail"], stdoutTTY: true)
        #expect(!json.stdout.contains("\u{1B}"), "JSON is never coloured")
        let summary = try Self.run(["summary", "smartermail/Logs"], stdoutTTY: true)
        #expect(summary.stdout.contains("\n\u{1B}[1m  messages accepted                      629\u{1B}[0m\n"), "the totals")
    }

    /// `s` without ANSI colour sequences.
    static func strip(_ s: String) -> String {
        var out = "", chars = Array(s.unicodeScalars), i = 0
        while i < chars.count {
            if chars[i] == "\u{1B}", i + 1 < chars.count, chars[i + 1] == "[" {
                i += 2
                while i < chars.count, chars[i] != "m" { i += 1 }
                i += 1
                continue
            }
            out.unicodeScalars.append(chars[i])
            i += 1
        }
        return out
    }
}

/// Sizes as spoolsweep prints them (powers of 1024, one decimal).
func formatBytesLikeSpoolsweep(_ n: Int) -> String {
    if n < 1024 { return "\(n) B" }
    var v = Double(n) / 1024, u = 0
    let units = ["KiB", "MiB", "GiB", "TiB"]
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[u])"
}
