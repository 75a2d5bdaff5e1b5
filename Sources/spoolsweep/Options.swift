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

    @Option(help: "Output format: text, json, csv or html (one self-contained page, with charts for summary, suspects and spool shape; trace prints no HTML); spool list also jsonl (one JSON object per message a line).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Colour the text report (crossing reasons, totals, titles) and the warnings: auto (on a terminal, unless NO_COLOR is set), always or never.", valueName: "when"))
    var color: ColorChoice = .auto

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "No progress line on standard error while the logs are read (it is shown only on a terminal, after a second).")
    var quiet = false

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Write the report to this file (replaced whole, never half-written) instead of standard output.", valueName: "file"))
    var output: String?

    /// What to read, for every command but `spool list`: they print no JSON Lines.
    var selection: InputSelection {
        get throws(SpoolsweepError) {
            guard format != .jsonl else {
                throw .badValue("--format jsonl: only spool list prints JSON Lines (one message a line); use --format json")
            }
            return try source.selection
        }
    }

    /// What to read for `spool list`: every format.
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
func finish(_ text: String, json: JSON?, format: OutputFormat, diagnostics: Diagnostics, output: String? = nil,
            color: ColorChoice = .never, suspect: Bool = false) throws -> Never {
    ProgressLine.stop()
    let report = format == .json ? json.map { $0.appending("input", diagnostics.json()).rendered() } ?? text : text
    try write(report, to: output)
    printWarnings(diagnostics, color: color.colors(2))
    throw ExitCode(ExitStatus.of(partial: diagnostics.isPartial, suspect: suspect).code)
}

/// Prints a report built as a document (what was read its last section), coloured as `--color`
/// says when it is text on standard output, and leaves as `finish`.
func finish(_ document: ReportDocument, input: InputOptions, diagnostics: Diagnostics, suspect: Bool = false) throws -> Never {
    ProgressLine.stop()
    var d = document
    d.nodes.append(diagnostics.reportSection)
    let colored = input.format == .text && input.output == nil && input.color.colors(1)
    try finish(d.rendered(input.format, color: colored), json: nil, format: input.format, diagnostics: diagnostics,
               output: input.output, color: input.color, suspect: suspect)
}

/// `text` on standard output, or into the file `path` (a temporary file beside it, renamed).
func write(_ text: String, to path: String?) throws {
    guard let path else { print(text, terminator: ""); return }
    if let e = FileSystem.replaceFile(path, with: Array(text.utf8)) {
        printError("error: -o \(path): cannot be written: \(FileSystem.errorText(e))")
        throw ExitCode(ExitStatus.cannotWrite.code)
    }
}

/// Standard output (or the `-o` file) written as it is produced, in blocks (a streamed listing:
/// nothing is kept). The file is written whole or not at all (`FileSystem.AtomicFile`).
struct StreamedOutput {
    private var buffer: [UInt8] = []
    private static let block = 1 << 16
    private var file: FileSystem.AtomicFile?

    init(to path: String?) throws {
        buffer.reserveCapacity(Self.block + 4096)
        guard let path else { return }
        file = FileSystem.AtomicFile(path)
        if let e = file?.failure { throw Self.failed(path, e) }
    }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.block { flush() }
    }

    /// On standard output an error is a closed pipe (`| head`): the rest has no reader. A file's
    /// error is reported by `close`.
    mutating func flush() {
        if file != nil {
            buffer.withUnsafeBytes { file!.write($0) }
        } else {
            _ = buffer.withUnsafeBytes { FileSystem.writeAll(1, $0) }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Everything written: the file synced and put in place.
    mutating func close() throws {
        flush()
        if let path = file?.path, let e = file?.commit() { throw Self.failed(path, e) }
    }

    private static func failed(_ path: String, _ e: Int32) -> ExitCode {
        printError("error: -o \(path): cannot be written: \(FileSystem.errorText(e))")
        return ExitCode(ExitStatus.cannotWrite.code)
    }
}

/// The findings and warnings on standard error; with `color`, the word `finding` cyan and
/// `warning` yellow.
func printWarnings(_ diagnostics: Diagnostics, color: Bool = false) {
    func word(_ w: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(w)\u{1B}[0m" : w }
    for f in diagnostics.findings {
        printError("spoolsweep: \(word("finding", "36")): \(f.path): \(f.reason)")
    }
    for w in diagnostics.warnings {
        printError("spoolsweep: \(word("warning", "1;33")): \(w.path): \(w.reason)")
    }
    if diagnostics.isPartial {
        printError("spoolsweep: \(word("\(diagnostics.warnings.count) warning(s)", "1;33")): the results cover only what could be read")
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

/// Runs `body`, turning a `SpoolsweepError` into `error: ...` and its exit status; with
/// `progress`, the progress line runs meanwhile (on a terminal).
func running(progress: Bool = false, _ body: () throws -> Void) throws {
    ProgressLine.start(enabled: progress)
    defer { ProgressLine.stop() }
    do {
        try body()
    } catch let error as SpoolsweepError {
        ProgressLine.stop()
        printError("error: \(error)")
        throw ExitCode(ExitStatus.of(error).code)
    }
}
