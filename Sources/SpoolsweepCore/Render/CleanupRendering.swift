extension MoveReport {
    /// `restoreArguments`: what follows the batch id in the `Undo:` line (the options the restore
    /// needs, then the paths), quoted for a shell.
    public func rendered(_ format: OutputFormat, restoreArguments: String) -> String {
        switch format {
        case .text, .html: return text(restoreArguments: restoreArguments) // (html is refused before)
        case .json, .jsonl: return json().rendered() // (jsonl is refused before: spool list only)
        case .csv: return CSV.render(header: Self.csvHeader, rows: csvRows)
        }
    }

    /// The CSV form: one row per message moved, skipped or failed.
    public static let csvHeader = ["id", "queue", "outcome", "sender", "auth", "size", "reason"]
    public var csvRows: [[String]] {
        moved.map { [$0.id, $0.queue, "moved", $0.sender, $0.account ?? "", "\($0.size)", ""] }
            + skipped.map { [$0.id, $0.queue, "skipped", $0.sender, $0.account ?? "", "\($0.size)", $0.reason ?? ""] }
            + failed.map { [$0.id, $0.queue, "failed", $0.sender, $0.account ?? "", "\($0.size)", $0.reason ?? ""] }
    }

    private var verb: (done: String, dry: String) {
        switch operation {
        case .quarantine: return ("Quarantined", "Would quarantine")
        case .purge: return ("Purged", "Would purge")
        case .restore: return ("Restored", "Would restore")
        }
    }

    func text(restoreArguments: String) -> String {
        var out = ""
        if recovery.journals > 0 {
            out += "Recovered \(recovery.journals) interrupted run(s) first: \(recovery.counts).\n"
        }
        let n = moved.count
        if n == 0 {
            out += "Nothing to \(operation.rawValue)\(dryRun ? " (dry run)" : ""): no selected message can be \(operation == .restore ? "restored" : operation == .purge ? "purged" : "quarantined").\n"
        } else {
            out += "\(dryRun ? verb.dry : verb.done) \(n) message\(n == 1 ? "" : "s") (\(formatBytes(bytes)))"
            switch operation {
            case .quarantine:
                if let via { out += dryRun ? " through \(via) (\(holdWords.hold))" : " into batch \(batch): \(holdWords.hold) through \(via)" }
                else { out += dryRun ? "" : " into batch \(batch)\n  folder: \(batchFolder)" }
            case .restore: out += " from batch \(batch)" + (via.map { ": \(holdWords.release) through \($0)" } ?? "")
            case .purge: out += dryRun ? "" : "; audit record in \(FileSystem.join(quarantineRoot, "purged.jsonl"))"
            }
            out += dryRun ? " (dry run: nothing changed)\n" : "\n"
        }
        if let tool = checkedTool { out += "Checked: \(tool) is there and serves this queue.\n" }
        if !moved.isEmpty {
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
            var table = TextTable([("sender", .left), ("auth", .left), ("messages", .right), ("bytes", .right)])
            for (k, v) in bySender.sorted(by: { ($1.value.0, $0.key) < ($0.value.0, $1.key) }) {
                table.add([k.sender.terminalSafe, k.auth.terminalSafe, "\(v.0)", formatBytes(v.1)])
            }
            out += "\nBy sender\n" + table.rendered()
        }
        for (title, list) in [("Skipped", skipped), ("Failed", failed)] where !list.isEmpty {
            out += "\n\(title) \(list.count)\n"
            var table = TextTable([("id", .left), ("queue", .left), ("reason", .left)])
            for m in list { table.add([m.id.terminalSafe, m.queue.terminalSafe, (m.reason ?? "").terminalSafe]) }
            out += table.rendered()
        }
        if operation == .quarantine && !dryRun && n > 0 {
            out += "\nUndo: spoolsweep spool restore \(batch) \(restoreArguments)".trimmingTrailingSpace + "\n"
        }
        return out
    }

    public func json() -> JSON {
        func list(_ l: [MessageOutcome]) -> JSON {
            .array(l.map { m in
                .object([("id", .string(m.id)), ("queue", .string(m.queue)), ("sender", .string(m.sender)),
                         ("auth", .optional(m.account)), ("size", .int(m.size))]
                        + (m.reason.map { [("reason", JSON.string($0))] } ?? []))
            })
        }
        return .object([
            ("operation", .string(operation.rawValue)), ("run", .string(run)), ("batch", .string(batch)),
            ("batch_folder", .string(batchFolder)), ("via", .optional(via)), ("quarantine_root", .string(quarantineRoot)), ("dry_run", .bool(dryRun)),
            ("count", .int(moved.count)), ("bytes", .int(bytes)),
            ("moved", list(moved)), ("skipped", list(skipped)), ("failed", list(failed)),
            ("recovered", .object([("journals", .int(recovery.journals)), ("completed", .int(recovery.completed)),
                                   ("rolled_back", .int(recovery.rolledBack)), ("audit_records", .int(recovery.auditRecords)),
                                   ("problems", .strings(recovery.problems))])),
            ("problems", .strings(problems)),
        ])
    }
}

extension RecoveryReport {
    public func text() -> String {
        if journals == 0 { return "Nothing to recover: no interrupted run.\n" }
        var out = "Recovered \(journals) interrupted run(s): \(counts).\n"
        for p in problems { out += "  problem: \(p.terminalSafe)\n" }
        return out
    }

