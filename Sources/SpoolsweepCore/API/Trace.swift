/// `trace`: the messages a query names, each with its whole story.
public struct TraceReport: Sendable {
    public let server: String
    public let query: TraceQuery
    /// The stories told (at most `limit`), oldest first.
    public var stories: [MessageStory]
    /// How many messages the query named (more than `stories.count` when the limit cut).
    public var found: Int
    public let limit: Int
    /// The paths as typed, for the command a report suggests.
    public var pathsText = ""
}

extension Spoolsweep {
    /// Tells the story of each message `query` names, like exigrep: the logs are read twice (which
    /// messages, then their facts), the spool and the quarantine's journals once.
    public static func trace(
        _ input: InputSelection, query: TraceQuery, limit: Int, quarantineRoot: String?
    ) throws(SpoolsweepError) -> (TraceReport, Diagnostics) {
        guard limit > 0, limit <= 1_000_000 else { throw .badValue("--limit: expected 1 to 1000000, got \(limit)") }
        let (dialect, layout) = try input.locate()
        let keys = TraceKeys(dialect)
        var diagnostics = Diagnostics()

        // 1. Which messages: from the logs...
        var resolver = TraceResolver(query, keys: keys)
        dialect.readFacts(layout, range: nil, share: .all, into: &resolver, diagnostics: &diagnostics)
        var ids = resolver.resolved
        if case .id(let q) = query, !ids.contains(q) { ids.append(q) } // perhaps only in the spool or the quarantine
        var index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func add(_ id: String) {
            // A SmarterMail message known only by its delivery id takes its spool name.
            let short = keys.deliveryKey(id)
            if short != id, let i = index[short], ids[i] == short {
                ids[i] = id
                index[id] = i
                return
            }
            if index[id] == nil { index[id] = ids.count; ids.append(id) }
        }

        // ...the spool...
        var queued: [String: QueuedMessage] = [:]
        var buffer: [UInt8] = []
        if !layout.spoolRoots.isEmpty {
            dialect.readSpool(layout, threads: Parallel.threads(input.threads), diagnostics: &diagnostics) { m in
                let deliveryKey = keys.deliveryKey(m.id)
                var hit = index[m.id] != nil || (deliveryKey != m.id && index[deliveryKey] != nil)
                    || query.matches(id: m.id, sessionID: m.sessionID, sender: m.sender, account: m.account,
                                     recipients: m.recipients, deliveryKey: deliveryKey)
                if !hit, case .messageID(let wanted) = query,
                   let headers = try? MessageContent.headers(of: m, buffer: &buffer),
                   let field = headers.first("Message-ID")?.decoded {
                    var field = field
                    hit = field.withUTF8 { LogFields.bareMessageID(UnsafeRawBufferPointer($0)).printable } == wanted
                }
                guard hit else { return }
                add(m.id)
                queued[m.id] = m
            }
        }

        // Orphaned files elsewhere in the spool are no part of these messages' stories.
        let files = Set(queued.values.flatMap { $0.files + [$0.envelopePath, $0.contentPath].compactMap { $0 } })
        diagnostics.keepFindings { files.contains($0) }

        // ...and the quarantine's journals and purge audit.
        var events: [String: [QuarantineEvent]] = [:]
        if layout.spoolRoots.count == 1, let root = layout.spoolRoots.first, FileSystem.kind(root) == .folder {
            do {
                let store = try QuarantineStore(spoolRoot: root, root: quarantineRoot, create: false)
                // The compacted runs' history, then the journals still kept.
                var entries = store.history.read()
                for journal in try store.journals() {
                    for intent in journal.intents {
                        let outcome = journal.outcomeText(intent.seq, interrupted: "interrupted (spoolsweep spool recover settles it)")
                        entries.append(.init(header: journal.header, id: intent.id, sender: intent.sender, account: intent.account,
                                             recipients: intent.recipients, outcome: outcome,
                                             files: intent.files.map(QuarantineEvent.RecordedFile.init)))
                    }
                }
                for e in entries {
                    let deliveryKey = keys.deliveryKey(e.id)
                    guard index[e.id] != nil || (deliveryKey != e.id && index[deliveryKey] != nil)
                        || query.matches(id: e.id, sessionID: nil, sender: e.sender, account: e.account,
                                         recipients: e.recipients, deliveryKey: deliveryKey) else { continue }
                    add(e.id)
                    events[e.id, default: []].append(e.event)
                }
                // A purge whose journal is gone still has its audit record.
                for record in try store.purgeAudit().records {
                    guard let id = record["id"]?.stringValue, let run = record["run"]?.stringValue, index[id] != nil,
                          !(events[id] ?? []).contains(where: { $0.run == run }) else { continue }
                    events[id, default: []].append(QuarantineEvent(
                        time: record["time"]?.stringValue.flatMap(LocalTime.parse) ?? LocalTime(seconds: 0), operation: .purge,
                        run: run, batch: run, via: nil, outcome: "done", files: QuarantineEvent.RecordedFile.list(record["files"])))
                }
            } catch {
                diagnostics.warn(quarantineRoot ?? QuarantineStore.defaultRoot(for: root), "quarantine records not read: \(error)")
            }
        }

        // 2. Their facts, for the first `limit` of them.
        let shown = Array(ids.prefix(limit))
        var sink = TraceSink(ids: shown, keys: keys, numbered: dialect.numbersDeliveryAttempts)
        var again = Diagnostics() // the first reading reported on the files
        dialect.readFacts(layout, range: nil, share: .all, into: &sink, diagnostics: &again)
        var stories = sink.stories
        for i in stories.indices {
            stories[i].queued = queued[stories[i].id]
            // Runs are stamped to the second: within one, a quarantine comes before its restore or purge.
            let rank: [JournalOperation: Int] = [.quarantine: 0, .restore: 1, .purge: 2]
            stories[i].quarantine = (events[stories[i].id] ?? []).enumerated().sorted { a, b in
                (a.element.time, rank[a.element.operation]!, a.offset) < (b.element.time, rank[b.element.operation]!, b.offset)
            }.map(\.element)
        }
        // A named id nothing knows of is no story.
        stories.removeAll { s in
            s.received == nil && s.deliveries.isEmpty && s.removed == nil && s.queued == nil && s.quarantine.isEmpty
        }
        stories.sort { a, b in
            let (x, y) = (a.firstSeen ?? LocalTime(seconds: .max / 2_000), b.firstSeen ?? LocalTime(seconds: .max / 2_000))
            return x != y ? x < y : a.id < b.id
        }
        let found = ids.count - (shown.count - stories.count)
        return (TraceReport(server: dialect.name, query: query, stories: stories, found: found, limit: limit), diagnostics)
    }
}
