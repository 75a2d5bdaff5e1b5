import ArgumentParser
import SpoolsweepCore

struct SpoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "List, shape, quarantine, purge and restore queued messages.",
        subcommands: [SpoolListCommand.self, SpoolShapeCommand.self, SpoolQuarantineCommand.self, SpoolPurgeCommand.self,
                      SpoolQuarantinedCommand.self, SpoolRestoreCommand.self, SpoolRecoverCommand.self]
    )
}

/// The selection options of every command that picks queued messages.
struct SpoolFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Envelope sender matches (PCRE2; the null sender is the empty string).", valueName: "regex"))
    var sender: String?
    @Option(help: ArgumentHelp("Some envelope recipient matches.", valueName: "regex"))
    var recipient: String?
    @Option(help: ArgumentHelp("Authenticated account matches (unauthenticated mail: the empty string).", valueName: "regex"))
    var auth: String?
    @Option(help: ArgumentHelp("Client IP that submitted it matches.", valueName: "regex"))
    var ip: String?
    @Option(help: ArgumentHelp("Subject (RFC 2047 decoded) matches.", valueName: "regex"))
    var subject: String?
    @Option(help: ArgumentHelp("Message body (raw bytes after the headers) matches.", valueName: "regex"))
    var body: String?
    @Option(help: ArgumentHelp("A header field matches: 'Name: REGEX' (repeatable).", valueName: "header"))
    var header: [String] = []
    @Option(name: .customLong("older-than"), help: ArgumentHelp("Queued at least this long: 90s, 30m, 2h, 3d.", valueName: "age"))
    var olderThan: String?
    @Option(name: .customLong("younger-than"), help: ArgumentHelp("Queued less than this long.", valueName: "age"))
    var youngerThan: String?
    @Option(name: .customLong("min-size"), help: ArgumentHelp("At least this size: 500, 10k, 2M, 1G (powers of 1024; 10kB, 2MB: powers of 1000).", valueName: "size"))
    var minSize: String?
    @Option(name: .customLong("max-size"), help: ArgumentHelp("At most this size.", valueName: "size"))
    var maxSize: String?
    @Option(help: ArgumentHelp("Server state, comma-separated or repeated: SmarterMail Written, Writing, Failed, Orphan, Drop; Postfix the queue (deferred, hold, active...); Exim queued, frozen.", valueName: "state"))
    var state: [String] = []
    @Flag(help: "Frozen messages only (Exim; like exiqgrep -z): adds frozen to --state.")
    var frozen = false
    @Option(help: ArgumentHelp("Only this queued message (repeatable): a SmarterMail spool number, a Postfix queue id or an Exim message id.", valueName: "id"))
    var id: [String] = []
    @Option(name: .customLong("ids-from"), help: ArgumentHelp("Only the messages whose ids are in FILE (- for standard input): the first word of each line, as `spool list --ids-only`, `exiqgrep -i` or `postqueue -p` print them.", valueName: "file"))
    var idsFrom: String?
    @Option(name: .customLong("not-sender"), help: ArgumentHelp("Not when the envelope sender matches.", valueName: "regex"))
    var notSender: String?
    @Option(name: .customLong("not-recipient"), help: ArgumentHelp("Not when some envelope recipient matches.", valueName: "regex"))
    var notRecipient: String?
    @Option(name: .customLong("not-auth"), help: ArgumentHelp("Not when the authenticated account matches.", valueName: "regex"))
    var notAuth: String?
    @Option(name: .customLong("not-ip"), help: ArgumentHelp("Not when the client IP matches.", valueName: "regex"))
    var notIP: String?
    @Option(name: .customLong("not-subject"), help: ArgumentHelp("Not when the subject matches.", valueName: "regex"))
    var notSubject: String?
    @Option(name: .customLong("not-body"), help: ArgumentHelp("Not when the body matches.", valueName: "regex"))
    var notBody: String?
    @Option(name: .customLong("not-header"), help: ArgumentHelp("Not when a header field matches: 'Name: REGEX' (repeatable).", valueName: "header"))
    var notHeader: [String] = []
    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Patterns ignore case.")
    var ignoreCase = false
    @Option(name: .customLong("match-limit"), help: "PCRE2 match limit per subject: a pattern that needs more gives up on that message with a warning.")
    var matchLimit: UInt32 = Pattern.defaultMatchLimit

    /// The filter, with `paths` (the command's path arguments) for the forgotten-pattern hint.
    func filter(paths: [String]) throws(SpoolsweepError) -> SpoolFilter {
        let patterns: [(String, String?)] = [("--sender", sender), ("--recipient", recipient), ("--auth", auth), ("--ip", ip),
                                             ("--subject", subject), ("--body", body), ("--not-sender", notSender),
                                             ("--not-recipient", notRecipient), ("--not-auth", notAuth), ("--not-ip", notIP),
                                             ("--not-subject", notSubject), ("--not-body", notBody)]
        for case let (option, text?) in patterns { try SpoolFilter.refuseForgottenPattern(option, text, paths: paths) }
        var ids: [String]? = id.isEmpty ? nil : id
        if let idsFrom { ids = (ids ?? []) + (try SpoolFilter.ids(from: idsFrom)) }
        let exclude: [(SpoolFilter.Field, String?)] = [(.sender, notSender), (.recipient, notRecipient), (.account, notAuth),
                                                       (.ip, notIP), (.subject, notSubject), (.body, notBody)]
        return try SpoolFilter(sender: sender, recipient: recipient, account: auth, ip: ip, subject: subject, body: body,
                               headers: header, olderThan: olderThan, youngerThan: youngerThan, minSize: minSize,
                               maxSize: maxSize, states: state + (frozen ? ["frozen"] : []), ids: ids,
                               exclude: exclude.compactMap { f, t in t.map { (f, $0) } } + notHeader.map { (.header(""), $0) },
                               caseless: ignoreCase, matchLimit: matchLimit)
    }
}

