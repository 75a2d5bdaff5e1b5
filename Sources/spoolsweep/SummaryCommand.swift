import ArgumentParser
import SpoolsweepCore

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The traffic summary: totals, per day, per hour, per domain and per mailbox.",
        discussion: """
            Counts what the server accepted (inbound to local mailboxes, sent by authenticated \
            users, relayed without authentication), delivered locally and remotely (each \
            remote outcome as the server wrote it), deferred, bounced and rejected, and failed \
            logins. Examples:
              spoolsweep summary --date yesterday /var/lib/smartermail
              spoolsweep summary --since 2026-11-01 --until 2026-11-07 --format csv Logs/
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var period: PeriodOptions

    @Option(help: "How many mailboxes, senders and recipients to list (0: all).")
    var top = 20

    func run() throws {
        try running {
            let range = try period.range(now: try input.clock())
            let (summary, diagnostics) = try Spoolsweep.summary(input.selection, range: range, top: top)
            try finish(summary.rendered(input.format), json: summary.json(), format: input.format, diagnostics: diagnostics)
        }
    }
}
