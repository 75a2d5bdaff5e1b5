/// `trace` output: each message's story (an id or a Message-ID), or a brief list of an
/// address's messages; JSON the same data for scripts; CSV one row per message.
extension TraceReport: Report {
    /// Whether the report lists messages briefly (an address names many).
    var isList: Bool { if case .address = query { return true } else { return false } }

    /// Each message's story (an id or a Message-ID) in lines, or a brief table of an address's
    /// messages; JSON the same data for scripts; CSV one row per message.
    public var document: ReportDocument {
        var nodes: [ReportNode] = [
            .json("server", .string(server)),
            .json("query", .object([("text", .string(query.text)), ("kind", .string(query.kind))])),
            .json("found", .int(found)), .json("shown", .int(stories.count)), .json("limit", .int(limit)),
        ]
        let title = stories.isEmpty ? "No message matches \(query.text) in the \(server) logs, spool or quarantine read."
            : isList ? "Messages from or to \(query.text) (\(server)):" : "Trace of \(query.text) (\(server))"
        if stories.isEmpty {
            nodes.append(.json("messages", .array([])))
        } else if isList {
            nodes.append(.json("messages", .array(stories.map(Self.json))))
            let footer = "\(counted(stories.count, "message")). The whole story of one: spoolsweep trace ID\(pathsText.isEmpty ? "" : " " + pathsText)"
            nodes.append(.section(ReportSection(nil, shown: .read, [
                .table(ReportTable(key: nil, columns: ["received", "id", "sender", "auth", "client ip", "rcpts", "tries", "last outcome", "now"]
                    .map { ReportColumn($0, key: nil, right: $0 == "rcpts" || $0 == "tries" ? true : nil, clip: 40) },
                                   rows: stories.map { row($0).map(ReportValue.text) })),
                .section(ReportSection(footer, shown: .text, []).spaced(.none)),
            ]).indented(0).spaced(.none)))
        } else {
            nodes.append(.list(key: "messages", stories.enumerated().map { i, story in
                var lines = self.story(story).split(separator: "\n").map(String.init)
                let heading = lines.removeFirst()
                guard case .object(let members) = Self.json(story) else { return ReportSection(heading, []) }
                return ReportSection(heading, members.map { .json($0.0, $0.1) } + lines.map { .line($0) })
                    .indented(0).spaced(i == 0 ? .none : .before)
            }))
        }
        if found > stories.count {
            nodes.append(.section(ReportSection("Showing \(stories.count) of \(found) messages (--limit \(limit)).", shown: .read, [])))
        }
        nodes.append(.table(ReportTable(key: nil, columns: ["received", "id", "sender", "auth", "client_ip", "recipients", "attempts", "last_outcome", "now"]
            .map { ReportColumn($0, key: $0) }, rows: stories.map { row($0, missing: "").map(ReportValue.text) }, shown: .csv)))
        var d = ReportDocument(title: title, nodes: nodes)
        d.titleInText = stories.isEmpty || isList
        return d
    }

    // MARK: - One message

    private func story(_ s: MessageStory) -> String {
        var out = "Message \(s.id.terminalSafe) (\(server))\n"
        let blank = String(repeating: " ", count: 23)
        if let r = s.received {
            var how = "received from \(r.clientIP.terminalSafe)"
            if let session = r.session { how += " in SMTP session \(session.terminalSafe)" }
            if !r.protocolName.isEmpty { how += " (\(r.protocolName.terminalSafe))" }
            out += "  \(r.time)  \(how)\n"
            var who: [String] = []
            if let helo = r.helo { who.append("HELO \(helo.terminalSafe)") }
            who.append(r.login.map { "authenticated as \($0.terminalSafe)" } ?? "not authenticated")
            out += blank + who.joined(separator: ", ") + "\n"
            out += blank + "envelope from <\(r.sender.terminalSafe)> to \(r.recipients.count) recipient\(r.recipients.count == 1 ? "" : "s"): "
                + r.recipients.map(\.terminalSafe).joined(separator: ", ") + "\n"
            var what = ["\(r.size) bytes"]
            if let id = r.messageID { what.append("Message-ID <\(id.terminalSafe)>") }
            out += blank + what.joined(separator: ", ") + "\n"
        } else {
            out += "  (its receipt is not in the logs read)\n"
        }
        for d in s.deliveries {
            let attempt = d.attempt > 0 ? "attempt \(d.attempt) " : ""
            if d.isLocal {
                out += "  \(d.time)  \(attempt)delivered locally to \(d.recipient.terminalSafe)\n"
                continue
            }
            // The outcome in spoolsweep's word, then the server's own, unless it says the same.
            let detail = d.detail.terminalSafe.clipped(160)
            let said = detail.isEmpty || detail == d.outcome.name ? d.outcome.name
                : detail.lowercased().hasPrefix(d.outcome.name) ? detail : "\(d.outcome.name) (\(detail))"
            out += "  \(d.time)  \(attempt)to \(d.recipient.terminalSafe): \(said)\n"
        }
        if s.deliveriesNotShown > 0 { out += blank + "… \(s.deliveriesNotShown) more delivery lines not shown\n" }
        if let t = s.removed { out += "  \(t)  removed from the queue\n" }
        if let m = s.queued {
            var now = "in the spool, \(m.queue.terminalSafe)" + (m.state == m.queue ? "" : ", state \(m.state.terminalSafe)") + ", \(m.size) bytes"
            if let c = m.created { now += ", since \(c)" }
            if let a = m.attempts { now += ", \(a) attempt\(a == 1 ? "" : "s")" }
            if let n = m.nextAttempt { now += ", next \(n)" }
            out += "  Now: \(now)\n"
            var envelope = "envelope from <\(m.sender.terminalSafe)> to \(m.recipients.count) recipient\(m.recipients.count == 1 ? "" : "s")"
            if let a = m.account { envelope += ", auth \(a.terminalSafe)" }
            if let ip = m.clientIP { envelope += ", client \(ip.terminalSafe)" }
            if let h = m.helo { envelope += ", HELO \(h.terminalSafe)" }
            out += "       \(envelope)\n"
            for f in m.files { out += "       \(f.terminalSafe)\n" }
        } else {
            out += "  Now: \(s.whereNow == "unknown" ? "not in the spool" : "not in the spool (\(s.whereNow))")\n"
        }
        if s.quarantine.isEmpty {
            out += "  Quarantine: no record\n"
        } else {
            out += "  Quarantine:\n"
            for e in s.quarantine {
                let what: String
                switch e.operation {
                case .quarantine: what = "quarantined into batch \(e.batch)"
                case .restore: what = "restored from batch \(e.batch)"
                case .purge: what = "purged (run \(e.run))"
                }
                let via = e.via.map { " through \($0)" } ?? ""
                out += "  \(e.time)  \(what)\(via): \(e.outcome.terminalSafe)\n"
            }
        }
        return out
    }

