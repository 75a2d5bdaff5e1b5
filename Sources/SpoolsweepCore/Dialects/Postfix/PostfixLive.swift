/// Postfix's log as it grows: the current `mail.log` (or `maillog`...) of the layout, not its
/// rotations, through the same line reader as `readFacts`.
struct PostfixLiveReader: LiveLogReader {
    let logs: [String]
    private var entries = PostfixEntry.Reader(year: 2000, lastMonth: 12)
    private var log = PostfixLogReader()

    init(_ layout: ServerLayout) {
        logs = layout.logFiles.filter(LogFiles.isCurrent)
    }

    var folders: [String] { [] }

    mutating func files(day: Int64) -> [String] {
        // Classic timestamps have no year: today's, or the year before for a later month.
        let (year, month, _) = LocalTime.civil(day)
        if entries.year != year || entries.lastMonth != month { entries = PostfixEntry.Reader(year: year, lastMonth: month) }
        return logs
    }

    mutating func read<Sink: MailFactSink>(_ line: UnsafeRawBufferPointer, of file: String, into sink: inout Sink) -> Bool {
        if line.isEmpty || line[0] == 0x20 || line[0] == 0x09 { return true }
        guard let entry = entries.entry(line) else { return PostfixDialect.isOtherProgram(line) }
        log.read(entry, share: .all, into: &sink)
        return true
    }

    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) { log.finish(into: &sink) }
}

extension PostfixDialect {
    public func liveReader(_ layout: ServerLayout) -> (any LiveLogReader)? {
        let reader = PostfixLiveReader(layout)
        return reader.logs.isEmpty ? nil : reader
    }
}
