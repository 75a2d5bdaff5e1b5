/// The output formats every report offers.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// `jsonl` (JSON Lines, one object a line) only for `spool list`: the CLI refuses it elsewhere.
    case text, json, csv, jsonl
}

/// A report in the three formats.
public protocol Report {
    func text() -> String
    func json() -> JSON
    func csv() -> String
}

extension Report {
    public func rendered(_ format: OutputFormat) -> String {
        switch format {
        case .text: return text()
        case .json, .jsonl: return json().rendered() // (jsonl is refused before: spool list only)
        case .csv: return csv()
        }
    }
}

/// The time a report covers: the period asked for, or else the first and last entry read.
struct ReportPeriod {
    let range: TimeRange?
    let firstEntry: LocalTime?
    let lastEntry: LocalTime?
    var coverage = LogCoverage()

    /// `2026-11-28`, `2026-11-01 to 2026-11-07`, `all logs read, <first> to <last>`, or `logs read
    /// but N unreadable (see the warnings), <first> to <last>`; with what the logs cover when the
    /// period holds none of them.
    var text: String {
        if let range {
            let asked: String
            let last = range.end.adding(seconds: -1)
            let (from, to) = (range.start, range.end)
            if to == TimeRange.openEnd {
                asked = "since " + (from.secondOfDay == 0 ? from.dateString : from.description)
            } else if from == TimeRange.openStart {
                asked = to.secondOfDay == 0 ? "through \(last.dateString)" : "before \(to)"
            } else if from.secondOfDay == 0 && to.secondOfDay == 0 {
                asked = from.day == last.day ? from.dateString : "\(from.dateString) to \(last.dateString)"
            } else {
                asked = "\(from) to \(to)"
            }
            guard firstEntry == nil, let days = coverage.days else { return asked }
            return "\(asked) (no log line in it: the logs cover \(LogCoverage.text(days)))"
        }
        guard let firstEntry, let lastEntry else { return "no entries" }
        if coverage.unreadable > 0 {
            return "logs read but \(coverage.unreadable) unreadable (see the warnings), \(firstEntry) to \(lastEntry)"
        }
        return "all logs read, \(firstEntry) to \(lastEntry)"
    }

    var json: JSON {
        .object([
            ("from", .optional(range.flatMap { $0.start == TimeRange.openStart ? nil : $0.start.description })),
            ("until", .optional(range.flatMap { $0.end == TimeRange.openEnd ? nil : $0.end.description })),
            ("first_entry", .optional(firstEntry?.description)),
            ("last_entry", .optional(lastEntry?.description)),
        ])
    }
}

extension TrafficSummary: Report {

    var period: ReportPeriod { ReportPeriod(range: range, firstEntry: firstEntry, lastEntry: lastEntry, coverage: coverage) }

    // MARK: Text