    // MARK: - An address's messages

    /// The brief row of a message: the text list's and the CSV's.
    /// `missing` stands for what is not known (text `-`, CSV empty).
    private func row(_ s: MessageStory, missing: String = "-") -> [String] {
        let r = s.received
        let last = s.deliveries.last.map { $0.isLocal ? "delivered locally" : "\($0.outcome.name): \($0.detail)" } ?? missing
        return [(r?.time ?? s.firstSeen).map { "\($0)" } ?? missing, s.id,
                r.map { $0.sender.isEmpty ? "<>" : $0.sender } ?? s.queued.map { $0.sender.isEmpty ? "<>" : $0.sender } ?? missing,
                r?.login ?? s.queued?.account ?? missing, r?.clientIP ?? s.queued?.clientIP ?? missing,
                "\(r?.recipients.count ?? s.queued?.recipients.count ?? 0)", "\(s.deliveries.last?.attempt ?? 0)", last, s.whereNow]
    }

    // MARK: - JSON

    static func json(_ s: MessageStory) -> JSON {
        .object([
            ("id", .string(s.id)),
            ("now", .string(s.whereNow)),
            ("received", s.received.map { r in
                .object([
                    ("time", .string(r.time.description)), ("session_id", .optional(r.session)), ("client_ip", .string(r.clientIP)),
                    ("helo", .optional(r.helo)), ("login", .optional(r.login)), ("protocol", .string(r.protocolName)),
                    ("sender", .string(r.sender)), ("recipients", .strings(r.recipients)), ("size", .int(r.size)),
                    ("message_id", .optional(r.messageID)),
                ])
            } ?? .null),
            ("deliveries", .array(s.deliveries.map { d in
                .object([
                    ("time", .string(d.time.description)), ("attempt", .int(d.attempt)), ("recipient", .string(d.recipient)),
                    ("local", .bool(d.isLocal)), ("outcome", .string(d.outcome.name)), ("detail", .string(d.detail)),
                ])
            })),
            ("deliveries_not_shown", .int(s.deliveriesNotShown)),
            ("removed", .optional(s.removed?.description)),
            ("queued", s.queued.map { m in
                .object([
                    ("queue", .string(m.queue)), ("state", .string(m.state)), ("size", .int(m.size)),
                    ("created", .optional(m.created?.description)), ("sender", .string(m.sender)),
                    ("recipients", .strings(m.recipients)), ("auth", .optional(m.account)), ("client_ip", .optional(m.clientIP)),
                    ("helo", .optional(m.helo)), ("session_id", .optional(m.sessionID)),
                    ("attempts", m.attempts.map { .int($0) } ?? .null), ("next_attempt", .optional(m.nextAttempt?.description)),
                    ("files", .strings(m.files)),
                ])
            } ?? .null),
            ("quarantine", .array(s.quarantine.map { e in
                .object([
                    ("time", .string(e.time.description)), ("operation", .string(e.operation.rawValue)), ("run", .string(e.run)),
                    ("batch", .string(e.batch)), ("via", .optional(e.via)), ("outcome", .string(e.outcome)),
                    ("files", .array(e.files.map { f in
                        .object([("path", .string(f.path)), ("size", .int(f.size)), ("sha256", .string(f.sha256))])
                    })),
                ])
            })),
        ])
    }
}
