import Glibc

/// What `events` wrote.
public struct EventsReport: Sendable {
    public let server: String
    public let host: String
    /// Events written, by type.
    public let counts: [String: Int]
    public var total: Int { counts.values.reduce(0, +) }

    /// The line `events -o FILE` prints on standard error when it is done.
    public func summaryLine(to destination: String) -> String {
        let types = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(counted(total, "event")) of \(server) on \(host) written to \(destination)\(types.isEmpty ? "" : " (\(types))")"
    }
}

extension Spoolsweep {
    /// The machine's name, the default `--host` of events.
    public static func hostName() -> String {
        var name = [UInt8](repeating: 0, count: 256)
        let status = name.withUnsafeMutableBytes { gethostname($0.baseAddress!.assumingMemoryBound(to: CChar.self), 255) }
        let text = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        return status != 0 || text.isEmpty ? "localhost" : text
    }

    /// `events`: the facts of the logs under `input` in `range` (and with `spool` every queued
    /// message) written to `output` as they are read, one event a line. Nothing is kept but the
    /// readers' own open sessions, so the memory does not grow with the logs.
    public static func events(
        _ input: InputSelection, range: TimeRange?, spool: Bool, host: String, offset: UTCOffset,
        format: FactEventWriter.Format, output: ByteOutput
    ) throws(SpoolsweepError) -> (EventsReport, Diagnostics) {
        let (dialect, layout) = try input.locate()
        guard !host.isEmpty, !host.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
            throw .badValue("--host: expected a name without blanks or control characters, got '\(host.terminalSafe)'")
        }
        if spool && layout.spoolRoots.isEmpty {
            throw .noInput(LayoutError("\(input.paths.joined(separator: ", ")): no spool found for --spool (looked for \(dialect.lookedFor))"))
        }
        if !spool && layout.logFiles.isEmpty {
            throw .noInput(LayoutError("\(input.paths.joined(separator: ", ")): no log there (events are what the logs say); --spool writes the queued messages"))
        }
        var writer = FactEventWriter(output: output, format: format, host: host, server: dialect.name, offset: offset, range: range)
        var diagnostics = Diagnostics()
        dialect.readFacts(layout, range: range, share: .all, into: &writer, diagnostics: &diagnostics)
        if spool {
            dialect.readSpool(layout, threads: Parallel.threads(input.threads), diagnostics: &diagnostics) { writer.take(queued: $0) }
        }
        if let code = writer.finish(), code != EPIPE {
            throw .cannotWrite("\(output.path): cannot write the events: \(FileSystem.errorText(code))")
        }
        return (EventsReport(server: dialect.name, host: host, counts: writer.counts), diagnostics)
    }
}
