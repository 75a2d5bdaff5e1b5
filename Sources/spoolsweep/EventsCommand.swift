import ArgumentParser
import SpoolsweepCore

extension FactEventWriter.Format: ExpressibleByArgument {}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Every fact of the logs as an event, one NDJSON object (or CSV row) a line: for ClickHouse, Elasticsearch, Loki, jq.",
        discussion: """
            One event per thing the logs say, in the server's terms: a message accepted (its \
            session or queue id, client IP, login, envelope, size), a recipient or command \
            rejected, each delivery attempt and its outcome, a login, a security block, a \
            message leaving the queue; with --spool also one per queued message. Events are \
            written as they are read (the memory does not grow with the logs), in the order \
            the server reported them. Examples:
              spoolsweep events --date yesterday /var/lib/smartermail > mx1.ndjson
              spoolsweep events --host mx2 -o mx2-2026-11-28.ndjson.gz /var/log/mail.log
              spoolsweep events /var/log/mail.log | clickhouse-client --query "INSERT INTO mail.events FORMAT JSONEachRow"

            Schema version 1, every event: v (1), host, server (smartermail, postfix, exim), \
            type, time (the server's wall clock with its UTC offset, ISO 8601 with \
            milliseconds). By type: accepted {key, client_ip, account, sender, sender_known, \
            recipients [..], size, protocol, spool_file, helo, message_id}; recipient_rejected \
            {client_ip, recipient, code}; rejected {client_ip, code}; delivery {key, sender, \
            recipient, local, outcome (delivered|deferred|bounced), word, detail, attempt}; login \
            {ip, protocol, account, success}; security_block {ip, rule}; removed {key}; queued \
            (--spool) {key, queue, state, sender, recipients, account, client_ip, helo, session, \
            size, attempts, next_attempt}. A field the log does not give is null. Addresses are \
            lower-cased. CSV has one column per field of every type (empty where a type has \
            none), recipients separated by spaces.

            The offset is this machine's time zone at each time unless --utc-offset names the \
            server's (read a copy made in another zone with it).
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var period: PeriodOptions

    @Option(help: ArgumentHelp("The host name every event carries (default: this machine's name).", valueName: "name"))
    var host: String?

    @Option(name: .customLong("utc-offset"),
            help: ArgumentHelp("The server's UTC offset for the times: +01:00, -05:00, Z (default: this machine's zone at each time).", valueName: "offset"))
    var utcOffset: String?

    @Option(help: "Event format: ndjson (one JSON object a line) or csv.")
    var format: FactEventWriter.Format = .ndjson

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Write the events to this file (compressed when it ends in .gz or .zst) instead of standard output.", valueName: "file"))
    var output: String?

    @Flag(help: "Also one queued event per message in the spool (as it is now).")
    var spool = false

    func run() throws {
        try running {
            let range = try period.range(now: try source.clock())
            let offset: UTCOffset
            if let utcOffset {
                guard let o = UTCOffset.parse(utcOffset) else {
                    throw SpoolsweepError.badValue("--utc-offset: expected +HH:MM, -HH:MM or Z (at most 18 hours), got '\(utcOffset)'")
                }
                offset = o
            } else {
                offset = .machine
            }
            let selection = try source.selection
            let destination = try output.map { file throws(SpoolsweepError) in try ByteOutput.file(file) } ?? ByteOutput.standardOutput()
            let (report, diagnostics) = try Spoolsweep.events(
                selection, range: range, spool: spool, host: host ?? Spoolsweep.hostName(), offset: offset,
                format: format, output: destination)
            if let output { printError("spoolsweep: \(report.summaryLine(to: output))") }
            printWarnings(diagnostics)
            throw ExitCode(ExitStatus.of(partial: diagnostics.isPartial).code)
        }
    }
}
