import ArgumentParser
import Glibc
import SpoolsweepCore

/// Where the quarantine is, shared by the commands that use it.
struct QuarantineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Quarantine folder (default: spoolsweep-quarantine/ beside the spool, same file system, mode 0700).", valueName: "folder"))
    var to: String?
}

/// The server's own queue command, for a live queue that must be changed through it.
struct ServerToolOptions: ParsableArguments {
    @Option(name: .customLong("queue-tool"), help: ArgumentHelp("The server's queue command for a live queue (Postfix: postsuper; Exim: exim, or exim4; default: found in $PATH or /usr/sbin).", valueName: "path"))
    var queueTool: String?

    @Option(name: .customLong("server-config"), help: ArgumentHelp("The server's configuration, passed to its queue command: Postfix the folder of main.cf (postsuper -c), Exim the configuration file (exim -C); it must serve the queue given.", valueName: "path"))
    var serverConfig: String?

    @Option(name: .customLong("named-queue"), help: ArgumentHelp("Exim: quarantine by moving the messages to this named queue (exim -MG NAME) instead of freezing them; restore, quarantined and recover find the queue in the batch's journal.", valueName: "name"))
    var namedQueue: String?

    var settings: QueueToolSettings { QueueToolSettings(command: queueTool, configDirectory: serverConfig, namedQueue: namedQueue) }
}

/// The options of the commands that move or delete mail.
struct ChangeOptions: ParsableArguments {
    @Flag(name: .customLong("dry-run"), help: "Show what would be done; change nothing.")
    var dryRun = false

    @Option(name: .customLong("min-age"), help: ArgumentHelp("Leave alone messages with a file modified more recently than this (the server may still be writing it).", valueName: "age"))
    var minAge = "60s"

    @Flag(help: "The queue is a copy no server runs on: move its files (journaled) instead of acting through the server's command (Postfix: postsuper; Exim: exim).")
    var offline = false

    @OptionGroup var tools: ServerToolOptions

    func cleanup(_ filter: SpoolFilter, input: InputOptions, quarantine: QuarantineOptions) throws(SpoolsweepError) -> CleanupOptions {
        var options = CleanupOptions(filter: filter, now: try input.clock())
        options.dryRun = dryRun
        options.offline = offline
        if offline, let q = tools.namedQueue {
            throw .badValue("--named-queue \(q) moves messages through the server's command; --offline moves files instead: give one of them")
        }
        options.tools = tools.settings
        options.quarantineRoot = quarantine.to
        guard let age = parseDuration(minAge) else { throw .badValue("--min-age: expected a duration such as 60s or 5m, got '\(minAge)'") }
        options.minAge = Int(age)
        return options
    }
}

struct SpoolQuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Move the selected messages out of the spool into a quarantine batch (undo with restore).",
        discussion: """
            Takes the same filters as `spool list`; with no filter it refuses unless --all is \
            given. Both files of each message move together, journaled: before a message moves, \
            its files' paths, sizes and SHA-256 are written and fsynced; after, a completion \
            record. A crash at any moment leaves every message wholly in the spool or wholly in \
            quarantine (the next command, or `spool recover`, finishes the job). Messages still \
            being written (state Writing, an .em_ temporary, or a file younger than --min-age) \
            are skipped. Files keep their bytes, mode and modification time.
            On a live Postfix queue the messages are put on hold through postsuper (-h, ids \
            on stdin) instead, journaled the same way; restore releases them (-H) and purge \
            deletes them (-d). On a live Exim queue they are frozen through exim (-Mf; a \
            message already frozen by someone else is skipped and reported); restore thaws \
            them (-Mt) and purge removes them (-Mrm). Messages Exim is working on (its lock on \
            the -D, a -J journal) are skipped. --offline moves the files of a queue copy no \
            server runs on (Exim: the -H and -D of each message).
              spoolsweep spool quarantine --auth '^jane@northwind\\.test$' /var/lib/smartermail
              spoolsweep spool quarantine --auth '^sam@acme-corp\\.test$' /var/spool/postfix
              spoolsweep spool quarantine --subject '^Invoice overdue' /var/spool/exim4
            """
    )
    @OptionGroup var input: InputOptions
    @OptionGroup var filters: SpoolFilterOptions
    @OptionGroup var quarantine: QuarantineOptions
    @OptionGroup var change: ChangeOptions
    @Flag(help: "Allow a selection with no filter: every queued message.")
    var all = false

    func run() throws {
        try running {
            try clean(.quarantine, input: input, filters: filters, quarantine: quarantine, change: change, all: all)
        }
    }
}

