/// Where one server's logs and spool are, as found under the paths the user gave.
public struct ServerLayout: Equatable, Sendable {
    /// The dialect's name, e.g. `smartermail`.
    public var server: String
    /// Log files the dialect reads, in the order it reads them.
    public var logFiles: [String] = []
    /// Folders holding queued messages (or single message files).
    public var spoolRoots: [String] = []
    /// Files that were looked at and are not a kind the dialect reads.
    public var skippedFiles: [String] = []

    public init(server: String) { self.server = server }
}

/// `--queue-tool` and `--server-config`: which command changes a live queue, and its configuration.
public struct QueueToolSettings: Sendable {
    public var command: String?
    public var configDirectory: String?
    /// `--named-queue`: quarantine into this named queue of the server (Exim's `-MG`) instead of
    /// its own hold; nil for the hold. A server without named queues refuses it.
    public var namedQueue: String?
    public init(command: String? = nil, configDirectory: String? = nil, namedQueue: String? = nil) {
        self.command = command
        self.configDirectory = configDirectory
        self.namedQueue = namedQueue
    }
}

/// The user's paths match no layout a dialect knows.
public struct LayoutError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One mail server's formats behind one interface: finding its files, reading its logs as
/// `MailFact`s, and reading its spool as `QueuedMessage`s. Adding a server is adding a folder
/// with one type conforming to this protocol, and listing it in `Dialects.all`.
public protocol MailServerDialect: Sendable {
    /// The name `--server` takes, e.g. `smartermail`.
    var name: String { get }
    /// Where the server keeps its files when no path is given.
    var standardLocations: [String] { get }
    /// The state words of its queued messages, as `--state` takes them.
    var spoolStates: [String] { get }
    /// The layout under `paths`, or nil when they do not look like this server's files.
    func locate(_ paths: [String]) -> ServerLayout?
    /// What `locate` looks for, for the error when nothing matched.
    var lookedFor: String { get }
    /// How the queue under `spoolRoot` is changed while the server runs: nil when moving its
    /// files is safe (SmarterMail), else through the server's own command (Postfix: postsuper;
    /// Exim: exim -Mf/-Mt/-Mrm).
    /// `--offline` (a copy no server runs on) moves the files instead.
    func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)?
    /// Reads the layout's log files (those overlapping `range`, when given) and hands the facts
    /// `share` owns to `sink`, in reading order. The shares of one count together hand over
    /// every fact once; `.all` is the whole. Only the first share reports on the files.
    func readFacts<Sink: MailFactSink>(
        _ layout: ServerLayout, range: TimeRange?, share: LogShare, into sink: inout Sink, diagnostics: inout Diagnostics)
    /// The finished ledger of the layout's logs, read on `threads` threads, each into a ledger
    /// seeded from `template`; the figures do not depend on `threads`.
    func readLedger(_ layout: ServerLayout, range: TimeRange?, threads: Int, template: MailLedger) -> (MailLedger, Diagnostics)
    /// The days the layout's log files are named for, read or not (SmarterMail names each file
    /// by its day); empty when the names say nothing (the facts' times tell then).
    func logDays(_ layout: ServerLayout) -> [Int64]
    /// Whether `serverTotals` counts anything (a pass over the logs of its own).
    var keepsServerTotals: Bool { get }
    /// Whether `readLedger` cuts files into pieces, each line read once (else every thread
    /// reads every line, and keeps its share).
    var readsInPieces: Bool { get }
    /// The dialect's own totals of the logs, counted its reference tool's way (nil: it keeps none).
    func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals?
    /// How a queued message is named in this server's facts, for `--history`.
    func historyKeys(of message: QueuedMessage) -> HistoryKeys
    /// Whether this server's delivery facts number their attempts.
    var numbersDeliveryAttempts: Bool { get }
    /// Calls `visit` with every queued message of the layout's spool, in the same order
    /// whatever `threads` (how many threads may read message files at once).
    func readSpool(
        _ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics,
        visit: (QueuedMessage) -> Void
    )
    /// The reader of the layout's logs as they grow (`watch`); nil when the dialect has none.
    func liveReader(_ layout: ServerLayout) -> (any LiveLogReader)?
}

