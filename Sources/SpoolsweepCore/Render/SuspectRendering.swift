extension SuspectReport: Report {
    var period: ReportPeriod { ReportPeriod(range: range, firstEntry: firstEntry, lastEntry: lastEntry, coverage: coverage) }

    private var thresholdText: String {
        let t = thresholds
        return "\(t.rateText) messages, \(t.recipientDomains) recipient domains, \(t.failedLogins) failed logins before a success, "
            + "\(t.loginIPs) login IPs, \(t.deferralPercent)% deferred or bounced, another envelope sender on \(t.forgedPercent)% of messages"
    }

    /// The suspects, ranked: each with its reasons, figures, activity chart (HTML) and the
    /// command that selects its queued messages; then the intrusion-detection blocks and the
    /// next steps.
    public var document: ReportDocument {
        var nodes: [ReportNode] = [
            .json("server", .string(server)),
            .json("period", period.json),
            .json("thresholds", thresholds.json),
        ]
        if suspects.isEmpty {
            nodes.append(.section(ReportSection("No sender crosses a threshold (\(counted(quietSenders, "sender")) seen).", shown: .read, [])))
        }
        nodes.append(.list(key: "suspects", suspects.enumerated().map { i, s in
            let crossed = s.reasons.filter(\.crosses).count
            var item = ReportSection("\(i + 1). \(s.name) (\(s.kindText)): score \(s.score), \(counted(crossed, "threshold")) crossed",
                                     [.json("rank", .int(i + 1))] + s.reportNodes(thresholds))
            item.indent = 3
            item.spacing = .after
            return item
        }))
        nodes.append(.json("quiet_senders", .int(quietSenders)))
        if !suspects.isEmpty && quietSenders > 0 {
            var quiet = ReportSection("\(quietSenders) other sender\(quietSenders == 1 ? "" : "s") crossed no threshold.", shown: .read, [])
            quiet.spacing = .none
            nodes.append(.section(quiet))
        }
        nodes.append(.section(ReportSection("Intrusion-detection blocks", shown: blocks.isEmpty ? .json : .all, [
            .table(ReportTable(key: "blocks", columns: [
                ReportColumn("time", key: "time"), ReportColumn("ip", key: "ip"), ReportColumn("rule", key: "rule"),
            ], rows: blocks.map { [.time($0.at), .address($0.ip), .text($0.rule)] })),
        ])))
        nodes.append(.section(ReportSection("Next steps", shown: nextSteps.isEmpty ? .json : .all,
                                            nextSteps.map { .command($0) } + [.json("next_steps", .strings(nextSteps))])))
        nodes.append(.table(ReportTable(key: nil, columns: [
            "rank", "kind", "name", "score", "messages", "recipients", "recipient_domains", "peak_in_window",
            "peak_window_start", "login_ips", "delivered", "deferred", "bounced", "queued", "queued_bytes",
            "top_subject", "reasons", "next_command",
        ].map { ReportColumn($0, key: $0) }, rows: suspects.enumerated().map { i, s in
            [.count(i + 1), .text(s.kind.rawValue), .address(s.name), .count(s.score), .count(s.messages), .count(s.recipients),
             .count(s.recipientDomains), .count(s.peakInWindow), .time(s.peakWindowStart), .list(s.loginIPs),
             .count(s.delivered), .count(s.deferred), .count(s.bounced), .count(s.queued.messages), .bytes(s.queued.bytes),
             .text(s.queued.topSubject ?? ""), .list(s.reasons.filter(\.crosses).map(\.code)), .text(s.nextCommand)]
        }, shown: .csv)))
        return ReportDocument(title: "Suspects (\(server)): \(period.text)",
                              lines: ["Thresholds: \(thresholdText)"] + (suspects.isEmpty ? [] : [""]), nodes: nodes)
    }
}

extension Suspect {
    /// What kind of sender it is, in words.
    public var kindText: String {
        if kind == .account { return "authenticated mailbox" }
        // Postfix's pickup names the local user (a web script as www-data) instead of an IP.
        return name.hasPrefix("uid=") ? "local submission through pickup" : "client IP relaying without authentication"
    }