    /// `3 message(s) completed, 1 left in place` (and the audit records written, if any).
    var counts: String {
        "\(completed) message(s) completed, \(rolledBack) left in place"
            + (auditRecords > 0 ? ", \(auditRecords) purge audit record(s) written" : "")
    }

    public func json() -> JSON {
        .object([("journals", .int(journals)), ("completed", .int(completed)), ("rolled_back", .int(rolledBack)),
                 ("audit_records", .int(auditRecords)), ("problems", .strings(problems))])
    }

    /// One row: the counts, and the problems joined by `; `.
    public func csv() -> String {
        CSV.render(header: ["journals", "completed", "rolled_back", "audit_records", "problems"],
                   rows: [["\(journals)", "\(completed)", "\(rolledBack)", "\(auditRecords)", problems.joined(separator: "; ")]])
    }

    public func rendered(_ format: OutputFormat) -> String {
        format == .csv ? csv() : text()
    }
}

extension QuarantineListing {
    public func rendered(_ format: OutputFormat, purgedOnly: Bool) -> String {
        switch format {
        case .json, .jsonl: return json(purgedOnly: purgedOnly).rendered() // (jsonl: refused before)
        case .csv:
            if purgedOnly {
                return CSV.render(header: ["time", "run", "id", "queue", "sender", "auth", "recipients", "subject", "size"],
                                  rows: purged.map { r in
                                      ["time", "run", "id", "queue", "sender", "auth"].map { r[$0]?.stringValue ?? "" }
                                          + ["\(r["recipients"]?.arrayValue?.count ?? 0)", r["subject"]?.stringValue ?? "", "\(r["size"]?.intValue ?? 0)"]
                                  })
            }
            return CSV.render(header: ["batch", "quarantined", "id", "queue", "sender", "auth", "recipients", "size", "subject"],
                              rows: messages.map { h, i in
                                  [h.batch, h.started.description, i.id, i.queue, i.sender, i.account ?? "", "\(i.recipients.count)", "\(i.size)", i.subject]
                              })
        case .text, .html: // (html is refused before)
            var out = ""
            if interruptedRuns > 0 {
                out += "\(interruptedRuns) interrupted run(s) wait for recovery: run `spoolsweep spool recover`.\n\n"
            }
            if purgedOnly {
                if purged.isEmpty { return out + "Nothing purged yet (\(root)/purged.jsonl).\n" }
                var table = TextTable([("time", .left), ("id", .left), ("sender", .left), ("auth", .left), ("rcpts", .right), ("size", .right), ("subject", .left)])
                for r in purged {
                    table.add([r["time"]?.stringValue ?? "", (r["id"]?.stringValue ?? "").terminalSafe, (r["sender"]?.stringValue ?? "").terminalSafe,
                               (r["auth"]?.stringValue ?? "-").terminalSafe, "\(r["recipients"]?.arrayValue?.count ?? 0)",
                               formatBytes(r["size"]?.intValue ?? 0), (r["subject"]?.stringValue ?? "").terminalSafe.clipped(60)])
                }
                return out + "Purged messages (\(purged.count)), from \(root)/purged.jsonl\n" + table.rendered()
            }
            if messages.isEmpty { return out + (olderThan.map { "No quarantine batch older than \($0) (\(root)).\n" } ?? "Quarantine is empty (\(root)).\n") }
            var batches: [String] = []
            var byBatch: [String: [(JournalHeader, JournalIntent)]] = [:]
            for (h, i) in messages {
                if byBatch[h.batch] == nil { batches.append(h.batch) }
                byBatch[h.batch, default: []].append((h, i))
            }
            for b in batches {
                let items = byBatch[b]!
                let bytes = items.reduce(0) { $0 + $1.1.size }
                out += "Batch \(b): \(items.count) message\(items.count == 1 ? "" : "s"), \(formatBytes(bytes)), quarantined \(items[0].0.started)\(items[0].0.via.map { ", \(holdWords.held) (through \($0))" } ?? "")\n"
                var table = TextTable([("id", .left), ("queue", .left), ("sender", .left), ("auth", .left), ("rcpts", .right), ("size", .right), ("subject", .left)])
                for (_, i) in items {
                    table.add([i.id.terminalSafe, i.queue.terminalSafe, (i.sender.isEmpty ? "<>" : i.sender).terminalSafe,
                               (i.account ?? "-").terminalSafe, "\(i.recipients.count)", formatBytes(i.size), i.subject.terminalSafe.clipped(60)])
                }
                out += table.rendered() + "\n"
            }
            return out
        }
    }

    public func json(purgedOnly: Bool) -> JSON {
        if purgedOnly { return .object([("root", .string(root)), ("purged", .array(purged))]) }
        return .object([
            ("root", .string(root)),
            ("interrupted_runs", .int(interruptedRuns)),
            ("messages", .array(messages.map { h, i in
                .object([("batch", .string(h.batch)), ("quarantined", .string(h.started.description)), ("via", .optional(h.via)), ("id", .string(i.id)),
                         ("queue", .string(i.queue)), ("state", .string(i.state)), ("sender", .string(i.sender)),
                         ("auth", .optional(i.account)), ("client_ip", .optional(i.clientIP)), ("recipients", .strings(i.recipients)),
                         ("subject", .string(i.subject)), ("size", .int(i.size)), ("files", .strings(i.files.map(\.path.description)))])
            })),
        ])
    }
}
