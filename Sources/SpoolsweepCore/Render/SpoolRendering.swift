/// `spool list` output: one line (text, CSV, JSON Lines) or object (JSON) per selected message.
public enum SpoolListing {
    public static func rendered(_ selected: [SelectedMessage], format: OutputFormat) -> String {
        switch format {
        case .text, .html: return text(selected) // (html is refused before)
        case .json: return json(selected).rendered()
        case .csv: return CSV.line(csvHeader) + selected.map(csvLine).joined()
        case .jsonl: return selected.map(jsonLine).joined()
        }
    }

    /// The CSV header, and one message's CSV line (newline included).
    public static let csvHeader = ["id", "queue", "state", "age_seconds", "size", "sender", "auth", "client_ip", "recipients", "subject"]
    public static func csvLine(_ s: SelectedMessage) -> String {
        let m = s.message
        return CSV.line([m.id, m.queue, m.state, s.age.map(String.init) ?? "", "\(m.size)", m.sender,
                         m.account ?? "", m.clientIP ?? "", "\(m.recipients.count)", s.subject])
    }

    /// One message's JSON Lines line: the object of the JSON `messages` array, on one line.
    public static func jsonLine(_ s: SelectedMessage) -> String {
        object(s).compact() + "\n"
    }

    static func text(_ selected: [SelectedMessage]) -> String {
        if selected.isEmpty { return "No queued message matches.\n" }
        let withHistory = selected.first?.history != nil
        var columns: [(String, TextTable.Alignment)] = [
            ("id", .left), ("queue", .left), ("state", .left), ("age", .right), ("size", .right), ("sender", .left),
            ("auth", .left), ("client ip", .left), ("rcpts", .right)]
        if withHistory { columns += [("tries", .right), ("last outcome", .left)] }
        var table = TextTable(columns + [("subject", .left)])
        var bytes = 0
        for s in selected {
            let m = s.message
            bytes += m.size
            var row = [m.id.terminalSafe, m.queue.terminalSafe, m.state.terminalSafe, s.age.map(formatAge) ?? "?",
                       formatBytes(m.size), (m.sender.isEmpty ? "<>" : m.sender).terminalSafe.clipped(40),
                       (m.account ?? "-").terminalSafe.clipped(40), (m.clientIP ?? "-").terminalSafe,
                       "\(m.recipients.count)"]
            if let h = s.history {
                row += ["\(h.attempts)", (h.lastOutcome ?? "-").terminalSafe.clipped(40)]
            }
            table.add(row + [s.subject.terminalSafe.clipped(60)])
        }
        return table.rendered(indent: 0)
            + "\(selected.count) message\(selected.count == 1 ? "" : "s"), \(formatBytes(bytes))\n"
    }

    public static func json(_ selected: [SelectedMessage]) -> JSON {
        .object([
            ("count", .int(selected.count)),
            ("messages", .array(selected.map(object))),
        ])
    }

    /// One element of the JSON `messages` array.
    public static func object(_ s: SelectedMessage) -> JSON {
        let m = s.message
        return .object([
            ("id", .string(m.id)), ("queue", .string(m.queue)), ("state", .string(m.state)),
            ("created", .optional(m.created?.description)),
            ("age_seconds", s.age.map { .int(Int($0)) } ?? .null),
            ("size", .int(m.size)), ("sender", .string(m.sender)), ("auth", .optional(m.account)),
            ("client_ip", .optional(m.clientIP)), ("helo", .optional(m.helo)),
            ("session_id", .optional(m.sessionID)), ("attempts", m.attempts.map { .int($0) } ?? .null),
            ("next_attempt", .optional(m.nextAttempt?.description)),
            ("recipients", .strings(m.recipients)), ("subject", .string(s.subject)),
            ("envelope_path", .optional(m.envelopePath)), ("content_path", .optional(m.contentPath)),
        ] + (s.history.map { h in
            [("history", JSON.object([
                ("session_id", .optional(h.sessionID)), ("client_ip", .optional(h.clientIP)),
                ("login", .optional(h.login)), ("received", .optional(h.received?.description)),
                ("attempts", .int(h.attempts)), ("last_attempt", .optional(h.lastAttempt?.description)),
                ("last_outcome", .optional(h.lastOutcome)),
            ]))]
        } ?? []))
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