    /// A suspect in a report (after its rank): its reasons, figures, activity (against
    /// `thresholds`, when given) and next command. `suspects` and `watch` alike.
    func reportNodes(_ thresholds: SuspectThresholds?) -> [ReportNode] {
        let s = self
        var reasons = ReportTable(key: "reasons", columns: [
            ReportColumn("", key: nil, shown: .read), ReportColumn("code", key: "code", shown: .json),
            ReportColumn("crosses", key: "crosses", shown: .json), ReportColumn("reason", key: "text"),
        ], rows: s.reasons.map { [.text($0.crosses ? "!" : "-"), .text($0.code), .flag($0.crosses), .text($0.text)] })
        reasons.header = false
        reasons.empty = nil
        reasons.gap = 1
        reasons.tones = s.reasons.map { $0.crosses ? .bad : .plain }
        var nodes: [ReportNode] = [
            .json("kind", .string(s.kind.rawValue)),
            .json("name", .string(s.name)),
            .json("score", .int(s.score)),
            .table(reasons),
        ]
        let shown: ReportFormats = [.json, .html]
        nodes += [
            .value("messages", "messages", .count(s.messages), shown: shown),
            .value("recipients", "recipients", .count(s.recipients), shown: shown),
            .value("recipient_domains", "recipient domains", .count(s.recipientDomains), shown: shown),
            .value("peak_in_window", "peak in \(thresholds.map { formatDuration($0.rateWindow) } ?? "window")", .count(s.peakInWindow), shown: shown),
            .value("peak_window_start", "peak from", .time(s.peakWindowStart), shown: shown),
            .value("login_ips", "login IPs", .list(s.loginIPs), shown: shown),
            .json("envelope_senders", .array(s.envelopeSenders.map {
                .object([("address", .string($0.name)), ("messages", .int($0.count))])
            })),
            .json("remote_outcomes", .object([("delivered", .int(s.delivered)), ("deferred", .int(s.deferred)), ("bounced", .int(s.bounced))])),
            .value(nil, "remote deliveries", .count(s.delivered + s.deferred + s.bounced),
                   note: "delivered \(s.delivered), deferred \(s.deferred), bounced \(s.bounced)", shown: .html),
            .json("queued", .object([
                ("messages", .int(s.queued.messages)), ("bytes", .int(s.queued.bytes)),
                ("top_subject", .optional(s.queued.topSubject)), ("top_subject_messages", .int(s.queued.topSubjectCount)),
                ("top_script", .optional(s.queued.topScript)), ("top_script_messages", .int(s.queued.topScriptCount)),
            ])),
            .value(nil, "queued now", .count(s.queued.messages), note: formatBytes(s.queued.bytes), shown: .html),
            .field(ReportField(key: "next_command", label: "next", value: .text(s.nextCommand), inline: true)),
        ]
        if !s.hosts.isEmpty { nodes.append(.json("hosts", .strings(s.hosts))) }
        if let thresholds, let chart = activityChart(thresholds) { nodes.append(.chart(chart)) }
        return nodes
    }

    /// The members of a suspect's JSON object (after its rank): in `suspects` and `watch` alike.
    public var jsonMembers: [(String, JSON)] { JSONRenderer.members(reportNodes(nil)) }

    /// Its messages per rate window (10 minutes by default) against the threshold, the first
    /// successful login after failures marked.
    private func activityChart(_ th: SuspectThresholds) -> ReportChart? {
        guard !activity.counts.isEmpty else { return nil }
        let step = activity.step
        let labels = activity.counts.indices.map { LocalTime(milliseconds: activity.start.milliseconds + Int64($0) * step).description }
        var marks: [ReportChart.Mark] = []
        if let b = breakIn {
            let i = Int((b.at.milliseconds - activity.start.milliseconds) / step)
            if i >= 0 && i < labels.count {
                marks.append(.init(at: i, "\(counted(b.failed, "failed login")) from \(b.ip), then a successful login at \(b.at)"))
            }
        }
        return ReportChart("Messages per \(formatDuration(step / 1000))", .stackedBars, labels: labels,
                           series: [.init("messages", activity.counts)],
                           threshold: step == th.rateWindow * 1000 ? (th.rateCount, "threshold \(th.rateCount)") : nil,
                           marks: marks)
    }
}

extension SuspectThresholds {
    /// The thresholds as `suspects` and `watch` print them in JSON.
    public var json: JSON {
        .object([
            ("rate", .string(rateText)),
            ("recipient_domains", .int(recipientDomains)),
            ("failed_logins", .int(failedLogins)),
            ("login_ips", .int(loginIPs)),
            ("deferral_percent", .int(deferralPercent)),
            ("forged_sender_percent", .int(forgedPercent)),
        ])
    }
}