    public func text() -> String {
        var out = "Traffic summary (\(server)): \(period.text)\n\n"
        let t = totals
        let outcomeText = outcomes.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        let loginText = failedLogins.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        var totalsTable = TextTable([("", .left), ("", .right), ("", .left)])
        totalsTable.add(["messages accepted", "\(t.messages)", ""])
        totalsTable.add(["  inbound to local mailboxes", "\(t.inbound)", ""])
        totalsTable.add(["  sent by authenticated users", "\(t.authenticated)", ""])
        totalsTable.add(["  relayed without authentication", "\(t.relayed)", ""])
        totalsTable.add(["recipients", "\(t.recipients)", ""])
        totalsTable.add(["message bytes", formatBytes(t.bytes), ""])
        totalsTable.add(["local deliveries", "\(t.localDeliveries)", ""])
        totalsTable.add(["remote delivery attempts", "\(t.delivered + t.deferred + t.bounced)", outcomeText.isEmpty ? "" : "(\(outcomeText))"])
        totalsTable.add(["rejected commands (5xx)", "\(t.rejected)", ""])
        totalsTable.add(["failed logins", "\(t.failedLogins)", loginText.isEmpty ? "" : "(\(loginText))"])
        out += "Totals\n" + totalsTable.rendered(header: false)
        if let serverTotals { out += "\n" + serverTotalsText(serverTotals) }
        if !hosts.isEmpty {
            out += "\nPer host\n"
            out += countsTable(first: "host", rows: hosts.map { ($0.host.isEmpty ? "(unnamed)" : $0.host.terminalSafe, $0.counts) })
        }

        if days.count > 1 {
            out += "\nPer day\n"
            out += countsTable(first: "date", rows: days.map { ($0.date, $0.counts) })
        }
        out += "\nPer hour\n"
        out += countsTable(first: "hour", rows: hours.enumerated().map { ("\(pad($0.offset)):00", $0.element) })

        out += "\nPer local domain\n"
        if domains.isEmpty {
            out += "  (none)\n"
        } else {
            var table = TextTable([("domain", .left), ("msgs in", .right), ("rcpts in", .right), ("bytes in", .right),
                                   ("msgs out", .right), ("rcpts out", .right), ("bytes out", .right)])
            for d in domains {
                let x = d.traffic
                table.add([d.domain.terminalSafe, "\(x.inMessages)", "\(x.inRecipients)", formatBytes(x.inBytes),
                           "\(x.outMessages)", "\(x.outRecipients)", formatBytes(x.outBytes)])
            }
            out += table.rendered()
        }

        out += "\nLocal mailboxes" + (mailboxes.count < mailboxCount ? " (top \(mailboxes.count) of \(mailboxCount) by messages sent; --top 0 for all)" : "") + "\n"
        if mailboxes.isEmpty {
            out += "  (none)\n"
        } else {
            var table = TextTable([("mailbox", .left), ("sent", .right), ("rcpts", .right), ("rcpt domains", .right),
                                   ("bytes sent", .right), ("received", .right), ("bytes received", .right)])
            for m in mailboxes {
                table.add([m.mailbox.terminalSafe, "\(m.sent)", "\(m.sentRecipients)", "\(m.recipientDomains)",
                           formatBytes(m.sentBytes), "\(m.received)", formatBytes(m.receivedBytes)])
            }
            out += table.rendered()
        }
        out += "\nTop envelope senders\n" + namedTable("sender", topSenders)
        out += "\nTop recipients\n" + namedTable("recipient", topRecipients)
        return out
    }

    /// The dialect's own totals: the named counts, any notes, the per-hour table, then the
    /// per-domain tables (the first `top` rows of each), titled as pflogsumm titles them.
    private func serverTotalsText(_ st: ServerTotals) -> String {
        var counts = TextTable([("", .left), ("", .right)])
        for c in st.counts { counts.add([c.name, "\(c.value)"]) }
        var out = st.title + "\n" + counts.rendered(header: false)
        for note in st.notes { out += "  note: \(note)\n" }
        var hours = TextTable([("hour", .left)] + st.hourColumns.map { ($0, .right) })
        for (h, row) in st.hours.enumerated() { hours.add(["\(pad(h)):00"] + row.map(String.init)) }
        out += "\n" + hours.rendered()
        func shown(_ count: Int) -> String { top > 0 && count > top ? " (top \(top) of \(count); --top 0 for all)" : "" }
        if !st.deliveryDomains.isEmpty {
            var table = TextTable([("host/domain", .left), ("sent", .right), ("bytes", .right), ("defers", .right),
                                   ("avg delay", .right), ("max delay", .right)])
            for d in top > 0 ? st.deliveryDomains.prefix(top) : st.deliveryDomains[...] {
                table.add([d.domain.terminalSafe, "\(d.sent)", "\(d.bytes)", "\(d.deferrals)",
                           formatDelay(d.averageDelay), formatDelay(d.maxDelay)])
            }
            out += "\nHost/Domain Summary: Message Delivery" + shown(st.deliveryDomains.count) + "\n" + table.rendered()
        }
        if !st.receivedDomains.isEmpty {
            var table = TextTable([("host/domain", .left), ("messages", .right), ("bytes", .right)])
            for d in top > 0 ? st.receivedDomains.prefix(top) : st.receivedDomains[...] {
                table.add([d.domain.terminalSafe, "\(d.messages)", "\(d.bytes)"])
            }
            out += "\nHost/Domain Summary: Messages Received" + shown(st.receivedDomains.count) + "\n" + table.rendered()
        }
        return out
    }

