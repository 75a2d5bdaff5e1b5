import Glibc

/// SmarterMail (Windows, and the Linux edition): daily logs in `Logs/`, and the spool's
/// `.hdr` + `.eml` pairs in `Spool/SubSpoolN`, `proc`, `delay` and `Drop`.
public struct SmarterMailDialect: MailServerDialect {
    public let name = "smartermail"
    /// `.hdr` states, and the spool walker's own: a lone file (Orphan), a dropped-in `.eml` (Drop).
    public let spoolStates = ["Written", "Writing", "Failed", "Orphan", "Drop"]
    public let standardLocations = [
        "/var/lib/smartermail",
        "/mnt/c/SmarterMail",
        "/mnt/c/Program Files (x86)/SmarterTools/SmarterMail",
    ]
    public let lookedFor = "a server folder with Logs/ or Spool/ (or Domains/Spool/), a folder of YYYY.MM.DD-kind.log (.log.zip) files, a spool folder with SubSpoolN/proc/delay/Drop or .hdr/.eml files, or such files"

    /// SmarterMail's spool is plain files its admins handle by hand; moves skip messages being
    /// written (state, temporaries, --min-age).
    /// SmarterMail picks up and drops spool files by name: moving a settled pair is safe.
    public func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)? { nil }

    /// An envelope or message larger than this is not read (a sane upper bound for one `.hdr`).
    static let envelopeLimit = 64 << 20

    public init() {}

    // MARK: - Finding the files

    public func locate(_ paths: [String]) -> ServerLayout? {
        var layout = ServerLayout(server: name)
        for path in paths {
            switch FileSystem.kind(path) {
            case .file:
                let base = FileSystem.baseName(path)
                if SmarterMailLogKind.parse(fileName: base) != nil {
                    layout.logFiles.append(path)
                } else if MessageSuffix(base) != nil {
                    layout.spoolRoots.append(path)
                } else {
                    return nil
                }
            case .folder:
                guard addFolder(path, to: &layout) else { return nil }
            default:
                return nil
            }
        }
        return layout.logFiles.isEmpty && layout.spoolRoots.isEmpty ? nil : layout
    }

    /// Classifies a folder as a server root, a logs folder or a spool folder.
    private func addFolder(_ path: String, to layout: inout ServerLayout) -> Bool {
        let names = FileSystem.list(path) ?? []
        func child(_ wanted: String, in folder: String, names: [String]) -> String? {
            names.first { $0.lowercased() == wanted }.map { FileSystem.join(folder, $0) }
                .flatMap { FileSystem.kind($0) == .folder ? $0 : nil }
        }
        var found = false
        let domains = child("domains", in: path, names: names)
        let domainNames = domains.flatMap(FileSystem.list) ?? []
        if let logs = child("logs", in: path, names: names) ?? domains.flatMap({ child("logs", in: $0, names: domainNames) }) {
            addLogs(in: logs, to: &layout)
            found = true
        }
        // A `spool/` of another server (Exim's input/ and msglog/) is not SmarterMail's.
        if let spool = child("spool", in: path, names: names) ?? domains.flatMap({ child("spool", in: $0, names: domainNames) }),
           let spoolNames = FileSystem.list(spool), spoolNames.isEmpty || Self.spoolish(spoolNames) {
            layout.spoolRoots.append(spool)
            found = true
        }
        if found { return true }
        if names.contains(where: { SmarterMailLogKind.parse(fileName: $0) != nil }) {
            addLogs(in: path, to: &layout)
            return true
        }
        let spoolish = Self.spoolish(names)
        if spoolish { layout.spoolRoots.append(path) }
        return spoolish
    }

    /// Whether a folder holding `names` looks like a SmarterMail spool.
    private static func spoolish(_ names: [String]) -> Bool {
        names.contains { n in
            let l = n.lowercased()
            return l.hasPrefix("subspool") || ["proc", "delay", "drop"].contains(l) || MessageSuffix(n) != nil
        }
    }

    private func addLogs(in folder: String, to layout: inout ServerLayout) {
        for n in FileSystem.list(folder) ?? [] {
            let p = FileSystem.join(folder, n)
            if let parsed = SmarterMailLogKind.parse(fileName: n), parsed.kind != nil {
                layout.logFiles.append(p)
            } else if FileSystem.kind(p) == .file {
                layout.skippedFiles.append(p)
            }
        }
    }

    // MARK: - Logs

    /// Every share reads every log line and keeps its own keys' facts: SMTP sessions and logins by
    /// client IP, deliveries by delivery id.
    @_specialize(where Sink == MailLedger)
    public func readFacts<Sink: MailFactSink>(
        _ layout: ServerLayout, range: TimeRange?, share: LogShare, into sink: inout Sink, diagnostics: inout Diagnostics
    ) {
        var seen = Diagnostics()
        let files = logFiles(layout, range: range, diagnostics: &seen)
        if share.reportsFiles { diagnostics.append(seen) }
        var smtp = SmarterMailSMTPReader()
        smtp.completion.spool = SmarterMailSpoolLookup(spoolRoots: layout.spoolRoots)
        var delivery = SmarterMailDeliveryReader()
        var admin = SmarterMailAdminReader()
        admin.daysWithSMTPLog = Set(files.filter { $0.kind == .smtp }.map(\.day))
        if let range, let before = smtpLogOfTheDayBefore(range, layout) {
            // Sessions begun before midnight go on in the range's first file: the day before is
            // read for them alone (no fact of its own, no report on the file).
            var discard = DiscardedFacts(), unreported = Diagnostics()
            forEachEntry([before], share: share, diagnostics: &unreported) { _, entry in
                smtp.read(entry, into: &discard)
            } endOfFile: { _, _ in }
            smtp.endPrelude(rangeStart: range.start)
        }
        var badBefore = smtp.badSizes
        forEachEntry(files, share: share, diagnostics: &diagnostics) { kind, entry in
            switch kind {
            case .smtp: return smtp.read(entry, into: &sink)
            case .delivery: return delivery.read(entry, into: &sink)
            case .administrative: return admin.read(entry, into: &sink)
            }
        } endOfFile: { path, diagnostics in
            diagnostics.tally(path, Diagnostics.oversizedReason("Received message size"), smtp.badSizes - badBefore)
            badBefore = smtp.badSizes
        }
        smtp.finish(into: &sink)
    }

    /// The SMTP log of the day before `range` starts, when the range starts at a midnight whose
    /// day before is not read anyway and the layout has that file.
    private func smtpLogOfTheDayBefore(_ range: TimeRange, _ layout: ServerLayout) -> LogFile? {
        let day = range.start.day - 1
        guard range.start == range.start.startOfDay, !range.overlaps(day: day) else { return nil }
        let candidates = layout.logFiles.compactMap { path -> LogFile? in
            guard let parsed = SmarterMailLogKind.parse(fileName: FileSystem.baseName(path)),
                  parsed.kind == .smtp, parsed.day == day else { return nil }
            return (path, .smtp, day)
        }
        return candidates.min { $0.path < $1.path }
    }

    public var keepsServerTotals: Bool { false }
    public func serverTotals(_ layout: ServerLayout, range: TimeRange?) -> ServerTotals? { nil }

    /// The `.hdr`'s `smtpSessionId` is the SMTP log's session id; the delivery log names a
    /// message by the last 8 characters of its spool base name (`422405313455` → `[05313455]`,
    /// `[05313455-2]` for the second attempt).
    public func historyKeys(of message: QueuedMessage) -> HistoryKeys {
        HistoryKeys(session: message.sessionID, spoolName: message.id, delivery: String(message.id.suffix(8)))
    }

    public var numbersDeliveryAttempts: Bool { true }

    private typealias LogFile = (path: String, kind: SmarterMailLogKind, day: Int64)

    /// The days of the layout's SMTP, delivery and administrative logs (zipped days included).
    public func logDays(_ layout: ServerLayout) -> [Int64] {
        layout.logFiles.compactMap { path in
            guard let parsed = SmarterMailLogKind.parse(fileName: FileSystem.baseName(path)), parsed.kind != nil else { return nil }
            return parsed.day
        }
    }

    /// The layout's log files overlapping `range`, in reading order: deliveries, then logins, then
    /// SMTP; days in order.
    private func logFiles(_ layout: ServerLayout, range: TimeRange?, diagnostics: inout Diagnostics) -> [LogFile] {
        var files: [LogFile] = []
        for path in layout.logFiles {
            guard let parsed = SmarterMailLogKind.parse(fileName: FileSystem.baseName(path)) else { continue }
            if let range, !range.overlaps(day: parsed.day) { continue }
            guard let kind = parsed.kind else {
                // Named on the command line (a folder's other kinds are not listed as logs).
                diagnostics.filesSkipped += 1
                diagnostics.note(path, "not read: spoolsweep reads the smtpLog, delivery and administrative logs (the administrative log has the logins of every protocol)")
                continue
            }
            files.append((path, kind, parsed.day))
        }
        diagnostics.filesSkipped += layout.skippedFiles.count
        return files.sorted { ($0.kind.rawValue, $0.day, $0.path) < ($1.kind.rawValue, $1.day, $1.path) }
    }

    /// Calls `body` with every entry of `files` (continuation lines belong to the entry above and
    /// are skipped); `body` returns false for an entry it does not recognise. Only `share`'s
    /// first part reports on the files.
    private func forEachEntry(
        _ files: [LogFile], share: LogShare, diagnostics: inout Diagnostics, _ body: (SmarterMailLogKind, SmarterMailEntry) -> Bool,
        endOfFile: (String, inout Diagnostics) -> Void
    ) {
        let reader = LineReader()
        for file in files {
            var unrecognised = 0
            do {
                let stats = try reader.forEachLine(path: file.path) { line in
                    if line.isContinuation || line.bytes.isEmpty { return }
                    if share.count > 1 {
                        // Another share's line is skipped before its time is read.
                        let key = file.kind.shareKey(line.bytes.dropFirst(SmarterMailLogKind.textStart(line.bytes)))
                        guard key.map(share.owns) ?? share.reportsFiles else { return }
                    }
                    guard let entry = SmarterMailEntry(line.bytes, day: file.day) else {
                        if share.reportsFiles { unrecognised += 1 }
                        return
                    }
                    if !body(file.kind, entry) { unrecognised += 1 }
                }
                if share.reportsFiles { diagnostics.report(stats, path: file.path, unrecognised: unrecognised) }
                endOfFile(file.path, &diagnostics)
            } catch {
                if share.reportsFiles { diagnostics.unreadable(file.path, error.reason) }
            }
        }
    }

    // MARK: - Spool

    public func readSpool(
        _ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics,
        visit: (QueuedMessage) -> Void
    ) {
        var walker = SmarterMailSpoolWalker(diagnostics: diagnostics)
        walker.threads = threads
        for root in layout.spoolRoots {
            if FileSystem.kind(root) == .file {
                guard let folder = FileSystem.Folder(FileSystem.folderName(root)) else {
                    walker.diagnostics.warn(root, "cannot open the folder it is in")
                    continue
                }
                var files = MessageFiles()
                let name = FileSystem.baseName(root)
                if let suffix = MessageSuffix(name) { files.add(name, root, suffix) }
                walker.readPair(id: String(decoding: name.utf8.dropLast(4), as: UTF8.self), queue: "", files, in: folder, visit: visit)
            } else {
                walker.walk(root, queue: nil, depth: 0, visit: visit)
            }
        }
        diagnostics = walker.diagnostics
    }
}

