/// SmarterMail's daily logs as they grow: in each logs folder of the layout, the SMTP, delivery
/// and administrative logs of today and yesterday (a session begun before midnight ends in
/// today's file), a new day's files as they appear, through the same line readers as `readFacts`.
struct SmarterMailLiveReader: LiveLogReader {
    let folders: [String]
    private var smtp = SmarterMailSMTPReader()
    private var delivery = SmarterMailDeliveryReader()
    private var admin = SmarterMailAdminReader()
    /// The kind and day of each file read, by path (the last one looked up kept at hand).
    private var kinds: [String: (kind: SmarterMailLogKind, day: Int64)] = [:]
    private var last: (path: String, kind: SmarterMailLogKind, day: Int64)?

    init(_ layout: ServerLayout) {
        var folders: [String] = []
        for path in layout.logFiles where !folders.contains(FileSystem.folderName(path)) { folders.append(FileSystem.folderName(path)) }
        self.folders = folders
        smtp.completion.spool = SmarterMailSpoolLookup(spoolRoots: layout.spoolRoots)
    }

    mutating func files(day: Int64) -> [String] {
        var found: [(path: String, kind: SmarterMailLogKind, day: Int64)] = []
        for folder in folders {
            for name in FileSystem.list(folder) ?? [] where Compression(path: name) == nil {
                guard let parsed = SmarterMailLogKind.parse(fileName: name), let kind = parsed.kind,
                      parsed.day >= day - 1, parsed.day <= day + 1 else { continue }
                found.append((FileSystem.join(folder, name), kind, parsed.day))
            }
        }
        for f in found {
            kinds[f.path] = (f.kind, f.day)
            // The administrative log's SMTP logins repeat the SMTP log's AUTH attempts.
            if f.kind == .smtp { admin.daysWithSMTPLog.insert(f.day) }
        }
        kinds = kinds.filter { $0.value.day >= day - 1 }
        return found.sorted { ($0.day, $0.kind.rawValue, $0.path) < ($1.day, $1.kind.rawValue, $1.path) }.map(\.path)
    }

    mutating func read<Sink: MailFactSink>(_ line: UnsafeRawBufferPointer, of file: String, into sink: inout Sink) -> Bool {
        if line.isEmpty || line[0] == 0x20 || line[0] == 0x09 { return true }
        if last?.path != file {
            guard let k = kinds[file] ?? SmarterMailLogKind.parse(fileName: FileSystem.baseName(file)).flatMap({ p in p.kind.map { ($0, p.day) } })
            else { return false }
            last = (file, k.kind, k.day)
        }
        let (kind, day) = (last!.kind, last!.day)
        guard let entry = SmarterMailEntry(line, day: day) else { return false }
        switch kind {
        case .smtp: return smtp.read(entry, into: &sink)
        case .delivery: return delivery.read(entry, into: &sink)
        case .administrative: return admin.read(entry, into: &sink)
        }
    }

    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) { smtp.finish(into: &sink) }
}

extension SmarterMailDialect {
    public func liveReader(_ layout: ServerLayout) -> (any LiveLogReader)? {
        let reader = SmarterMailLiveReader(layout)
        return reader.folders.isEmpty ? nil : reader
    }
}
