/// `spool list` output: one table of the messages selected (text and HTML a row each with the
/// count and bytes after it, JSON the `messages` array after its `count`), whose rows CSV and
/// JSON Lines also write one at a time as the spool is read.
public enum SpoolListing {
    /// The columns of listings without and with each message's `--history`, built once.
    static let plainColumns = columns(history: false), historyColumns = columns(history: true)
    private static let csvTable = ReportTable(key: nil, columns: plainColumns)

    /// The columns, for listings with or without each message's `--history`.
    private static func columns(history: Bool) -> [ReportColumn] {
        let withHistory: ReportFormats = history ? .read : []
        return [
            ReportColumn("id", key: "id"), ReportColumn("queue", key: "queue"), ReportColumn("state", key: "state"),
            ReportColumn("created", key: "created", shown: .json),
            ReportColumn("age", key: "age_seconds", right: true, blank: "?"),
            ReportColumn("size", key: "size"),
            ReportColumn("sender", key: "sender", blank: "<>", clip: 40),
            ReportColumn("auth", key: "auth", blank: "-", clip: 40),
            ReportColumn("client ip", key: "client_ip", blank: "-"),
            ReportColumn("helo", key: "helo", shown: .json), ReportColumn("session", key: "session_id", shown: .json),
            ReportColumn("attempts", key: "attempts", shown: .json), ReportColumn("next attempt", key: "next_attempt", shown: .json),
            ReportColumn("recipients", key: "recipients", shown: .json),
            ReportColumn("rcpts", key: "recipients", shown: [.text, .csv, .html]),
            ReportColumn("tries", key: nil, shown: withHistory, right: true),
            ReportColumn("last outcome", key: nil, shown: withHistory, blank: "-", clip: 40),
            ReportColumn("subject", key: "subject", clip: 60),
            ReportColumn("envelope", key: "envelope_path", shown: .json), ReportColumn("content", key: "content_path", shown: .json),
            ReportColumn("history", key: "history", shown: .json),
        ]
    }

    /// One message's row of `columns`.
    static func row(_ s: SelectedMessage) -> [ReportValue] {
        let m = s.message
        return [
            .text(m.id), .text(m.queue), .text(m.state), .time(m.created), s.age.map { .age($0) } ?? .none, .bytes(m.size),
            .address(m.sender), .optional(m.account), m.clientIP.map(ReportValue.address) ?? .none,
            .optional(m.helo), .optional(m.sessionID), m.attempts.map(ReportValue.count) ?? .none, .time(m.nextAttempt),
            .list(m.recipients), .count(m.recipients.count),
            s.history.map { .count($0.attempts) } ?? .omitted, s.history.map { .optional($0.lastOutcome) } ?? .omitted,
            .text(s.subject), .optional(m.envelopePath), .optional(m.contentPath),
            s.history.map { h in
                .json(.object([
                    ("session_id", .optional(h.sessionID)), ("client_ip", .optional(h.clientIP)),
                    ("login", .optional(h.login)), ("received", .optional(h.received?.description)),
                    ("attempts", .int(h.attempts)), ("last_attempt", .optional(h.lastAttempt?.description)),
                    ("last_outcome", .optional(h.lastOutcome)),
                ]))
            } ?? .omitted,
        ]
    }

    public static func document(_ selected: [SelectedMessage]) -> ReportDocument {
        let bytes = selected.reduce(0) { $0 + $1.message.size }
        let total = "\(counted(selected.count, "message")), \(formatBytes(bytes))"
        var table = ReportTable(key: "messages", columns: selected.first?.history != nil ? historyColumns : plainColumns, rows: selected.map(row))
        table.lines = true
        var listed = ReportSection(nil, [.table(table), .section(ReportSection(total, shown: .text, []).spaced(.none))])
        listed.indent = 0
        listed.spacing = .none
        var d = ReportDocument(title: selected.isEmpty ? "No queued message matches." : "Queued messages: \(total)",
                               nodes: [.json("count", .int(selected.count))] + (selected.isEmpty ? [.json("messages", .array([]))] : [.section(listed)]))
        d.titleInText = selected.isEmpty
        return d
    }

    /// The CSV header, and one message's CSV line (newline included): the rows CSV streams.
    public static let csvHeader: [String] = CSVRenderer.header(csvTable)
    public static func csvLine(_ s: SelectedMessage) -> String { CSVRenderer.line(csvTable, row(s)) }

    /// One message's JSON Lines line: the object of the JSON `messages` array, on one line.
    public static func jsonLine(_ s: SelectedMessage) -> String {
        JSONRenderer.object(s.history != nil ? historyColumns : plainColumns, row(s)).compact() + "\n"
    }
}

extension SpoolShape: Report {
    private static var bucketHeaders: [String] { bucketMinutes.map { "\($0)m" } + ["\(bucketMinutes.last!)m+"] }

    /// The queue by age: per recipient domain and per sender, messages in each age bucket; in
    /// CSV one block of both tables.
    public var document: ReportDocument {
        var title = "Queue shape: \(messages) message\(messages == 1 ? "" : "s"), \(formatBytes(bytes))"
        if !states.isEmpty { title += " (" + states.map { "\($0.name) \($0.count)" }.joined(separator: ", ") + ")" }
        let buckets = Self.bucketHeaders.map { ReportColumn($0, key: nil, shown: .read) }
        func section(_ what: String, _ key: String, _ rows: [Row], of total: Int) -> ReportNode {
            .section(ReportSection("By \(what)" + (rows.count < total ? " (top \(rows.count) of \(total); --top 0 for all)" : ""), [
                .chart(ReportChart("Queued by \(what) and age", .ranking, labels: rows.map(\.name),
                                   series: Self.bucketHeaders.indices.map { b in .init(Self.bucketHeaders[b], rows.map { $0.buckets[b] }) })),
                .table(ReportTable(key: key, columns: [ReportColumn(what, key: "name"), ReportColumn("total", key: "total")] + buckets
                                   + [ReportColumn("buckets", key: "buckets", shown: .json)],
                                   rows: rows.map { r in [.address(r.name), .count(r.total)] + r.buckets.map(ReportValue.count)
                                       + [.json(.array(r.buckets.map(JSON.int)))] })),
            ]))
        }
        return ReportDocument(title: title, lines: ["Columns: messages by age in minutes (5m: younger than 5 minutes, 10m: 5 to 10, ...)."], nodes: [
            .json("messages", .int(messages)),
            .json("bytes", .int(bytes)),
            .json("states", .object(states.map { ($0.name, .int($0.count)) })),
            .json("bucket_minutes", .array(Self.bucketMinutes.map { .int(Int($0)) })),
            section("recipient domain", "by_recipient_domain", byRecipientDomain, of: domainCount),
            .json("recipient_domains", .int(domainCount)),
            section("sender", "by_sender", bySender, of: senderCount),
            .json("senders", .int(senderCount)),
            .table(ReportTable(key: nil, columns: (["table", "name", "total"] + Self.bucketHeaders).map { ReportColumn($0, key: $0) },
                               rows: byRecipientDomain.map { [.text("recipient_domain"), .text($0.name), .count($0.total)] + $0.buckets.map(ReportValue.count) }
                                   + bySender.map { [.text("sender"), .text($0.name), .count($0.total)] + $0.buckets.map(ReportValue.count) },
                               shown: .csv)),
        ])
    }
}
