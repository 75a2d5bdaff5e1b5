import Glibc
import Testing
@testable import SpoolsweepCore

/// `spoolsweep summary`'s "Exim totals (as eximstats counts them)" and its own figures against
/// Debian's real eximstats (exim4-base 4.96, unpacked into `.peers/exim` by `make peers`, run
/// with `-nvr`: volumes in bytes), on the corpus mainlog and on generated logs of both log
/// selectors (with and without +pid and +millisec). Every grand total and every per-hour cell
/// must be the same, and the top sending addresses by message count (`-byemail`) must be
/// spoolsweep's own envelope-sender counts.
///
/// Known differences, named (and in the README): eximstats' "delivered" counts `=>` lines, one
/// per host a message went to, local ones included, where spoolsweep counts delivered addresses
/// (`local deliveries` + remote `delivered`); its "rejects" include failed outgoing connections
/// (`H=mx [ip] Connection refused`), where spoolsweep counts only refusals of clients; it tells
/// sending hosts apart by name or HELO, spoolsweep by IP. Those are checked to be exactly what
/// the lines give.
@Suite struct EximstatsParityTests {
    static let eximstats = repositoryRoot + "/.peers/exim/usr/sbin/eximstats"

    /// eximstats, or a recorded failure saying how to get it (a missing peer is never a pass).
    static func available() -> Bool {
        if access(eximstats, R_OK) == 0 { return true }
        Issue.record("eximstats is missing from .peers/exim: run `make peers` (it unpacks Debian's exim4-base)")
        return false
    }

    @Test func corpusLogMatchesEximstats() throws {
        guard Self.available() else { return }
        let ours = try compare(repositoryRoot + "/fixtures/exim/log/mainlog")
        // The figures themselves (eximstats.txt in the corpus, in KB there).
        #expect(ours.totals["received"] == 257 && ours.totals["bytes received"] == 1_792_018 && ours.totals["sending hosts"] == 12)
        #expect(ours.totals["delayed"] == 235 && ours.totals["failed"] == 2 && ours.totals["delivered"] == 25)
        #expect(ours.totals["rejects"] == 231 && ours.totals["rejecting hosts"] == 3)
        // 225 of the 231 are the dead smarthost's "Connection refused"; 6 are RCPT refusals.
        #expect(ours.summary.totals.rejected == 6)
    }

    @Test(arguments: [["2", "1"], ["2", "2", "--selector", "default", "--pid", "--no-millisec"], ["3", "3", "--pid"]])
    func generatedLogMatchesEximstats(_ generator: [String]) throws {
        guard Self.available() else { return }
        let dir = try TempFolder("eximstats")
        let path = dir.at("mainlog")
        let made = try #require(shellOutput("python3 '\(repositoryRoot)/bench/generate-exim-log' " + generator.joined(separator: " ") + " --out '\(path)'",
                                            mergingErrors: true))
        #expect(made.isEmpty)
        let ours = try compare(path)
        #expect(ours.totals["received"]! > 2000 && ours.totals["temporary rejects"]! > 0 && ours.totals["failed"]! > 0)
    }

    /// Runs both and compares; returns ours.
    func compare(_ path: String) throws -> (totals: ServerTotals, summary: TrafficSummary) {
        let (summary, _) = try Spoolsweep.summary(InputSelection(paths: [path]), range: nil, top: 100_000)
        let ours = try #require(summary.serverTotals)
        #expect(ours.title == "Exim totals (as eximstats counts them)")
        let byHost = try #require(shellOutput("perl '\(Self.eximstats)' -nvr '\(path)'", mergingErrors: true), "eximstats failed")
        let byEmail = try #require(shellOutput("perl '\(Self.eximstats)' -nvr -byemail '\(path)'", mergingErrors: true), "eximstats -byemail failed")
        let report = EximstatsReport(byHost)
        #expect(report.received == [ours["bytes received"]!, ours["received"]!, ours["sending hosts"]!, ours["delayed"]!, ours["failed"]!],
                "Received: volume, messages, hosts, delayed, failed")
        #expect(report.delivered == [ours["bytes delivered"]!, ours["delivered"]!, ours["delivered addresses"]!, ours["delivery hosts"]!],
                "Delivered: volume, messages, addresses, hosts")
        #expect(report.rejects == [ours["rejects"]!, ours["rejecting hosts"]!].filter { _ in ours["rejects"]! > 0 })
        #expect(report.temporaryRejects == [ours["temporary rejects"]!, ours["temporarily rejecting hosts"]!].filter { _ in ours["temporary rejects"]! > 0 })
        #expect(report.receivedPerHour == ours.hours.map { $0[0] })
        #expect(report.deliveredPerHour == ours.hours.map { $0[1] })
        // spoolsweep's own figures where they mean the same.
        #expect(summary.totals.messages == ours["received"]!)
        #expect(summary.totals.bytes == ours["bytes received"]!)
        // Top sending addresses by message count: eximstats' first 50 rows (ties in its order).
        let top = EximstatsReport.table(byEmail, "Top 50 sending emails by message count")
        #expect(top.count == min(50, Set(summary.topSenders.map(\.name)).count))
        let mine = Dictionary(uniqueKeysWithValues: summary.topSenders.map { ($0.name, $0.count) })
        for (email, count) in top { #expect(mine[email] == count, "\(email)") }
        return (ours, summary)
    }
}

/// The parts of eximstats' text report the test compares.
struct EximstatsReport {
    var received: [Int] = [], delivered: [Int] = [], rejects: [Int] = [], temporaryRejects: [Int] = []
    var receivedPerHour: [Int] = [], deliveredPerHour: [Int] = []

    init(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func numbers(_ line: String) -> [Int] {
            line.split(separator: " ").compactMap { Int($0) }
        }
        for line in lines {
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            if first == "Received", words.count >= 4 { received = numbers(line) }
            if first == "Delivered", words.count >= 4 { delivered = numbers(line) }
            if first == "Rejects" { rejects = numbers(line) }
            if line.hasPrefix("  Temp Rejects") { temporaryRejects = numbers(line) }
        }
        receivedPerHour = Self.hours(lines, after: "Messages received per hour")
        deliveredPerHour = Self.hours(lines, after: "Deliveries per hour")
    }

    /// The 24 rows `HH-HH  count ...` after a heading (all zero when the section is absent).
    static func hours(_ lines: [String], after heading: String) -> [Int] {
        guard let start = lines.firstIndex(where: { $0.hasPrefix(heading) }) else { return Array(repeating: 0, count: 24) }
        return lines[(start + 3)...].prefix(24).map { line in
            Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
    }

    /// The rows `count  bytes  average  key` of a "Top N ..." table: key → count.
    static func table(_ text: String, _ heading: String) -> [(String, Int)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(heading) }) else { return [] }
        var rows: [(String, Int)] = []
        for line in lines[(start + 3)...] {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 4, let count = Int(words[0]) else { break }
            rows.append((words[3], count))
        }
        return rows
    }
}