/// What a spool file is, by its name's suffix (case-insensitive): `.hdr`, `.eml`, or `.em_`
/// (the temporary while a message is received).
enum MessageSuffix: Equatable {
    case envelope, content, temporary

    init?(_ name: UnsafeRawBufferPointer) {
        let n = name.count
        guard n > 4, name[n - 4] == UInt8(ascii: ".") else { return nil }
        let a = name[n - 3] | 0x20, b = name[n - 2] | 0x20, c = name[n - 1]
        switch (a, b, c | 0x20) {
        case (UInt8(ascii: "h"), UInt8(ascii: "d"), UInt8(ascii: "r")): self = .envelope
        case (UInt8(ascii: "e"), UInt8(ascii: "m"), UInt8(ascii: "l")): self = .content
        case (UInt8(ascii: "e"), UInt8(ascii: "m"), _) where c == UInt8(ascii: "_"): self = .temporary
        default: return nil
        }
    }

    init?(_ name: String) {
        var name = name
        guard let suffix = name.withUTF8({ MessageSuffix(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = suffix
    }
}

/// The files of one spool message, by role: their names in its folder, and their paths.
struct MessageFiles {
    var envelope, content: (name: String, path: String)?
    /// An `.em_` temporary: the server is receiving it.
    var receiving = false
    var all: [String] = []

    mutating func add(_ name: String, _ path: String, _ suffix: MessageSuffix) {
        all.append(path)
        switch suffix {
        case .envelope: envelope = (name, path)
        case .content: content = (name, path)
        case .temporary: receiving = true
        }
    }
}

/// Walks spool folders, pairing `.hdr` and `.eml` files by base name; never follows a link.
struct SmarterMailSpoolWalker {
    var diagnostics: Diagnostics
    /// Threads that read a folder's pairs at once.
    var threads = 1
    private var buffer: [UInt8] = []
    private static let maxDepth = 6

    init(diagnostics: Diagnostics) { self.diagnostics = diagnostics }

    /// Names of a folder read at once: a folder of at most this many (by default 65,536, so
    /// 32,768 messages) is paired whole, a larger one a run at a time, so memory does not grow
    /// with the spool.
    var runNames = FileSystem.spoolRunNames

    mutating func walk(_ folder: String, queue: String?, depth: Int, visit: (QueuedMessage) -> Void) {
        guard let handle = FileSystem.Folder(folder) else {
            diagnostics.warn(folder, "cannot list the folder")
            return
        }
        var first = true
        let listed = FileSystem.listing(handle, runsOf: runNames) { listing, last in
            walk(listing, in: handle, queue: queue, depth: depth, whole: first && last, visit: visit)
            first = false
        }
        if !listed { diagnostics.warn(folder, "cannot list the folder") }
    }

    /// Reads one run of a folder's names: its subfolders, then its messages in name order.
    /// With `whole` false, the folder is read a run at a time, and a message's files that are
    /// not in this run are looked up by name (`lookUpFilesElsewhere`).
    private mutating func walk(_ listing: FileSystem.Listing, in handle: FileSystem.Folder, queue: String?, depth: Int,
                               whole: Bool, visit: (QueuedMessage) -> Void) {
        let folder = handle.path
        // The message files, as indices into the listing (4 bytes each: a run may hold 65,536
        // names), sorted below by base name, so that a message's files are side by side.
        var files: [Int32] = []
        files.reserveCapacity(listing.entries.count)
        for (index, e) in listing.entries.enumerated() {
            if let escaped = listing.escapedNonUTF8Name(e) {
                // Never left out silently: a message the selection could not see is said.
                diagnostics.warn(FileSystem.join(folder, escaped), "the file name is not UTF-8 (shown with \\xNN escapes): not read; rename it to include it")
                continue
            }
            let suffix = listing.withName(e, MessageSuffix.init)
            switch e.kind {
            case .folder:
                let name = listing.name(e), path = FileSystem.join(folder, name)
                if suffix != nil {
                    diagnostics.warn(path, "not a regular file (a folder)")
                    continue
                }
                guard depth < Self.maxDepth else {
                    diagnostics.warn(path, "folder nested too deep in the spool, not read")
                    continue
                }
                walk(path, queue: queue.map { "\($0)/\(name)" } ?? name, depth: depth + 1, visit: visit)
            case .link:
                diagnostics.warn(FileSystem.join(folder, listing.name(e)), "is a symbolic link (not followed)")
            case .file:
                if suffix != nil { files.append(Int32(index)) }
            case .missing:
                continue // delivered and removed between listing and looking
            case .other(let kind):
                diagnostics.warn(FileSystem.join(folder, listing.name(e)), "not a regular file (\(kind))")
            }
        }
        // Sorted by base name; one base name's files in the listing's order.
        let entries = listing.entries
        files.sort { a, b in
            let (ea, eb) = (entries[Int(a)], entries[Int(b)])
            let c = listing.compare(ea, eb, dropping: 4)
            return c != 0 ? c < 0 : listing.compare(ea, eb) < 0
        }
        // Where each message's files start in `files` (it ends where the next one starts).
        var starts: [Int32] = []
        for i in files.indices {
            if i == 0 || listing.compare(entries[Int(files[i - 1])], entries[Int(files[i])], dropping: 4) != 0 {
                starts.append(Int32(i))
            }
        }
        let fileCount = Int32(files.count)
        let queueName = queue ?? FileSystem.baseName(folder)
        // The pairs are read on several threads (slices of the folder, each with its own
        // buffer), then reported in the folder's order.
        Parallel.readMessages(starts, threads: threads, diagnostics: &diagnostics, visit: visit) { [files, starts] slice, found in
            var reader = SmarterMailSpoolWalker(diagnostics: Diagnostics())
            for k in slice.indices {
                let range = Int(starts[k])..<Int(k + 1 < starts.count ? starts[k + 1] : fileCount)
                var message = MessageFiles()
                for f in files[range] {
                    let e = entries[Int(f)]
                    let name = listing.name(e)
                    message.add(name, FileSystem.join(folder, name), listing.withName(e, MessageSuffix.init)!)
                }
                let first = entries[Int(files[range.lowerBound])]
                let id = listing.withName(first) { String(decoding: $0.dropLast(4), as: UTF8.self) }
                guard whole || Self.lookUpFilesElsewhere(&message, id: id, in: handle) else { continue }
                reader.readPair(id: id, queue: queueName, message, in: handle, visit: found)
            }
            return reader.diagnostics
        }
    }

    /// In a folder read a run at a time, a message's other files may be listed in another run:
    /// those not in this one are looked up by name, their suffix spelt as this run's (`.eml`
    /// beside `.hdr`, `.EML` beside `.HDR`), then in the other case. A message is read in the
    /// run that lists its envelope: false when this run does not and the folder holds one.
    /// The `.em_` temporary is looked for only when there is no `.eml` (the server renames the
    /// one to the other), in this run's case.
    static func lookUpFilesElsewhere(_ files: inout MessageFiles, id: String, in folder: FileSystem.Folder) -> Bool {
        let listed = files.envelope?.name ?? files.content?.name ?? ""
        let upper = listed.utf8.last.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ?? false
        func found(_ lower: String, _ capital: String, eitherCase: Bool = true) -> String? {
            let (first, second) = upper ? (id + capital, id + lower) : (id + lower, id + capital)
            if folder.holdsFile(first) { return first }
            return eitherCase && folder.holdsFile(second) ? second : nil
        }
        guard files.envelope != nil else { return found(".hdr", ".HDR") == nil }
        if files.content == nil, let name = found(".eml", ".EML") { files.add(name, FileSystem.join(folder.path, name), .content) }
        if files.content == nil, !files.receiving, let name = found(".em_", ".EM_", eitherCase: false) {
            files.add(name, FileSystem.join(folder.path, name), .temporary)
        }
        return true
    }

    /// Builds one message from the files sharing a base name.
    mutating func readPair(id: String, queue: String, _ files: MessageFiles, in folder: FileSystem.Folder, visit: (QueuedMessage) -> Void) {
        let eml = files.content?.path
        var message = QueuedMessage(id: id, queue: queue, state: "")
        message.contentPath = eml
        message.envelopePath = files.envelope?.path
        message.files = files.all
        if let content = files.content, let st = folder.status(content.name) {
            message.size = st.size
            message.created = LocalTime(unixTime: st.mtime)
        } else if eml != nil {
            message.contentPath = nil // vanished: delivered meanwhile
        }
        if let envelope = files.envelope {
            let hdr = envelope.path
            // Modified moments ago: the server may still be writing it (it writes .hdr in place).
            var hdrIsFresh = false
            do {
                let source = try ByteSource(envelope.name, in: folder, path: hdr, allowMapping: false)
                hdrIsFresh = Int(time(nil)) - source.modificationTime < ByteSource.settledAge
                if message.created == nil { message.created = LocalTime(unixTime: source.modificationTime) }
                guard try source.readAll(into: &buffer, limit: SmarterMailDialect.envelopeLimit) else {
                    diagnostics.warn(hdr, "envelope larger than \(SmarterMailDialect.envelopeLimit >> 20) MiB, not read")
                    return
                }
                let problem = buffer.withUnsafeBytes { SmarterMailEnvelope.parse($0, into: &message) }
                if let problem {
                    // A fresh .hdr not yet readable is being written, not damaged.
                    if hdrIsFresh {
                        message.state = "Writing"
                        message.beingWritten = true
                        diagnostics.filesRead += 1
                        visit(message)
                        return
                    }
                    diagnostics.warn(hdr, problem)
                    return
                }
            } catch .vanished {
                return // the server finished with it between listing and reading
            } catch {
                diagnostics.warn(hdr, error.reason)
                return
            }
            message.beingWritten = message.state.lowercased() == "writing" || files.receiving
            if message.contentPath == nil && !message.beingWritten {
                // The listing may be older than the .hdr: the server renames .em_ to .eml, then
                // rewrites the .hdr. Look again before calling it an orphan.
                let late = String(hdr.dropLast(4)) + ".eml"
                if let st = FileSystem.status(late), FileSystem.kind(late) == .file {
                    message.contentPath = late
                    message.size = st.size
                    message.files.append(late)
                } else if hdrIsFresh {
                    message.beingWritten = true // just written: its .eml is on its way
                } else {
                    diagnostics.note(hdr, "envelope (.hdr) without its message (.eml)")
                }
            }
        } else if message.contentPath != nil {
            if queue.lowercased().hasSuffix("drop") {
                // The pickup folder takes bare .eml files: the server reads the envelope from the
                // headers, and so does spoolsweep.
                message.state = "Drop"
                if let headers = try? MessageHeaders.read(path: eml!, buffer: &buffer) {
                    message.sender = headers.first("From").map { EnvelopeAddress.normalised($0.decoded) } ?? ""
                    message.recipients = (headers.all("To") + headers.all("Cc")).flatMap { field in
                        field.decoded.split(separator: ",").map { EnvelopeAddress.normalised(String($0)) }.filter { !$0.isEmpty }
                    }
                }
            } else {
                message.state = "Orphan"
                diagnostics.note(eml!, "message (.eml) without its envelope (.hdr)")
            }
        } else {
            return // only a temporary .em_: a message arriving right now
        }
        diagnostics.filesRead += 1
        visit(message)
    }
}
