import Foundation
import Testing

/// The period a report covers, as its header says it: a period the logs do not reach says which
/// days they do cover; an open `--since` or `--until` reads as such; and the header never says
/// "all logs read" when one could not be.
struct PeriodCLITests {
    @Test func aDateOutsideTheLogsNamesTheDaysTheyCover() throws {
        let r = try CLI.run(["summary", "--date", "2020-01-01", "smartermail"])
        #expect(r.stdout.hasPrefix("Traffic summary (smartermail): 2020-01-01 (no log line in it: the logs cover 2026-11-27 to 2026-11-28)\n\nTotals\n  messages accepted                   0\n"))
        #expect(r.stderr == "spoolsweep: finding: period: no log line in the period asked for (2020-01-01): the logs cover 2026-11-27 to 2026-11-28\n")
        #expect(r.status == 0)

        // Postfix names no day in its file names: the lines' own times tell.
        let p = try CLI.run(["summary", "--date", "2020-01-01", "--format", "json", "postfix/maillog"], in: PostfixCLITests.copy)
        #expect(p.stdout.contains("""
                "findings": [
                  {
                    "path": "period",
                    "finding": "no log line in the period asked for (2020-01-01): the logs cover 2026-11-29"
                  }
                ]
            """))
        #expect(p.status == 0)
    }

    @Test func openPeriodsReadAsSuch() throws {
        let since = try CLI.run(["suspects", "--since", "2030-01-01"] + GoldenTests.now + ["smartermail"])
        #expect(since.stdout.hasPrefix("Suspects (smartermail): since 2030-01-01 (no log line in it: the logs cover 2026-11-27 to 2026-11-28)\n"))
        let until = try CLI.run(["summary", "--until", "2026-11-27", "smartermail"])
        #expect(until.stdout.hasPrefix("Traffic summary (smartermail): through 2026-11-27\n"))
        let before = try CLI.run(["summary", "--until", "2026-11-28T10:00", "smartermail"])
        #expect(before.stdout.hasPrefix("Traffic summary (smartermail): before 2026-11-28 10:00:00\n"))
        let json = try CLI.run(["summary", "--since", "2026-11-28T10:00", "--format", "json", "smartermail"])
        #expect(json.stdout.contains("""
              "period": {
                "from": "2026-11-28 10:00:00",
                "until": null,
            """))
    }

    @Test func aLogNotReadIsNeverAllLogsRead() throws {
        let folder = try CLI.freshFolder("period-unread")
        try FileManager.default.copyItem(at: CLI.sampleCopy.appendingPathComponent("smartermail/Logs"), to: folder.appendingPathComponent("Logs"))
        let smtp = folder.appendingPathComponent("Logs/2026.11.27-smtpLog.log")
        try FileManager.default.removeItem(at: smtp)
        try FileManager.default.createDirectory(at: smtp, withIntermediateDirectories: false) // a folder where a file is expected
        let r = try CLI.run(["summary", "Logs"], in: folder)
        #expect(r.stdout.hasPrefix("Traffic summary (smartermail): logs read but 1 unreadable (see the warnings), 2026-11-27 00:00:07 to 2026-11-28 17:59:57\n"))
        #expect(r.stderr.hasPrefix("spoolsweep: warning: Logs/2026.11.27-smtpLog.log: "))
        #expect(r.status == 2)
        let whole = try CLI.run(["summary", "smartermail/Logs"])
        #expect(whole.stdout.hasPrefix("Traffic summary (smartermail): all logs read, "))
    }
}
