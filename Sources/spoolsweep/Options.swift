import ArgumentParser
import SpoolsweepCore
import Glibc

extension OutputFormat: ExpressibleByArgument {}

/// Where to read, shared by every command.
struct SourceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Server root, logs folder, spool folder, or single files.", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("Force the server dialect instead of detecting it: smartermail, postfix, exim, or events (spoolsweep's event files).", valueName: "server"))
    var server: String?

    @Option(name: .customLong("local-domain"),
            help: ArgumentHelp("A domain this server hosts (repeatable). Local domains are also learnt from local deliveries and logins.", valueName: "domain"))
    var localDomains: [String] = []

    @Option(help: ArgumentHelp("The time to take as now, YYYY-MM-DDTHH:MM:SS in the server's local time (default: this machine's clock). For copies read later or elsewhere.", valueName: "time"))
    var now: String?

    @Option(help: ArgumentHelp("Threads to use (0: one per core): the logs are read in one share of their sessions and queue entries per thread, spool files in parallel, and a Postfix or Exim log's pflogsumm or eximstats totals beside the rest. The output does not depend on it.", valueName: "n"))
    var threads = 0

    /// What to read.
    var selection: InputSelection {
        get throws(SpoolsweepError) {
            var s = InputSelection(paths: paths, server: server, localDomains: localDomains)
            s.threads = try SpoolsweepError.checked(threads, "--threads", 0...1024)
            return s
        }
    }

    /// The paths as typed, quoted for a shell: for the commands a report suggests.
    var pathsText: String { paths.map(shellQuote).joined(separator: " ") }

    func clock() throws(SpoolsweepError) -> LocalTime {
        guard let now else { return LocalTime.now() }
        guard let t = LocalTime.parse(now) else { throw .badValue("--now: expected YYYY-MM-DDTHH:MM:SS, got '\(now)'") }
        return t
    }
}

/// Where to read and how to print the report: every command but `events`.
struct InputOptions: ParsableArguments {
    @OptionGroup var source: SourceOptions

    @Option(help: "Output format: text, json or csv (spool list also jsonl: one JSON object per message a line).")
    var format: OutputFormat = .text

    /// What to read, for every command but `spool list`: they print no JSON Lines.
    var selection: InputSelection {
        get throws(SpoolsweepError) {
            guard format != .jsonl else {
                throw .badValue("--format jsonl: only spool list prints JSON Lines (one message a line); use --format json")
            }
            return try source.selection
        }
    }

    /// What to read, any format allowed (`spool list`).
    var listSelection: InputSelection { get throws(SpoolsweepError) { try source.selection } }

    var paths: [String] { source.paths }
    var server: String? { source.server }
    var pathsText: String { source.pathsText }
    func clock() throws(SpoolsweepError) -> LocalTime { try source.clock() }
}

/// The report period, for the log-reading commands.
struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("One day: today, yesterday or YYYY-MM-DD (server local time). Default: every day in the logs.", valueName: "day"))
    var date: String?

    @Option(help: ArgumentHelp("Start of the period: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS].", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("End of the period (a date includes that whole day).", valueName: "time"))
    var until: String?

    func range(now: LocalTime) throws(SpoolsweepError) -> TimeRange? {
        try Period.resolve(date: date, since: since, until: until, now: now)
    }
}

/// Prints a report and the input warnings, and leaves with the status the run deserves.
func finish(_ text: String, json: JSON?, format: OutputFormat, diagnostics: Diagnostics, suspect: Bool = false) throws -> Never {
    if format == .json, let json {
        print(json.appending("input", diagnostics.json()).rendered(), terminator: "")
    } else {
        print(text, terminator: "")
    }
    printWarnings(diagnostics)
    throw ExitCode(ExitStatus.of(partial: diagnostics.isPartial, suspect: suspect).code)
}

/// Standard output written as it is produced, in blocks (a streamed listing: nothing is kept).
struct StreamedOutput {
    private var buffer: [UInt8] = []
    private static let block = 1 << 16

    init() { buffer.reserveCapacity(Self.block + 4096) }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.block { flush() }
    }

    mutating func flush() {
        // An error is a closed pipe (`| head`): the rest has no reader.
        _ = buffer.withUnsafeBytes { FileSystem.writeAll(1, $0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

func printWarnings(_ diagnostics: Diagnostics) {
    for f in diagnostics.findings {
        printError("spoolsweep: finding: \(f.path): \(f.reason)")
    }
    for w in diagnostics.warnings {
        printError("spoolsweep: warning: \(w.path): \(w.reason)")
    }
    if diagnostics.isPartial {
        printError("spoolsweep: \(diagnostics.warnings.count) warning(s): the results cover only what could be read")
    }
}

func printError(_ text: String, terminator: String = "\n") {
    var standardError = StandardError()
    print(text, terminator: terminator, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// Runs `body`, turning a `SpoolsweepError` into `error: ...` and its exit status.
func running(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as SpoolsweepError {
        printError("error: \(error)")
        throw ExitCode(ExitStatus.of(error).code)
    }
}
