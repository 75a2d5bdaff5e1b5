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
/// status tells a script so.
public struct Diagnostics: Sendable {
    public private(set) var warnings: [InputWarning] = []
    /// Files read and used.
    public var filesRead = 0
    /// Files that are not a kind spoolsweep reads (other log kinds, notes): skipped, not a problem.
    public var filesSkipped = 0
    /// Lines in read files that match no known entry shape.
    public var linesUnrecognised = 0

    public init() {}

    public mutating func warn(_ path: String, _ reason: String) {
        warnings.append(InputWarning(path: path, reason: reason))
    }

    public var isPartial: Bool { !warnings.isEmpty }

    /// Adds what another part of the run (another thread's slice) saw, after this one's.
    mutating func append(_ other: Diagnostics) {
        warnings += other.warnings
        filesRead += other.filesRead
        filesSkipped += other.filesSkipped
        linesUnrecognised += other.linesUnrecognised
    }

    /// Turns what the line reader saw into warnings.
    mutating func report(_ stats: LineStats, path: String, unrecognised: Int) {
        if stats.isBinary {
            warn(path, "binary data (NUL bytes near the start), not read as a log")
            return
        }
        filesRead += 1
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