extension MailServerDialect {
    public func readLedger(_ layout: ServerLayout, range: TimeRange?, threads: Int, template: MailLedger) -> (MailLedger, Diagnostics) {
        readLedgerInShares(layout, range: range, threads: threads, template: template)
    }

    /// One share per thread (`LogShare`): every thread reads every line, and keeps its own keys' facts.
    func readLedgerInShares(_ layout: ServerLayout, range: TimeRange?, threads: Int, template: MailLedger) -> (MailLedger, Diagnostics) {
        LogReading.ledger(parts: threads, template: template) { share, ledger, diagnostics in
            readFacts(layout, range: range, share: share, into: &ledger, diagnostics: &diagnostics)
        }
    }

    public func logDays(_ layout: ServerLayout) -> [Int64] { [] }
    public var readsInPieces: Bool { false }
    public func liveReader(_ layout: ServerLayout) -> (any LiveLogReader)? { nil }
}

/// A dialect's reading of its logs as they grow, for `watch`: which files to follow, and the
/// facts of each line as it is written. The same line readers as `readFacts`, kept open: a value
/// (copying it copies every open session and queue entry), so a copy can be finished to see
/// the facts so far without disturbing the reading.
public protocol LiveLogReader {
    /// The files to follow when today is `day` (a day number of `LocalTime`); each is read from
    /// its start when it is first followed. Called at the start, on each new day, and whenever
    /// a watched folder changes (what depends on the day, such as the year of Postfix's classic
    /// timestamps, is set here).
    mutating func files(day: Int64) -> [String]
    /// Folders where the files of a later day appear (watched for new files).
    var folders: [String] { get }
    /// Hands the facts of one line of `file` to `sink`; false when the line is not one of the
    /// server's.
    mutating func read<Sink: MailFactSink>(_ line: UnsafeRawBufferPointer, of file: String, into sink: inout Sink) -> Bool
    /// Hands over what is still open (sessions, queue entries), as at the end of the input.
    mutating func finish<Sink: MailFactSink>(into sink: inout Sink)
}

/// The dialects spoolsweep knows, and how a layout is chosen.
public enum Dialects {
    public static let all: [any MailServerDialect] = [SmarterMailDialect(), PostfixDialect(), EximDialect(), EventsDialect()]

    public static func named(_ name: String) -> (any MailServerDialect)? {
        all.first { $0.name == name.lowercased() }
    }

    /// Finds the layout under `paths` (the standard locations when empty), trying every dialect
    /// unless `server` names one.
    public static func locate(_ paths: [String], server: String? = nil) throws(LayoutError) -> (any MailServerDialect, ServerLayout) {
        var candidates = all
        if let server {
            guard let d = named(server) else {
                throw LayoutError("unknown server '\(server)'; known: \(all.map(\.name).joined(separator: ", "))")
            }
            candidates = [d]
        }
        for path in paths where !FileSystem.exists(path) {
            throw LayoutError("\(path): no such file or folder")
        }
        // A server root or spool given as a symbolic link (`/var/lib/smartermail` -> elsewhere)
        // is resolved here, once, as a trailing `/` would; links inside it stay unfollowed.
        let paths = paths.map { FileSystem.kind($0) == .link ? FileSystem.resolved($0) ?? $0 : $0 }
        for dialect in candidates {
            let search = paths.isEmpty ? dialect.standardLocations.filter(FileSystem.exists) : paths
            if !search.isEmpty, let layout = dialect.locate(search) { return (dialect, layout) }
        }
        if paths.isEmpty {
            let places = candidates.flatMap(\.standardLocations).joined(separator: ", ")
            throw LayoutError("no mail server found in the standard locations (\(places)); give a path")
        }
        let wanted = candidates.map { "\($0.name): \($0.lookedFor)" }.joined(separator: "; ")
        throw LayoutError("\(paths.joined(separator: ", ")): not a known mail server layout (looked for \(wanted))")
    }
}
