extension SuspectReport: Report {
    var period: ReportPeriod { ReportPeriod(range: range, firstEntry: firstEntry, lastEntry: lastEntry, coverage: coverage) }

    private var thresholdText: String {
        let t = thresholds
        return "\(t.rateText) messages, \(t.recipientDomains) recipient domains, \(t.failedLogins) failed logins before a success, "
            + "\(t.loginIPs) login IPs, \(t.deferralPercent)% deferred or bounced, another envelope sender on \(t.forgedPercent)% of messages"
    }

    // MARK: Text

    public func text() -> String {
        var out = "Suspects (\(server)): \(period.text)\nThresholds: \(thresholdText)\n\n"
        if suspects.isEmpty {
            out += "No sender crosses a threshold (\(quietSenders) sender\(quietSenders == 1 ? "" : "s") seen).\n"
        }
        for (i, s) in suspects.enumerated() {
            let crossed = s.reasons.filter(\.crosses).count
            out += "\(i + 1). \(s.name.terminalSafe) (\(s.kindText)): score \(s.score), \(crossed) threshold\(crossed == 1 ? "" : "s") crossed\n"
            for r in s.reasons {
                out += "   \(r.crosses ? "!" : "-") \(r.text.terminalSafe)\n"
            }
            out += "   next: \(s.nextCommand.terminalSafe)\n\n"
        }
        if !suspects.isEmpty && quietSenders > 0 {
            out += "\(quietSenders) other sender\(quietSenders == 1 ? "" : "s") crossed no threshold.\n"
        }
        if !blocks.isEmpty {
            out += "\nIntrusion-detection blocks\n"
            var table = TextTable([("time", .left), ("ip", .left), ("rule", .left)])
            for b in blocks { table.add(["\(b.at)", b.ip.terminalSafe, b.rule.terminalSafe]) }
            out += table.rendered()
        }
        if !nextSteps.isEmpty {
            out += "\nNext steps\n" + nextSteps.map { "  \($0.terminalSafe)\n" }.joined()
        }
        return out
    }

    // MARK: JSON

    public func json() -> JSON {
        .object([
            ("server", .string(server)),
            ("period", period.json),
            ("thresholds", thresholds.json),
            ("suspects", .array(suspects.enumerated().map { i, s in .object([("rank", .int(i + 1))] + s.jsonMembers) })),
            ("quiet_senders", .int(quietSenders)),
            ("blocks", .array(blocks.map {
                .object([("time", .string($0.at.description)), ("ip", .string($0.ip)), ("rule", .string($0.rule))])
            })),
            ("next_steps", .strings(nextSteps)),
        ])
    }

    // MARK: CSV

    public func csv() -> String {
        CSV.render(
            header: ["rank", "kind", "name", "score", "messages", "recipients", "recipient_domains", "peak_in_window",
                     "peak_window_start", "login_ips", "delivered", "deferred", "bounced", "queued", "queued_bytes",
                     "top_subject", "reasons", "next_command"],
            rows: suspects.enumerated().map { i, s in
                ["\(i + 1)", s.kind.rawValue, s.name, "\(s.score)", "\(s.messages)", "\(s.recipients)",
                 "\(s.recipientDomains)", "\(s.peakInWindow)", s.peakWindowStart.description,
                 s.loginIPs.joined(separator: " "), "\(s.delivered)", "\(s.deferred)", "\(s.bounced)",
                 "\(s.queued.messages)", "\(s.queued.bytes)", s.queued.topSubject ?? "",
                 s.reasons.filter(\.crosses).map(\.code).joined(separator: " "), s.nextCommand]
            })
    }
}

extension Suspect {
    /// What kind of sender it is, in words.
    public var kindText: String {
        if kind == .account { return "authenticated mailbox" }
        // Postfix's pickup names the local user (a web script as www-data) instead of an IP.
        return name.hasPrefix("uid=") ? "local submission through pickup" : "client IP relaying without authentication"
    }

    /// The members of a suspect's JSON object (after its rank): in `suspects` and `watch` alike.
    public var jsonMembers: [(String, JSON)] {
        let s = self
        return [
            ("kind", .string(s.kind.rawValue)),
            ("name", .string(s.name)),
            ("score", .int(s.score)),
            ("reasons", .array(s.reasons.map {
                .object([("code", .string($0.code)), ("crosses", .bool($0.crosses)), ("text", .string($0.text))])
            })),
            ("messages", .int(s.messages)),
            ("recipients", .int(s.recipients)),
            ("recipient_domains", .int(s.recipientDomains)),
            ("peak_in_window", .int(s.peakInWindow)),
            ("peak_window_start", .string(s.peakWindowStart.description)),
            ("login_ips", .strings(s.loginIPs)),
            ("envelope_senders", .array(s.envelopeSenders.map {
                .object([("address", .string($0.name)), ("messages", .int($0.count))])
            })),
            ("remote_outcomes", .object([("delivered", .int(s.delivered)), ("deferred", .int(s.deferred)), ("bounced", .int(s.bounced))])),
            ("queued", .object([
                ("messages", .int(s.queued.messages)), ("bytes", .int(s.queued.bytes)),
                ("top_subject", .optional(s.queued.topSubject)), ("top_subject_messages", .int(s.queued.topSubjectCount)),
                ("top_script", .optional(s.queued.topScript)), ("top_script_messages", .int(s.queued.topScriptCount)),
            ])),
            ("next_command", .string(s.nextCommand)),
        ] + (s.hosts.isEmpty ? [] : [("hosts", .strings(s.hosts))])
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
