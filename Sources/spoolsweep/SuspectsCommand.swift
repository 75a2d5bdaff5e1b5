import ArgumentParser
import SpoolsweepCore

struct SuspectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspects",
        abstract: "Rank the senders most likely to be spamming, with the evidence.",
        discussion: """
            Ranks authenticated mailboxes, and client IPs that relay without authentication \
            (auth-bypassed web servers), by evidence from the logs and the spool: peak messages \
            in a sliding window, distinct recipient domains, failed logins followed by a success \
            from the same IP, distinct login IPs, envelope senders other than the account, the \
            share of deferred or bounced deliveries, and what is queued now. Reasons marked ! \
            cross a threshold and add to the score; the list ends with the commands to run next.
            Example, from cron:
              spoolsweep suspects --date today --fail-on-suspect /var/lib/smartermail || mail -s spam admin

            JSON: {server, period, thresholds, suspects [{rank, kind (account|relay_ip), name, \
            score, reasons [{code, crosses, text}], messages, recipients, recipient_domains, \
            peak_in_window, peak_window_start, login_ips, envelope_senders [{address, messages}], \
            remote_outcomes {delivered, deferred, bounced}, queued {messages, bytes, top_subject, \
            top_subject_messages}, next_command}], quiet_senders, blocks [{time, ip, rule}], \
            next_steps, input}. Reason codes: rate, break_in, forged_sender, recipient_domains, \
            deferrals, login_ips, relay, queued.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var period: PeriodOptions

    @OptionGroup var limits: ThresholdOptions

    @Option(help: "How many suspects to list (0: all).")
    var top = 10

    @Flag(name: .customLong("fail-on-suspect"), help: "Exit with status 1 (3 if input was partial) when a sender crosses a threshold.")
    var failOnSuspect = false

    func run() throws {
        try running(progress: !input.quiet) {
            let thresholds = try limits.thresholds()
            let range = try period.range(now: try input.clock())
            let (report, diagnostics) = try Spoolsweep.suspects(
                input.selection, range: range, thresholds: thresholds, top: try SpoolsweepError.checked(top, "--top", 0...1_000_000),
                pathsText: input.pathsText)
            try finish(report.document, input: input, diagnostics: diagnostics, suspect: failOnSuspect && !report.suspects.isEmpty)
        }
    }
}

/// The lines a sender's evidence crosses: `suspects` and `watch` take the same.
struct ThresholdOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Messages per sliding window that count as a burst.", valueName: "count/duration"))
    var rate = "50/10m"

    @Option(name: .customLong("min-domains"), help: "Distinct recipient domains that cross the line.")
    var minDomains = 20

    @Option(name: .customLong("min-failed-logins"), help: "Failed logins from one IP before a successful login that cross the line.")
    var minFailedLogins = 3

    @Option(name: .customLong("min-login-ips"), help: "Distinct login IPs of one account that cross the line.")
    var minLoginIPs = 3

    @Option(name: .customLong("max-deferred"), help: "Percent of remote delivery attempts deferred or bounced that crosses the line.")
    var maxDeferred = 30

    func thresholds() throws(SpoolsweepError) -> SuspectThresholds {
        var thresholds = SuspectThresholds()
        try thresholds.setRate(rate)
        thresholds.recipientDomains = try SpoolsweepError.checked(minDomains, "--min-domains", 1...1_000_000, "a count")
        thresholds.failedLogins = try SpoolsweepError.checked(minFailedLogins, "--min-failed-logins", 1...1_000_000, "a count")
        thresholds.loginIPs = try SpoolsweepError.checked(minLoginIPs, "--min-login-ips", 1...1_000_000, "a count")
        thresholds.deferralPercent = try SpoolsweepError.checked(maxDeferred, "--max-deferred", 0...100, "a percentage")
        return thresholds
    }
}
