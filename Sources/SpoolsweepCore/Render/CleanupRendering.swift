extension MoveReport {
    /// The report of a quarantine, purge or restore: what was done in words, the messages moved
    /// by sender, those skipped and failed, and the command that undoes a quarantine
    /// (`restoreArguments`: what follows the batch id, the options the restore needs then the
    /// paths, quoted for a shell). JSON and CSV list every message.
    public func document(restoreArguments: String) -> ReportDocument {
        var lines: [String] = []
        if recovery.journals > 0 {
            lines.append("Recovered \(recovery.journals) interrupted run(s) first: \(recovery.counts).")
        }
        let n = moved.count
        if n == 0 {
            lines.append("Nothing to \(operation.rawValue)\(dryRun ? " (dry run)" : ""): no selected message can be \(operation == .restore ? "restored" : operation == .purge ? "purged" : "quarantined").")
        } else {
            var line = "\(dryRun ? verb.dry : verb.done) \(n) message\(n == 1 ? "" : "s") (\(formatBytes(bytes)))"
            switch operation {
            case .quarantine:
                if let via { line += dryRun ? " through \(via) (\(holdWords.hold))" : " into batch \(batch): \(holdWords.hold) through \(via)" }
                else { line += dryRun ? "" : " into batch \(batch)\n  folder: \(batchFolder)" }
            case .restore: line += " from batch \(batch)" + (via.map { ": \(holdWords.release) through \($0)" } ?? "")
            case .purge: line += dryRun ? "" : "; audit record in \(FileSystem.join(quarantineRoot, "purged.jsonl"))"
            }
            lines += (line + (dryRun ? " (dry run: nothing changed)" : "")).split(separator: "\n").map(String.init)
        }
        if let tool = checkedTool { lines.append("Checked: \(tool) is there and serves this queue.") }

        func messages(_ key: String, _ list: [MessageOutcome]) -> ReportTable {
            ReportTable(key: key, columns: [
                ReportColumn("id", key: "id"), ReportColumn("queue", key: "queue"), ReportColumn("sender", key: "sender", shown: .json),
                ReportColumn("auth", key: "auth", shown: .json), ReportColumn("size", key: "size", shown: .json),
                ReportColumn("reason", key: "reason"),
            ], rows: list.map { [.text($0.id), .text($0.queue), .address($0.sender), .optional($0.account), .count($0.size),
                                 $0.reason.map(ReportValue.text) ?? .omitted] })
        }
        struct Key: Hashable, Comparable {
            let sender: String, auth: String
            static func < (a: Key, b: Key) -> Bool { (a.sender, a.auth) < (b.sender, b.auth) }
        }
        var bySender: [Key: (Int, Int)] = [:]
        for m in moved {
            let key = Key(sender: m.sender.isEmpty ? "<>" : m.sender, auth: m.account ?? "-")
            bySender[key, default: (0, 0)].0 += 1
            bySender[key]!.1 += m.size
        }
        var nodes: [ReportNode] = [
            .json("operation", .string(operation.rawValue)), .json("run", .string(run)), .json("batch", .string(batch)),
            .json("batch_folder", .string(batchFolder)), .json("via", .optional(via)), .json("quarantine_root", .string(quarantineRoot)),
            .json("dry_run", .bool(dryRun)), .json("count", .int(moved.count)), .json("bytes", .int(bytes)),
            .table(ReportTable(key: "moved", columns: messages("", []).columns, rows: messages("", moved).rows, shown: .json)),
            .section(ReportSection("By sender", shown: moved.isEmpty ? [] : .read, [
                .table(ReportTable(key: nil, columns: [
                    ReportColumn("sender", key: nil), ReportColumn("auth", key: nil), ReportColumn("messages", key: nil),
                    ReportColumn("bytes", key: nil),
                ], rows: bySender.sorted(by: { ($1.value.0, $0.key) < ($0.value.0, $1.key) }).map {
                    [.address($0.key.sender), .address($0.key.auth), .count($0.value.0), .bytes($0.value.1)]
                })),
            ])),
        ]
        for (title, key, list) in [("Skipped", "skipped", skipped), ("Failed", "failed", failed)] {
            var table = messages(key, list)
            table.columns = table.columns.map { var c = $0; if c.key == "reason" { c.blank = "" }; return c }
            nodes.append(.section(ReportSection("\(title) \(list.count)", shown: list.isEmpty ? .json : .all, [.table(table)])))
        }
        nodes += [
            .json("recovered", .object([("journals", .int(recovery.journals)), ("completed", .int(recovery.completed)),
                                        ("rolled_back", .int(recovery.rolledBack)), ("audit_records", .int(recovery.auditRecords)),
                                        ("problems", .strings(recovery.problems))])),
            .json("problems", .strings(problems)),
        ]
        if operation == .quarantine && !dryRun && n > 0 {
            nodes.append(.section(ReportSection(nil, shown: .read, [
                .field(ReportField(key: nil, label: "Undo", value: .text("spoolsweep spool restore \(batch) \(restoreArguments)".trimmingTrailingSpace),
                                   inline: true)),
            ]).indented(0)))
        }
        nodes.append(.table(Self.csvTable([self])))
        return ReportDocument(title: lines[0], lines: Array(lines.dropFirst()), nodes: nodes)
    }

    /// The CSV form of reports (one or several batches): one row per message moved, skipped or
    /// failed, under one header.
    public static func csvTable(_ reports: [MoveReport]) -> ReportTable {
        ReportTable(key: nil, columns: ["id", "queue", "outcome", "sender", "auth", "size", "reason"].map { ReportColumn($0, key: $0) },
                    rows: reports.flatMap { r -> [[ReportValue]] in
                        [("moved", r.moved), ("skipped", r.skipped), ("failed", r.failed)].flatMap { outcome, list in
                            list.map { [.text($0.id), .text($0.queue), .text(outcome), .text($0.sender), .text($0.account ?? ""),
                                        .count($0.size), .text(outcome == "moved" ? "" : $0.reason ?? "")] }
                        }
                    }, shown: .csv)
    }

    private var verb: (done: String, dry: String) {
        switch operation {
        case .quarantine: return ("Quarantined", "Would quarantine")
        case .purge: return ("Purged", "Would purge")
        case .restore: return ("Restored", "Would restore")
        }
    }
}