struct SpoolPurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete the selected messages for good, with an audit record of each.",
        discussion: """
            Same filters and safety as quarantine (journal, lock, messages being written left \
            alone). An audit record per message deleted (id, sender, auth account, recipients, \
            subject, size, SHA-256 of each file, time) is appended to purged.jsonl in the \
            quarantine folder once its deletion is settled: `spoolsweep spool quarantined \
            --purged` shows what was deleted. With --batch, the messages of that quarantine \
            batch are deleted instead (all of it, or those the filters select). Without --yes \
            it asks on the terminal, and refuses when there is none.
              spoolsweep spool purge --auth '^jane@northwind\\.test$' --yes /var/lib/smartermail
              spoolsweep spool purge --batch q-20261128-180000-4f2a --yes /var/lib/smartermail
            """
    )
    @OptionGroup var input: InputOptions
    @OptionGroup var filters: SpoolFilterOptions
    @OptionGroup var quarantine: QuarantineOptions
    @OptionGroup var change: ChangeOptions
    @Option(help: ArgumentHelp("Delete from this quarantine batch (as listed by quarantined) instead of the spool.", valueName: "batch"))
    var batch: String?
    @Flag(help: "Allow a selection with no filter: every queued message.")
    var all = false
    @Flag(help: "Do not ask for confirmation (needed when not on a terminal).")
    var yes = false

    func run() throws {
        try running {
            let confirm = try purgeConfirmation(yes: yes, dryRun: change.dryRun)
            guard let batch else {
                try clean(.purge, input: input, filters: filters, quarantine: quarantine, change: change, all: all, confirm: confirm)
                return
            }
            var options = try change.cleanup(try filters.filter(paths: input.paths), input: input, quarantine: quarantine)
            options.minAge = 0
            let (report, diagnostics) = try Spoolsweep.purge(input.selection, batch: batch, options: options, confirm: confirm)
            try finish(report.document(restoreArguments: input.pathsText), input: input, diagnostics: diagnostics)
        }
    }
}

/// Purging asks first on a terminal, and needs --yes where there is none.
func purgeConfirmation(yes: Bool, dryRun: Bool) throws(SpoolsweepError) -> ((Int, Int) -> Bool)? {
    if !yes && !dryRun && isatty(0) == 0 {
        throw .badValue("purge deletes mail for good: add --yes (no terminal to ask on), or try --dry-run first")
    }
    return yes ? nil : { count, bytes in
        printError("Delete \(count) message(s) (\(formatBytes(bytes))) for good? Type yes to go on: ", terminator: "")
        return readLine()?.lowercased() == "yes"
    }
}

struct SpoolRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put messages of a quarantine batch back exactly where they were.",
        discussion: """
            Restores every message of BATCH still in quarantine, or those the filters select. \
            A message whose quarantined files differ from the journal, or whose place in the \
            spool is taken, is not restored (reported); nothing is ever overwritten.
              spoolsweep spool restore q-20261128-180000-4f2a /var/lib/smartermail
            """
    )
    @Argument(help: "The batch id, as printed by quarantine and listed by quarantined.")
    var batch: String
    @OptionGroup var input: InputOptions
    @OptionGroup var filters: SpoolFilterOptions
    @OptionGroup var quarantine: QuarantineOptions
    @OptionGroup var change: ChangeOptions

    func run() throws {
        try running {
            var options = try change.cleanup(try filters.filter(paths: input.paths), input: input, quarantine: quarantine)
            options.minAge = 0
            let (report, diagnostics) = try Spoolsweep.restore(input.selection, batch: batch, options: options)
            try finish(report.document(restoreArguments: input.pathsText), input: input, diagnostics: diagnostics)
        }
    }
}

