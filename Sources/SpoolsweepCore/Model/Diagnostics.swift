/// A problem with one input file: reported with the file and the reason, counted, and the run
/// goes on.
public struct InputWarning: Equatable, Sendable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// Collects what a run read, skipped and could not read.
///
/// A run with any warning is *partial*: its figures are right for what was read, and the exit
/// status tells a script so. A *finding* (an orphaned spool file: the server's own leftovers) is
/// reported beside them but is not a failure to read.
public struct Diagnostics: Sendable {
    private var listed: [InputWarning] = []
    /// Warnings counted over lines (a field out of range), summed over the parts of a run.
    private var tallies: [(path: String, reason: String, count: Int)] = []

    /// Every warning: those given one by one, then the counted ones by file (the same whatever
    /// the number of threads the counting was shared among).
    public var warnings: [InputWarning] {
        listed + tallies.sorted { ($0.path, $0.reason) < ($1.path, $1.reason) }
            .map { InputWarning(path: $0.path, reason: "\($0.count) \($0.reason)") }
    }
    /// Files read and used.
    public var filesRead = 0
    /// Files that are not a kind spoolsweep reads (other log kinds, notes): skipped, not a problem.
    public var filesSkipped = 0
    /// Lines in read files that match no known entry shape.
    public var linesUnrecognised = 0
    /// Logs that could not be read, or not to their end (a damaged `.gz` or `.zip`, binary data):
    /// a report over them does not say all logs were read.
    public var logsUnreadable = 0

    /// What was found in the input that is worth a look but read fine (orphaned spool files).
    public private(set) var findings: [InputWarning] = []

    public init() {}

    public mutating func note(_ path: String, _ finding: String) {
        findings.append(InputWarning(path: path, reason: finding))
    }

    /// Keeps the findings about the files `keep` names (`trace`: those of the messages it tells of).
    mutating func keepFindings(about keep: (String) -> Bool) {
        findings.removeAll { !keep($0.path) }
    }

    public mutating func warn(_ path: String, _ reason: String) {
        listed.append(InputWarning(path: path, reason: reason))
    }

    /// A log that could not be read (or not to its end), and why.
    mutating func unreadable(_ path: String, _ reason: String) {
        warn(path, reason)
        logsUnreadable += 1
    }

    /// Counts `n` more lines of `path` with the problem `reason` (`line(s) with ...`): one
    /// warning per file and reason, `n` summed over the whole run.
    public mutating func tally(_ path: String, _ reason: String, _ n: Int) {
        guard n > 0 else { return }
        if let i = tallies.firstIndex(where: { $0.path == path && $0.reason == reason }) {
            tallies[i].count += n
        } else {
            tallies.append((path, reason, n))
        }
    }

    public var isPartial: Bool { !listed.isEmpty || !tallies.isEmpty }

    /// Adds what another part of the run (another thread's slice) saw, after this one's.
    mutating func append(_ other: Diagnostics) {
        listed += other.listed
        findings += other.findings
        for t in other.tallies { tally(t.path, t.reason, t.count) }
        filesRead += other.filesRead
        filesSkipped += other.filesSkipped
        linesUnrecognised += other.linesUnrecognised
        logsUnreadable += other.logsUnreadable
    }

    /// The reason tallied for a message size over `LogFields.largestMessageSize`.
    static func oversizedReason(_ field: String) -> String { "line(s) with a message size over 1 TiB (\(field)), read as 0" }

    /// Turns what the line reader saw into warnings.
    mutating func report(_ stats: LineStats, path: String, unrecognised: Int) {
        if stats.isBinary {
            unreadable(path, "binary data (NUL bytes near the start), not read as a log")
            return
        }
        filesRead += 1
        if stats.lines == 0 && !stats.endsMidLine {
            warn(path, "empty: nothing logged in it yet (a log just rotated?)")
        }
        if stats.cutLines > 0 {
            warn(path, "\(stats.cutLines) line(s) longer than the line limit, cut")
        }
        if unrecognised > 0 {
            linesUnrecognised += unrecognised
            warn(path, "\(unrecognised) line(s) not recognised (no time stamp), skipped")
        }
        if stats.endsMidLine {
            warn(path, "last line has no line ending (file truncated, or still being written)")
        }
    }
}