    private func countsTable(first: String, rows: [(String, TrafficCounts)]) -> String {
        var table = TextTable([(first, .left), ("accepted", .right), ("inbound", .right), ("auth", .right),
                               ("relayed", .right), ("rcpts", .right), ("local", .right), ("delivered", .right),
                               ("deferred", .right), ("bounced", .right), ("rejected", .right), ("failed logins", .right)])
        for (key, c) in rows {
            table.add([key, "\(c.messages)", "\(c.inbound)", "\(c.authenticated)", "\(c.relayed)", "\(c.recipients)",
                       "\(c.localDeliveries)", "\(c.delivered)", "\(c.deferred)", "\(c.bounced)", "\(c.rejected)",
                       "\(c.failedLogins)"])
        }
        return table.rendered()
    }

    private func namedTable(_ what: String, _ rows: [Named]) -> String {
        if rows.isEmpty { return "  (none)\n" }
        var table = TextTable([(what, .left), ("messages", .right)])
        for r in rows { table.add([r.name.terminalSafe, "\(r.count)"]) }
        return table.rendered()
    }

    // MARK: JSON

    public func json() -> JSON {
        func counts(_ c: TrafficCounts) -> [(String, JSON)] {
            [("accepted", .int(c.messages)), ("inbound", .int(c.inbound)), ("authenticated", .int(c.authenticated)),
             ("relayed", .int(c.relayed)), ("recipients", .int(c.recipients)), ("bytes", .int(c.bytes)),
             ("local_deliveries", .int(c.localDeliveries)), ("delivered", .int(c.delivered)),
             ("deferred", .int(c.deferred)), ("bounced", .int(c.bounced)), ("rejected", .int(c.rejected)),
             ("failed_logins", .int(c.failedLogins))]
        }
        func named(_ key: String, _ rows: [Named]) -> JSON {
            .array(rows.map { .object([(key, .string($0.name)), ("messages", .int($0.count))]) })
        }
        return .object([
            ("server", .string(server)),
            ("period", period.json),
            ("totals", .object(counts(totals) + [
                ("remote_outcomes", .object(outcomes.map { ($0.name, .int($0.count)) })),
                ("failed_logins_by_protocol", .object(failedLogins.map { ($0.name, .int($0.count)) })),
            ])),
        ] + (hosts.isEmpty ? [] : [
            ("hosts", .array(hosts.map { .object([("host", .string($0.host))] + counts($0.counts)) })),
        ]) + (serverTotals.map { st in
            [("server_totals", .object(st.counts.map { ($0.name, .int($0.value)) } + [
                ("per_hour", .array(st.hours.enumerated().map { h, row in
                    .object([("hour", .int(h))] + zip(st.hourColumns, row).map { ($0.0, .int($0.1)) })
                })),
                ("deliveries_by_domain", .array(st.deliveryDomains.map { d in
                    .object([("domain", .string(d.domain)), ("sent", .int(d.sent)), ("bytes", .int(d.bytes)),
                             ("deferrals", .int(d.deferrals)), ("average_delay_seconds", .double(d.averageDelay)),
                             ("max_delay_seconds", .double(d.maxDelay))])
                })),
                ("received_by_domain", .array(st.receivedDomains.map { d in
                    .object([("domain", .string(d.domain)), ("messages", .int(d.messages)), ("bytes", .int(d.bytes))])
                })),
            ]))]
        } ?? []) + [
            ("days", .array(days.map { .object([("date", .string($0.date))] + counts($0.counts)) })),
            ("hours", .array(hours.enumerated().map { .object([("hour", .int($0.offset))] + counts($0.element)) })),
            ("domains", .array(domains.map { d in
                let x = d.traffic
                return .object([("domain", .string(d.domain)), ("in_messages", .int(x.inMessages)),
                                ("in_recipients", .int(x.inRecipients)), ("in_bytes", .int(x.inBytes)),
                                ("out_messages", .int(x.outMessages)), ("out_recipients", .int(x.outRecipients)),
                                ("out_bytes", .int(x.outBytes))])
            })),
            ("mailbox_count", .int(mailboxCount)),
            ("mailboxes", .array(mailboxes.map { m in
                .object([("mailbox", .string(m.mailbox)), ("sent", .int(m.sent)),
                         ("sent_recipients", .int(m.sentRecipients)), ("recipient_domains", .int(m.recipientDomains)),
                         ("sent_bytes", .int(m.sentBytes)), ("received", .int(m.received)),
                         ("received_bytes", .int(m.receivedBytes))])
            })),
            ("top_senders", named("address", topSenders)),
            ("top_recipients", named("address", topRecipients)),
        ])
    }

