/// Exim's mainlog as it grows: the current `mainlog` (`exim_mainlog`, `main.log`) of the
/// layout, not its rotations, through the same line reader as `readFacts`.
struct EximLiveReader: LiveLogReader {
    let logs: [String]
    private var log = EximLogReader()

    init(_ layout: ServerLayout) {
        logs = layout.logFiles.filter(LogFiles.isCurrent)
    }

    var folders: [String] { [] }

    mutating func files(day: Int64) -> [String] { logs }

    mutating func read<Sink: MailFactSink>(_ line: UnsafeRawBufferPointer, of file: String, into sink: inout Sink) -> Bool {
        if line.isEmpty || line[0] == 0x20 || line[0] == 0x09 { return true }
        guard let entry = EximEntry(line) else { return false }
        log.read(entry, share: .all, into: &sink)
        return true
    }

    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) { log.finish(into: &sink) }
}

extension EximDialect {
    public func liveReader(_ layout: ServerLayout) -> (any LiveLogReader)? {
        let reader = EximLiveReader(layout)
        return reader.logs.isEmpty ? nil : reader
    }
}