struct SpoolListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "One line per queued message: id, queue, state, age, size, sender, auth, client IP, recipients, subject.",
        discussion: """
            Filters combine with AND. Patterns are PCRE2 (UTF-8, Unicode properties); a bad \
            pattern is refused before anything is read. Examples:
              spoolsweep spool list --auth '^jane@northwind\\.test$' /var/lib/smartermail
              spoolsweep spool list --subject 'gift card' -i --older-than 1h --count Spool/
              spoolsweep spool list --body 'verify-mailbox\\.account-check' --ids-only Spool/

            JSON: {count, messages [{id, queue, state, created, age_seconds, size, sender, auth, \
            client_ip, helo, session_id, attempts, next_attempt, recipients, subject, \
            envelope_path, content_path, history {session_id, client_ip, login, received, \
            attempts, last_attempt, last_outcome} (with --history)}], input}; with --count: \
            {count, input}.

            --count, --ids-only, --format csv and --format jsonl (JSON Lines: one object per \
            message a line, the fields of one element of messages) print each message as it is \
            selected, in the spool's order, and keep none: their memory does not grow with the \
            spool. The text table and JSON keep the messages they print. The spool's order: \
            folder by folder, by name in each (a folder of more than 65,536 files is listed \
            65,536 names at a time, each run by name; pipe through sort for one order).
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var filters: SpoolFilterOptions

    @Flag(help: "Print only the number of matching messages.")
    var count = false

    @Flag(name: .customLong("ids-only"), help: "Print only the ids: one per line (JSON: an array; CSV: one column).")
    var idsOnly = false

    @Flag(help: "Also read the logs: the SMTP session that received each message (login, IP) and its delivery attempts with the last outcome.")
    var history = false

    func run() throws {
        try running {
            let selection = try input.listSelection, filter = try filters.filter(paths: input.paths), now = try input.clock()
            let format = input.format
            if count {
                // Counted as selected: no message is kept.
                var n = 0
                let diagnostics = try Spoolsweep.streamSpool(selection, filter: filter, now: now, wantsSubject: false) { _ in n += 1 }
                let text = format == .csv ? CSV.render(header: ["count"], rows: [["\(n)"]]) : "\(n)\n"
                try finish(text, json: .object([("count", .int(n))]), format: format == .jsonl ? .json : format,
                           diagnostics: diagnostics, output: input.output, color: input.color)
            }
            if idsOnly || !history && (format == .csv || format == .jsonl) {
                // Printed as selected, in the spool's order: one id a line, a JSON array of them,
                // a CSV column with its header or a JSON string a line; CSV rows; JSON Lines.
                // Nothing is kept. (With --history, the logs are read for the messages selected:
                // those are kept, below.)
                var out = try StreamedOutput(to: input.output)
                var n = 0
                let diagnostics = try Spoolsweep.streamSpool(selection, filter: filter, now: now, wantsSubject: !idsOnly) { s in
                    n += 1
                    let id = s.message.id
                    switch (idsOnly, format) {
                    case (true, .json): out.write((n == 1 ? "[\n  " : ",\n  ") + JSON.string(id).compact())
                    case (true, .csv): out.write((n == 1 ? "id\n" : "") + CSV.line([id]))
                    case (true, .jsonl): out.write(JSON.string(id).compact() + "\n")
                    case (true, _): out.write(id + "\n")
                    case (false, .csv): out.write((n == 1 ? CSV.line(SpoolListing.csvHeader) : "") + SpoolListing.csvLine(s))
                    case (false, _): out.write(SpoolListing.jsonLine(s))
                    }
                }
                switch (idsOnly, format) {
                case (true, .json): out.write(n == 0 ? "[]\n" : "\n]\n")
                case (true, .csv) where n == 0: out.write("id\n")
                case (false, .csv) where n == 0: out.write(CSV.line(SpoolListing.csvHeader))
                default: break
                }
                try out.close()
                try finish("", json: nil, format: .text, diagnostics: diagnostics)
            }
            // Tables that sort or group, and the JSON document with its count first: what they
            // print is kept (only the messages selected).
            let (selected, diagnostics) = try Spoolsweep.selectSpool(selection, filter: filter, now: now, wantsSubject: true,
                                                                     history: history)
            try finish(SpoolListing.document(selected), input: input, diagnostics: diagnostics)
        }
    }
}

struct SpoolShapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shape",
        abstract: "Queued messages per recipient domain and per sender, by age (like qshape).",
        discussion: """
            A spam wave shows as one sender, and many recipient domains, in the young columns.

            JSON: {messages, bytes, states {State: n}, bucket_minutes, by_recipient_domain \
            [{name, total, buckets}], recipient_domains, by_sender [{name, total, buckets}], \
            senders, input}.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Rows per table (0: all).")
    var top = 20

    func run() throws {
        try running {
            let (shape, diagnostics) = try Spoolsweep.shape(input.selection, now: try input.clock(), top: try SpoolsweepError.checked(top, "--top", 0...1_000_000))
            try finish(shape.document, input: input, diagnostics: diagnostics)
        }
    }
}