    // MARK: CSV

    /// Blocks separated by an empty line, each with its own header row: counts per period
    /// (total, each day, each hour), then domains, mailboxes, senders, recipients.
    public func csv() -> String {
        let countHeader = ["period", "accepted", "inbound", "authenticated", "relayed", "recipients", "bytes",
                           "local_deliveries", "delivered", "deferred", "bounced", "rejected", "failed_logins"]
        func row(_ key: String, _ c: TrafficCounts) -> [String] {
            [key] + [c.messages, c.inbound, c.authenticated, c.relayed, c.recipients, c.bytes, c.localDeliveries,
                     c.delivered, c.deferred, c.bounced, c.rejected, c.failedLogins].map(String.init)
        }
        var blocks: [String] = []
        blocks.append(CSV.render(header: countHeader, rows: [row("total", totals)] + days.map { row($0.date, $0.counts) }
            + hours.enumerated().map { row("hour \(pad($0.offset))", $0.element) } + hosts.map { row("host \($0.host)", $0.counts) }))
        blocks.append(CSV.render(
            header: ["domain", "in_messages", "in_recipients", "in_bytes", "out_messages", "out_recipients", "out_bytes"],
            rows: domains.map { d in
                let x = d.traffic
                return [d.domain] + [x.inMessages, x.inRecipients, x.inBytes, x.outMessages, x.outRecipients, x.outBytes].map(String.init)
            }))
        blocks.append(CSV.render(
            header: ["mailbox", "sent", "sent_recipients", "recipient_domains", "sent_bytes", "received", "received_bytes"],
            rows: mailboxes.map { m in
                [m.mailbox] + [m.sent, m.sentRecipients, m.recipientDomains, m.sentBytes, m.received, m.receivedBytes].map(String.init)
            }))
        blocks.append(CSV.render(header: ["sender", "messages"], rows: topSenders.map { [$0.name, "\($0.count)"] }))
        blocks.append(CSV.render(header: ["recipient", "messages"], rows: topRecipients.map { [$0.name, "\($0.count)"] }))
        if let st = serverTotals {
            blocks.append(CSV.render(header: ["server_total", "value"], rows: st.counts.map { [$0.name, String($0.value)] }))
            blocks.append(CSV.render(header: ["server_hour"] + st.hourColumns,
                                     rows: st.hours.enumerated().map { h, row in ["hour \(pad(h))"] + row.map(String.init) }))
            if !st.deliveryDomains.isEmpty {
                blocks.append(CSV.render(
                    header: ["server_delivery_domain", "sent", "bytes", "deferrals", "average_delay_seconds", "max_delay_seconds"],
                    rows: st.deliveryDomains.map { d in
                        [d.domain, String(d.sent), String(d.bytes), String(d.deferrals), String(d.averageDelay), String(d.maxDelay)]
                    }))
            }
            if !st.receivedDomains.isEmpty {
                blocks.append(CSV.render(header: ["server_received_domain", "messages", "bytes"],
                                         rows: st.receivedDomains.map { [$0.domain, String($0.messages), String($0.bytes)] }))
            }
        }
        return blocks.joined(separator: "\n")
    }
}

/// A delay as pflogsumm prints one (`adj_time_units`, then `%.1f`): seconds, or minutes above
/// 60 s, or hours above 3600 s, to one decimal — `0.4 s`, `11.7 m`, `2.0 h`. The decimal is
/// the one C's printf gives: the exact binary value rounded half to even.
func formatDelay(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "0.0 s" }
    let (value, unit) = seconds > 3600 ? (seconds / 3600, "h") : seconds > 60 ? (seconds / 60, "m") : (seconds, "s")
    // n tenths with n <= 10 * value < n + 1, each comparison exact (one rounding: fused multiply-add).
    var n = (value * 10).rounded(.down)
    while (-n).addingProduct(value, 10) < 0 { n -= 1 }
    while (-(n + 1)).addingProduct(value, 10) >= 0 { n += 1 }
    let above = (-(n + 0.5)).addingProduct(value, 10)
    if above > 0 || (above == 0 && n.truncatingRemainder(dividingBy: 2) == 1) { n += 1 }
    let tenths = Int(n)
    return "\(tenths / 10).\(tenths % 10) \(unit)"
}
