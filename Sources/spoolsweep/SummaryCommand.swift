import ArgumentParser
import SpoolsweepCore
import Glibc

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
              spoolsweep summary /var/log/exim4/mainlog.1 /var/log/exim4/mainlog
              spoolsweep summary --format html -o /var/www/mail/yesterday.html --date yesterday /var/log/mail.log.1

            The daily e-mail (cron: 5 0 * * * spoolsweep summary --date yesterday --mail-to \
            postmaster@example.com /var/lib/smartermail): one message with a text and an HTML \
            version, the subject naming this host, the server, the day and its headline figures, \
            the senders crossing suspects' default thresholds first. It goes through the local \
            sendmail (-t -i); nothing is printed unless it fails.

            For a Postfix log the report adds pflogsumm's totals, for an Exim log eximstats' \
            (grand totals and per hour), each counted that tool's way, with notes where \
            spoolsweep's own figures count differently. JSON: their server_totals.

            JSON: {server, period {from, until, first_entry, last_entry}, totals {accepted, \
            inbound, authenticated, relayed, recipients, bytes, local_deliveries, delivered, \
            deferred, bounced, rejected, failed_logins, remote_outcomes, failed_logins_by_protocol}, \
            days [{date, ...counts}], hours [{hour, ...counts}], domains [{domain, in_messages, \
            in_recipients, in_bytes, out_messages, out_recipients, out_bytes}], mailbox_count, \
            mailboxes [{mailbox, sent, sent_recipients, recipient_domains, sent_bytes, received, \
            received_bytes}], top_senders, top_recipients [{address, messages}], input {files_read, \
            files_skipped, partial, warnings [{path, reason}], findings [{path, finding}]}}.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var period: PeriodOptions

    @Option(help: "How many rows of each table to list: mailboxes, senders, recipients, and for Postfix pflogsumm's per-domain tables (0: all).")
    var top = 20

    @Option(help: ArgumentHelp("Add pflogsumm's detail sections, this many rows each: senders and recipients by messages and by size, deferrals and bounces by domain and reason and rejections by reason (the reply normalised: addresses <address>, digits N), logins per account with the failures that name one (Exim's set_id, SmarterMail's User [x] not found), refusals by DNS blocklist and greylisting replies, connections and rejections per client IP (0: none).", valueName: "n"))
    var detail = 0

    @Option(name: .customLong("mail-to"), help: ArgumentHelp("Mail the report to this address (text and HTML) instead of printing it.", valueName: "address"))
    var mailTo: String?

    @Option(help: ArgumentHelp("The sendmail program for --mail-to (default: sendmail in $PATH, /usr/sbin or /usr/lib).", valueName: "path"))
    var sendmail: String?

    func run() throws {
        try running(progress: !input.quiet) {
            let range = try period.range(now: try input.clock())
            if let mailTo {
                guard !mailTo.isEmpty, !mailTo.contains(where: { $0.isWhitespace || $0 == "," }) else {
                    throw SpoolsweepError.badValue("--mail-to: one address, without spaces or commas: '\(mailTo)'")
                }
                let program = try Spoolsweep.sendmail(sendmail)
                let (mail, diagnostics) = try Spoolsweep.dailyMail(
                    input.selection, range: range, top: try SpoolsweepError.checked(top, "--top", 0...1_000_000),
                    thresholds: SuspectThresholds(), pathsText: input.pathsText, host: Spoolsweep.hostName())
                try Spoolsweep.send(mail.message(to: mailTo, read: diagnostics), sendmail: program)
                if isatty(1) != 0 { print("Mailed \(mail.subject) to \(mailTo) through \(program).") }
                printWarnings(diagnostics)
                throw ExitCode(ExitStatus.of(partial: diagnostics.isPartial).code)
            }
            let (summary, diagnostics) = try Spoolsweep.summary(input.selection, range: range, top: try SpoolsweepError.checked(top, "--top", 0...1_000_000),
                                                                detail: try SpoolsweepError.checked(detail, "--detail", 0...1_000_000))
            try finish(summary.document, input: input, diagnostics: diagnostics)
        }
    }
}
