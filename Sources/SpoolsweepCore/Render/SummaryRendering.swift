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

    /// The summary: totals, the dialect's own totals, per host, day and hour, per domain and
    /// mailbox, the top senders and recipients; charts of the hours, days and tops in HTML.
    public var document: ReportDocument {
        let t = totals
        let outcomeText = outcomes.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        let loginText = failedLogins.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        var nodes: [ReportNode] = [
            .json("server", .string(server)),
            .json("period", period.json),
            .section(ReportSection("Totals", key: "totals", [
                .value("accepted", "messages accepted", .count(t.messages), tone: .strong),
                .value("inbound", "  inbound to local mailboxes", .count(t.inbound)),
                .value("authenticated", "  sent by authenticated users", .count(t.authenticated)),
                .value("relayed", "  relayed without authentication", .count(t.relayed)),
                .value("recipients", "recipients", .count(t.recipients)),
                .value("bytes", "message bytes", .bytes(t.bytes)),
                .value("local_deliveries", "local deliveries", .count(t.localDeliveries)),
                .value(nil, "remote delivery attempts", .count(t.delivered + t.deferred + t.bounced),
                       note: outcomeText.isEmpty ? nil : "(\(outcomeText))", shown: .read, tone: .strong),
                .value("delivered", nil, .count(t.delivered), shown: .json),
                .value("deferred", nil, .count(t.deferred), shown: .json),
                .value("bounced", nil, .count(t.bounced), shown: .json),
                .value("rejected", "rejected commands (5xx)", .count(t.rejected), tone: t.rejected > 0 ? .warning : .plain),
                .value("failed_logins", "failed logins", .count(t.failedLogins), note: loginText.isEmpty ? nil : "(\(loginText))",
                       tone: t.failedLogins > 0 ? .warning : .plain),
                .json("remote_outcomes", .object(outcomes.map { ($0.name, .int($0.count)) })),
                .json("failed_logins_by_protocol", .object(failedLogins.map { ($0.name, .int($0.count)) })),
            ])),
            .chart(ReportChart("Messages accepted per hour", .stackedBars, labels: hours.indices.map { pad($0) },
                               series: [.init("inbound", hours.map(\.inbound)), .init("authenticated", hours.map(\.authenticated)),
                                        .init("relayed", hours.map(\.relayed))])),
            .chart(ReportChart("Remote deliveries per hour", .stackedBars, labels: hours.indices.map { pad($0) },
                               series: [.init("delivered", hours.map(\.delivered), tone: .good), .init("deferred", hours.map(\.deferred), tone: .warning),
                                        .init("bounced", hours.map(\.bounced), tone: .bad)])),
        ]
        if let serverTotals { nodes.append(.section(serverTotalsSection(serverTotals))) }
        if !hosts.isEmpty {
            nodes.append(.section(ReportSection("Per host", [
                .table(countsTable("host", "hosts", hosts.map { (.address($0.host), $0.counts) })),
            ])))
        }
        let dayTable = countsTable("date", "days", days.map { (.text($0.date), $0.counts) })
        let dayChart = ReportChart("Messages and remote deliveries per day", .lines, labels: days.map(\.date), series: [
            .init("accepted", days.map(\.counts.messages)), .init("delivered", days.map(\.counts.delivered), tone: .good),
            .init("deferred", days.map(\.counts.deferred), tone: .warning), .init("bounced", days.map(\.counts.bounced), tone: .bad),
        ])
        nodes.append(days.count > 1 ? .section(ReportSection("Per day", [.chart(dayChart), .table(dayTable)])) : .table(ReportTable(
            key: dayTable.key, columns: dayTable.columns, rows: dayTable.rows, shown: .json)))
        nodes.append(.section(ReportSection("Per hour", [
            .table(countsTable("hour", "hours", hours.enumerated().map { (.hour($0.offset), $0.element) })),
        ])))
        nodes.append(.section(ReportSection("Per local domain", [
            .chart(ReportChart("Local domains by messages", .ranking, labels: domains.map(\.domain),
                               series: [.init("in", domains.map(\.traffic.inMessages)), .init("out", domains.map(\.traffic.outMessages))])),
            .table(ReportTable(key: "domains", columns: [
                ReportColumn("domain", key: "domain"), ReportColumn("msgs in", key: "in_messages"),
                ReportColumn("rcpts in", key: "in_recipients"), ReportColumn("bytes in", key: "in_bytes"),
                ReportColumn("msgs out", key: "out_messages"), ReportColumn("rcpts out", key: "out_recipients"),
                ReportColumn("bytes out", key: "out_bytes"),
            ], rows: domains.map { d in
                let x = d.traffic
                return [.address(d.domain), .count(x.inMessages), .count(x.inRecipients), .bytes(x.inBytes),
                        .count(x.outMessages), .count(x.outRecipients), .bytes(x.outBytes)]
            })),
        ])))
        nodes.append(.json("mailbox_count", .int(mailboxCount)))
        nodes.append(.section(ReportSection(
            "Local mailboxes" + (mailboxes.count < mailboxCount ? " (top \(mailboxes.count) of \(mailboxCount) by messages sent; --top 0 for all)" : ""), [
            .table(ReportTable(key: "mailboxes", columns: [
                ReportColumn("mailbox", key: "mailbox"), ReportColumn("sent", key: "sent"),
                ReportColumn("rcpts", key: "sent_recipients"), ReportColumn("rcpt domains", key: "recipient_domains"),
                ReportColumn("bytes sent", key: "sent_bytes"), ReportColumn("received", key: "received"),
                ReportColumn("bytes received", key: "received_bytes"),
            ], rows: mailboxes.map { m in
                [.address(m.mailbox), .count(m.sent), .count(m.sentRecipients), .count(m.recipientDomains),
                 .bytes(m.sentBytes), .count(m.received), .bytes(m.receivedBytes)]
            })),
        ])))
        nodes.append(.section(ReportSection("Top envelope senders", [
            .chart(ReportChart("Top envelope senders", .ranking, labels: topSenders.map(\.name), series: [.init("messages", topSenders.map(\.count))])),
            .table(namedTable("sender", "top_senders", topSenders)),
        ])))
        nodes.append(.section(ReportSection("Top recipients", [.table(namedTable("recipient", "top_recipients", topRecipients))])))
        if let details { nodes.append(.section(detailSection(details))) }
        nodes += csvTables
        return ReportDocument(title: "Traffic summary (\(server)): \(period.text)", nodes: nodes)
    }

    /// pflogsumm's detail sections, from the facts of any server: senders and recipients by
    /// messages and by size, deferrals and bounces by domain and reason, rejections by reason,
    /// logins per account, refusals by DNS blocklist and greylisting replies, connections and
    /// rejections per client. In JSON `details`.
    private func detailSection(_ d: SummaryDetails) -> ReportSection {
        func people(_ title: String, _ key: String, _ who: String, _ rows: [SummaryDetails.Row], bytesKnown: Bool = true) -> ReportNode {
            .section(ReportSection(title, [
                .table(ReportTable(key: key, columns: [
                    ReportColumn(who, key: "address"), ReportColumn("messages", key: "messages"),
                    ReportColumn("bytes", key: "bytes"),
                ], rows: rows.map { [.address($0.name), .count($0.count), bytesKnown ? .bytes($0.bytes) : .none] })),
            ]))
        }
        func problems(_ title: String, _ key: String, _ total: Int, _ rows: [SummaryDetails.Problem]) -> ReportNode {
            .section(ReportSection("\(title) (total: \(total))", [
                .json(key + "_total", .int(total)),
                .table(ReportTable(key: key, columns: [
                    ReportColumn("count", key: "count"), ReportColumn("domain", key: "domain"), ReportColumn("reason", key: "reason"),
                ], rows: rows.map { [.count($0.count), .address($0.domain), .text($0.reason)] })),
            ]))
        }
        // Recipients' bytes are the delivered messages' sizes where the log gives them (Postfix).
        let sized = d.recipientsBySize.contains { $0.bytes > 0 }
        return ReportSection("Detail (the first \(d.limit) rows of each list; --detail N)", key: "details", [
            .json("limit", .int(d.limit)),
            people("Senders by message count", "senders_by_count", "sender", d.sendersByCount),
            people("Senders by message size", "senders_by_size", "sender", d.sendersBySize),
            people("Recipients by message count (delivered)", "recipients_by_count", "recipient", d.recipientsByCount, bytesKnown: sized),
            sized ? people("Recipients by message size (delivered)", "recipients_by_size", "recipient", d.recipientsBySize)
                : .section(ReportSection("Recipients by message size (delivered)", [
                    .line("(this server's logs give no message size at delivery)"), .json("recipients_by_size", .array([])),
                ])),
            problems("Message deferral detail", "deferrals", d.deferralTotal, d.deferrals),
            problems("Message bounce detail", "bounces", d.bounceTotal, d.bounces),
            .section(ReportSection("Message reject detail (total: \(d.rejectionTotal))", [
                .json("rejections_total", .int(d.rejectionTotal)),
                .table(ReportTable(key: "rejections", columns: [ReportColumn("count", key: "count"), ReportColumn("reason", key: "reason", blank: "(no reason logged)")],
                                   rows: d.rejections.map { [.count($0.count), .text($0.reason)] })),
            ])),
            .section(ReportSection("Logins per account", [
                .table(ReportTable(key: "logins", columns: [
                    ReportColumn("account", key: "account"), ReportColumn("logins", key: "successes"), ReportColumn("failed", key: "failures"),
                ], rows: d.logins.map { [.address($0.account), .count($0.successes), .count($0.failures)] },
                   tones: d.logins.map { $0.failures > 0 ? .warning : .plain })),
            ])),
            .section(ReportSection("Refusals by DNS blocklist", [
                .table(ReportTable(key: "blocklists", columns: [ReportColumn("blocklist", key: "name"), ReportColumn("refusals", key: "refusals")],
                                   rows: d.blocklists.map { [.address($0.name), .count($0.count)] })),
                .value("greylisted", "greylisting replies", .count(d.greylisted)),
            ])),
            .section(ReportSection("Connections and rejections per client", [
                .table(ReportTable(key: "clients", columns: [
                    ReportColumn("client ip", key: "ip"), ReportColumn("connections", key: "connections"),
                    ReportColumn("messages", key: "messages"), ReportColumn("rejected", key: "rejected"),
                ], rows: d.clients.map { [.address($0.ip), .count($0.connections), .count($0.messages), .count($0.rejected)] })),
            ])),
        ])
    }

    /// The dialect's own totals: the named counts, any notes, the per-hour table, then the
    /// per-domain tables (the first `top` rows of each in text), titled as pflogsumm titles them.
    private func serverTotalsSection(_ st: ServerTotals) -> ReportSection {
        func shown(_ count: Int) -> String { top > 0 && count > top ? " (top \(top) of \(count); --top 0 for all)" : "" }
        var nodes: [ReportNode] = st.counts.map { .value($0.name, $0.name, .count($0.value)) }
        nodes += st.notes.map { .line("note: \($0)") }
        nodes.append(.section(ReportSection(nil, [
            .table(ReportTable(key: "per_hour", columns: [ReportColumn("hour", key: "hour")] + st.hourColumns.map { ReportColumn($0, key: $0) },
                               rows: st.hours.enumerated().map { h, row in [.hour(h)] + row.map(ReportValue.count) })),
        ])))
        let deliveryColumns = [ReportColumn("host/domain", key: "domain"), ReportColumn("sent", key: "sent"),
                               ReportColumn("bytes", key: "bytes"), ReportColumn("defers", key: "deferrals"),
                               ReportColumn("avg delay", key: "average_delay_seconds"), ReportColumn("max delay", key: "max_delay_seconds")]
        let delivery = st.deliveryDomains.map { d -> [ReportValue] in
            [.address(d.domain), .count(d.sent), .count(d.bytes), .count(d.deferrals), .delay(d.averageDelay), .delay(d.maxDelay)]
        }
        let receivedColumns = [ReportColumn("host/domain", key: "domain"), ReportColumn("messages", key: "messages"), ReportColumn("bytes", key: "bytes")]
        let received = st.receivedDomains.map { d -> [ReportValue] in [.address(d.domain), .count(d.messages), .count(d.bytes)] }
        // Text and HTML list the first `top` rows; JSON every row.
        func cut(_ rows: [[ReportValue]]) -> [[ReportValue]] { top > 0 ? Array(rows.prefix(top)) : rows }
        nodes.append(.table(ReportTable(key: "deliveries_by_domain", columns: deliveryColumns, rows: delivery, shown: .json)))
        nodes.append(.table(ReportTable(key: "received_by_domain", columns: receivedColumns, rows: received, shown: .json)))
        if !delivery.isEmpty {
            nodes.append(.section(ReportSection("Host/Domain Summary: Message Delivery" + shown(delivery.count), shown: .read, [
                .table(ReportTable(key: nil, columns: deliveryColumns, rows: cut(delivery))),
            ])))
        }
        if !received.isEmpty {
            nodes.append(.section(ReportSection("Host/Domain Summary: Messages Received" + shown(received.count), shown: .read, [
                .table(ReportTable(key: nil, columns: receivedColumns, rows: cut(received))),
            ])))
        }
        if let limit = details?.limit, !st.problems.isEmpty { nodes += problemSections(st, limit: limit) }
        return ReportSection(st.title, key: "server_totals", nodes)
    }

    /// With `--detail N`: the dialect's problem sections as its tool prints them (pflogsumm's
    /// reject, reject warning, hold and discard detail, warnings, fatal errors, panics), each
    /// group's first N reasons, and the SMTPD connections per client host/domain. JSON `problems`
    /// and `connections`.
    private func problemSections(_ st: ServerTotals, limit: Int) -> [ReportNode] {
        var nodes: [ReportNode] = []
        var json: [JSON] = []
        for p in st.problems {
            var rows: [[ReportValue]] = []
            for g in p.groups {
                for r in g.rows.prefix(limit) { rows.append([.text(g.name), .count(g.total), .count(r.count), .text(r.reason)]) }
            }
            json.append(.object([("title", .string(p.title)), ("total", .int(p.total)), ("groups", .array(p.groups.map { g in
                .object([("name", .string(g.name)), ("total", .int(g.total)),
                         ("reasons", .array(g.rows.prefix(limit).map { .object([("count", .int($0.count)), ("reason", .string($0.reason))]) }))])
            }))]))
            nodes.append(.section(ReportSection(p.groups.isEmpty ? "\(p.title): none" : "\(p.title) (total: \(p.total))", shown: .read,
                                                p.groups.isEmpty ? [] : [
                .table(ReportTable(key: nil, columns: [
                    ReportColumn("group", key: nil), ReportColumn("total", key: nil), ReportColumn("count", key: nil), ReportColumn("reason", key: nil),
                ], rows: rows)),
            ])))
        }
        nodes.append(.json("problems", .array(json)))
        nodes.append(.section(ReportSection("Host/Domain Summary: SMTPD Connections" + (st.connections.count > limit ? " (top \(limit) of \(st.connections.count))" : ""), [
            .table(ReportTable(key: "connections", columns: [ReportColumn("host/domain", key: "host"), ReportColumn("connections", key: "connections")],
                               rows: st.connections.prefix(limit).map { [.address($0.name), .count($0.value)] })),
        ])))
        return nodes
    }

    /// A table of counts, one row per host, day or hour: the message bytes in JSON and HTML only.
    private func countsTable(_ first: String, _ key: String, _ rows: [(ReportValue, TrafficCounts)]) -> ReportTable {
        ReportTable(key: key, columns: [
            ReportColumn(first, key: first), ReportColumn("accepted", key: "accepted"), ReportColumn("inbound", key: "inbound"),
            ReportColumn("auth", key: "authenticated"), ReportColumn("relayed", key: "relayed"),
            ReportColumn("rcpts", key: "recipients"), ReportColumn("bytes", key: "bytes", shown: [.json, .html]),
            ReportColumn("local", key: "local_deliveries"), ReportColumn("delivered", key: "delivered"),
            ReportColumn("deferred", key: "deferred"), ReportColumn("bounced", key: "bounced"),
            ReportColumn("rejected", key: "rejected"), ReportColumn("failed logins", key: "failed_logins"),
        ], rows: rows.map { name, c in
            [name, .count(c.messages), .count(c.inbound), .count(c.authenticated), .count(c.relayed), .count(c.recipients),
             .bytes(c.bytes), .count(c.localDeliveries), .count(c.delivered), .count(c.deferred), .count(c.bounced),
             .count(c.rejected), .count(c.failedLogins)]
        })
    }

    private func namedTable(_ what: String, _ key: String, _ rows: [Named]) -> ReportTable {
        ReportTable(key: key, columns: [ReportColumn(what, key: "address"), ReportColumn("messages", key: "messages")],
                    rows: rows.map { [.address($0.name), .count($0.count)] })
    }

    /// CSV's blocks: counts per period (total, each day, each hour, each host), then domains,
    /// mailboxes, senders, recipients, and the dialect's own totals.
    private var csvTables: [ReportNode] {
        func csv(_ header: [String], _ rows: [[ReportValue]]) -> ReportNode {
            .table(ReportTable(key: nil, columns: header.map { ReportColumn($0, key: $0) }, rows: rows, shown: .csv))
        }
        func row(_ key: String, _ c: TrafficCounts) -> [ReportValue] {
            [.text(key)] + [c.messages, c.inbound, c.authenticated, c.relayed, c.recipients, c.bytes, c.localDeliveries,
                            c.delivered, c.deferred, c.bounced, c.rejected, c.failedLogins].map(ReportValue.count)
        }
        var out = [
            csv(["period", "accepted", "inbound", "authenticated", "relayed", "recipients", "bytes", "local_deliveries",
                 "delivered", "deferred", "bounced", "rejected", "failed_logins"],
                [row("total", totals)] + days.map { row($0.date, $0.counts) } + hours.enumerated().map { row("hour \(pad($0.offset))", $0.element) }
                    + hosts.map { row("host \($0.host)", $0.counts) }),
            csv(["domain", "in_messages", "in_recipients", "in_bytes", "out_messages", "out_recipients", "out_bytes"],
                domains.map { d in
                    let x = d.traffic
                    return [.text(d.domain)] + [x.inMessages, x.inRecipients, x.inBytes, x.outMessages, x.outRecipients, x.outBytes].map(ReportValue.count)
                }),
            csv(["mailbox", "sent", "sent_recipients", "recipient_domains", "sent_bytes", "received", "received_bytes"],
                mailboxes.map { m in
                    [.text(m.mailbox)] + [m.sent, m.sentRecipients, m.recipientDomains, m.sentBytes, m.received, m.receivedBytes].map(ReportValue.count)
                }),
            csv(["sender", "messages"], topSenders.map { [.text($0.name), .count($0.count)] }),
            csv(["recipient", "messages"], topRecipients.map { [.text($0.name), .count($0.count)] }),
        ]
        if let st = serverTotals {
            out.append(csv(["server_total", "value"], st.counts.map { [.text($0.name), .count($0.value)] }))
            out.append(csv(["server_hour"] + st.hourColumns, st.hours.enumerated().map { h, row in [.hour(h)] + row.map(ReportValue.count) }))
            if !st.deliveryDomains.isEmpty {
                out.append(csv(["server_delivery_domain", "sent", "bytes", "deferrals", "average_delay_seconds", "max_delay_seconds"],
                               st.deliveryDomains.map { d in
                                   [.text(d.domain), .count(d.sent), .count(d.bytes), .count(d.deferrals), .delay(d.averageDelay), .delay(d.maxDelay)]
                               }))
            }
            if !st.receivedDomains.isEmpty {
                out.append(csv(["server_received_domain", "messages", "bytes"],
                               st.receivedDomains.map { [.text($0.domain), .count($0.messages), .count($0.bytes)] }))
            }
        }
        return out
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