extension RecoveryReport {
    /// What a recovery did: the runs it settled and how, and the problems it met.
    public var document: ReportDocument {
        ReportDocument(title: journals == 0 ? "Nothing to recover: no interrupted run." : "Recovered \(journals) interrupted run(s): \(counts).",
                       lines: journals == 0 ? [] : problems.map { "  problem: \($0)" }, nodes: [
            .json("journals", .int(journals)), .json("completed", .int(completed)), .json("rolled_back", .int(rolledBack)),
            .json("audit_records", .int(auditRecords)), .json("problems", .strings(problems)),
            // CSV: one row, the problems joined by `; `.
            .table(ReportTable(key: nil, columns: ["journals", "completed", "rolled_back", "audit_records", "problems"].map { ReportColumn($0, key: $0) },
                               rows: [[.count(journals), .count(completed), .count(rolledBack), .count(auditRecords), .text(problems.joined(separator: "; "))]],
                               shown: .csv)),
        ])
    }

    /// `3 message(s) completed, 1 left in place` (and the audit records written, if any).
    var counts: String {
        "\(completed) message(s) completed, \(rolledBack) left in place"
            + (auditRecords > 0 ? ", \(auditRecords) purge audit record(s) written" : "")
    }
}

extension QuarantineListing {
    /// What the quarantine holds, batch by batch (or, `purgedOnly`, the purge audit): the
    /// interrupted runs waiting for recovery first.
    public func document(purgedOnly: Bool) -> ReportDocument {
        var nodes: [ReportNode] = [.json("root", .string(root))]
        if interruptedRuns > 0 {
            nodes.append(.section(ReportSection("\(interruptedRuns) interrupted run(s) wait for recovery: run `spoolsweep spool recover`.", shown: .read, [])
                .spaced(.after)))
        }
        func said(_ line: String, _ content: [ReportNode] = []) -> ReportNode {
            .section(ReportSection(line, shown: .read, content).spaced(.none))
        }
        if purgedOnly {
            let file = "\(root)/purged.jsonl"
            nodes.append(.json("purged", .array(purged)))
            func string(_ r: JSON, _ key: String) -> String { r[key]?.stringValue ?? "" }
            if purged.isEmpty {
                nodes.append(said("Nothing purged yet (\(file))."))
            } else {
                nodes.append(said("Purged messages (\(purged.count)), from \(file)", [
                    .table(ReportTable(key: nil, columns: [
                        ReportColumn("time", key: nil), ReportColumn("id", key: nil), ReportColumn("sender", key: nil),
                        ReportColumn("auth", key: nil, blank: "-"), ReportColumn("rcpts", key: nil), ReportColumn("size", key: nil),
                        ReportColumn("subject", key: nil, clip: 60),
                    ], rows: purged.map { r in
                        [.text(string(r, "time")), .text(string(r, "id")), .address(string(r, "sender")), r["auth"]?.stringValue.map(ReportValue.address) ?? .none,
                         .count(r["recipients"]?.arrayValue?.count ?? 0), .bytes(r["size"]?.intValue ?? 0), .text(string(r, "subject"))]
                    })),
                ]))
            }
            nodes.append(.table(ReportTable(key: nil, columns: ["time", "run", "id", "queue", "sender", "auth", "recipients", "subject", "size"].map { ReportColumn($0, key: $0) },
                                            rows: purged.map { r in
                                                ["time", "run", "id", "queue", "sender", "auth"].map { ReportValue.text(string(r, $0)) }
                                                    + [.count(r["recipients"]?.arrayValue?.count ?? 0), .text(string(r, "subject")), .count(r["size"]?.intValue ?? 0)]
                                            }, shown: .csv)))
            return ReportDocument(title: "Purged messages (\(purged.count)), from \(file)", nodes: nodes).hidingTitle()
        }
        nodes.append(.json("interrupted_runs", .int(interruptedRuns)))
        nodes.append(.json("messages", .array(messages.map { h, i in
            .object([("batch", .string(h.batch)), ("quarantined", .string(h.started.description)), ("via", .optional(h.via)), ("id", .string(i.id)),
                     ("queue", .string(i.queue)), ("state", .string(i.state)), ("sender", .string(i.sender)),
                     ("auth", .optional(i.account)), ("client_ip", .optional(i.clientIP)), ("recipients", .strings(i.recipients)),
                     ("subject", .string(i.subject)), ("size", .int(i.size)), ("files", .strings(i.files.map(\.path.description)))])
        })))
        if messages.isEmpty {
            nodes.append(said(olderThan.map { "No quarantine batch older than \($0) (\(root))." } ?? "Quarantine is empty (\(root))."))
        }
        var batches: [String] = []
        var byBatch: [String: [(JournalHeader, JournalIntent)]] = [:]
        for (h, i) in messages {
            if byBatch[h.batch] == nil { batches.append(h.batch) }
            byBatch[h.batch, default: []].append((h, i))
        }
        for b in batches {
            let items = byBatch[b]!
            let bytes = items.reduce(0) { $0 + $1.1.size }
            let title = "Batch \(b): \(counted(items.count, "message")), \(formatBytes(bytes)), quarantined \(items[0].0.started)"
                + (items[0].0.via.map { ", \(holdWords.held) (through \($0))" } ?? "")
            nodes.append(.section(ReportSection(title, shown: .read, [
                .table(ReportTable(key: nil, columns: [
                    ReportColumn("id", key: nil), ReportColumn("queue", key: nil), ReportColumn("sender", key: nil, blank: "<>"),
                    ReportColumn("auth", key: nil, blank: "-"), ReportColumn("rcpts", key: nil), ReportColumn("size", key: nil),
                    ReportColumn("subject", key: nil, clip: 60),
                ], rows: items.map { _, i in
                    [.text(i.id), .text(i.queue), .address(i.sender), .optional(i.account), .count(i.recipients.count), .bytes(i.size), .text(i.subject)]
                })),
            ]).spaced(.after)))
        }
        nodes.append(.table(ReportTable(key: nil, columns: ["batch", "quarantined", "id", "queue", "sender", "auth", "recipients", "size", "subject"].map { ReportColumn($0, key: $0) },
                                        rows: messages.map { h, i in
                                            [.text(h.batch), .time(h.started), .text(i.id), .text(i.queue), .text(i.sender), .text(i.account ?? ""),
                                             .count(i.recipients.count), .count(i.size), .text(i.subject)]
                                        }, shown: .csv)))
        return ReportDocument(title: "Quarantine \(root): \(counted(messages.count, "message")) in \(counted(batches.count, "batch"))", nodes: nodes).hidingTitle()
    }
}
