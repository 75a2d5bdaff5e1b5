import ArgumentParser
import SpoolsweepCore

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "One message's whole story, like exigrep: how it came in, every delivery attempt, the spool, the quarantine.",
        discussion: """
            The query is a server's id for a message (a Postfix queue id, an Exim message id, a \
            SmarterMail spool name such as 244912742955, its delivery id 12742955, or an SMTP \
            session id, which names every message of the session), a Message-ID in angle \
            brackets (<id@host>: matched where the log or the spool gives it), or an envelope \
            address (every message from it, to it, or sent by that login, listed briefly; trace \
            one of their ids for its story). For each message: the SMTP transaction that \
            received it (client IP, session, HELO, login, envelope, size, Message-ID), every \
            delivery attempt and its outcome, its removal from the queue, the spool files it has \
            now (queue, state, size, attempts), and what spoolsweep's quarantine did with it \
            (quarantine, restore and purge runs from the journals and purged.jsonl). Examples:
              spoolsweep trace 244912742955 /var/lib/smartermail
              spoolsweep trace 4jcXTw1mjpz7m3W /var/log/mail.log /var/spool/postfix
              spoolsweep trace '<95FE830B162D.3ka5ip2t8x@acme-corp.test>' /var/log/exim4/mainlog
              spoolsweep trace jane@northwind.test --limit 20 /var/lib/smartermail

            The logs are read twice (which messages, then their facts). Exit status 1 when no \
            message matches (as grep's), 3 when also some input could not be read.

            JSON: {server, query {text, kind (id|message_id|address)}, found, shown, limit, \
            messages [{id, now (queued|quarantined|purged|removed|unknown), received {time, \
            session_id, client_ip, helo, login, protocol, sender, recipients, size, message_id} or \
            null, deliveries [{time, attempt, recipient, local, outcome, detail}], \
            deliveries_not_shown, removed, queued {queue, state, size, created, sender, recipients, \
            auth, client_ip, helo, session_id, attempts, next_attempt, files} or null, quarantine \
            [{time, operation, run, batch, via, outcome, files [{path, size, sha256}]}]}], input}.
            """
    )

    @Argument(help: ArgumentHelp("A queue id, message id, spool name or session id; a <Message-ID>; or an address.", valueName: "query"))
    var query: String

    @OptionGroup var input: InputOptions
    @OptionGroup var quarantine: QuarantineOptions

    @Option(help: ArgumentHelp("Tell at most this many messages' stories (an address may name thousands).", valueName: "n"))
    var limit = 100

    func run() throws {
        try running(progress: !input.quiet) {
            var (report, diagnostics) = try Spoolsweep.trace(input.selection, query: try TraceQuery(query), limit: limit,
                                                             quarantineRoot: quarantine.to)
            report.pathsText = input.pathsText
            if report.stories.isEmpty, input.format == .text {
                // Nothing found: said on standard error, nothing on standard output.
                printError(report.rendered(.text), terminator: "")
                try finish("", json: nil, format: .text, diagnostics: diagnostics, output: input.output, color: input.color, suspect: true)
            }
            try finish(report.document, input: input, diagnostics: diagnostics, suspect: report.stories.isEmpty)
        }
    }
}