struct SpoolQuarantinedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantined",
        abstract: "List the quarantine batches and their messages (or, with --purged, what was purged)."
    )
    @OptionGroup var input: InputOptions
    @OptionGroup var quarantine: QuarantineOptions
    @Flag(help: "List the purge audit instead: every message deleted, when, and what it was.")
    var purged = false
    @Option(name: .customLong("older-than"), help: ArgumentHelp("Only batches quarantined at least this long ago: 30d, 12h.", valueName: "age"))
    var olderThan: String?
    @Flag(help: "Purge those batches for good (with --older-than; audited as any purge).")
    var purge = false
    @Flag(name: .customLong("dry-run"), help: "With --purge: show what would be purged; change nothing.")
    var dryRun = false
    @Flag(help: "With --purge: do not ask for confirmation (needed when not on a terminal).")
    var yes = false
    @OptionGroup var tools: ServerToolOptions

    func run() throws {
        try running {
            let age = try olderThan.map { a throws(SpoolsweepError) in try checkedDuration(a, "--older-than") }
            if purge {
                guard let age else { throw SpoolsweepError.badValue("--purge expires old batches: give --older-than AGE (e.g. 30d)") }
                var options = CleanupOptions(filter: SpoolFilter(), now: try input.clock())
                options.quarantineRoot = quarantine.to
                options.dryRun = dryRun
                options.minAge = 0
                options.tools = tools.settings
                let (reports, diagnostics) = try Spoolsweep.expire(input.selection, olderThan: Int(age), options: options,
                                                                  confirm: try purgeConfirmation(yes: yes, dryRun: dryRun))
                // One report per batch: CSV one header over every batch's rows, JSON the batches' reports.
                let documents = reports.map { $0.document(restoreArguments: input.pathsText) }
                let text = input.format == .csv
                    ? (reports.isEmpty ? "" : ReportDocument(title: "", nodes: [.table(MoveReport.csvTable(reports))]).rendered(.csv))
                    : reports.isEmpty ? "No quarantine batch older than \(olderThan!).\n"
                    : zip(reports, documents).map { "Batch \($0.batch): " + $1.rendered(.text) }.joined(separator: "\n")
                let json = JSON.object([("older_than_seconds", .int(Int(age))), ("batches", .array(documents.map { $0.json() }))])
                try finish(text, json: json, format: input.format, diagnostics: diagnostics, output: input.output, color: input.color)
            }
            var listing = try Spoolsweep.quarantined(input.selection, quarantineRoot: quarantine.to)
            if let age { listing.keepBatches(olderThan: age, now: try input.clock(), text: olderThan!) }
            try finish(listing.document(purgedOnly: purged), input: input, diagnostics: listing.diagnostics)
        }
    }
}

struct SpoolRecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Finish or roll back what an interrupted quarantine, purge or restore left.",
        discussion: "Every changing command does this first by itself; run it after a crash to settle the spool now."
    )
    @OptionGroup var input: InputOptions
    @OptionGroup var quarantine: QuarantineOptions
    @OptionGroup var tools: ServerToolOptions

    func run() throws {
        try running {
            let report = try Spoolsweep.recover(input.selection, quarantineRoot: quarantine.to, tools: tools.settings)
            var diagnostics = Diagnostics()
            for p in report.problems { diagnostics.warn("recovery", p) }
            try finish(report.document, input: input, diagnostics: diagnostics)
        }
    }
}

/// Quarantine or purge, and the report.
private func clean(
    _ operation: JournalOperation, input: InputOptions, filters: SpoolFilterOptions, quarantine: QuarantineOptions,
    change: ChangeOptions, all: Bool, confirm: ((Int, Int) -> Bool)? = nil
) throws {
    var options = try change.cleanup(try filters.filter(paths: input.paths), input: input, quarantine: quarantine)
    options.all = all
    let (report, diagnostics) = try Spoolsweep.clean(operation, input.selection, options: options, confirm: confirm)
    try finish(report.document(restoreArguments: restoreArguments(input: input, quarantine: quarantine, change: change)), input: input,
               diagnostics: diagnostics)
}

/// The options a `spool restore` of this run's batch needs to find it and act as this run did
/// (`--offline` on a copy, the same quarantine folder and queue tool), then the paths.
func restoreArguments(input: InputOptions, quarantine: QuarantineOptions, change: ChangeOptions) -> String {
    var words: [String] = []
    if let server = input.server { words += ["--server", server] }
    if let to = quarantine.to { words += ["--to", to] }
    if change.offline { words.append("--offline") }
    if let tool = change.tools.queueTool { words += ["--queue-tool", tool] }
    if let config = change.tools.serverConfig { words += ["--server-config", config] }
    return (words.map(shellQuote) + [input.pathsText]).filter { !$0.isEmpty }.joined(separator: " ")
}
