extension WatchNotice {
    private var headline: String {
        let s = suspect
        let word = event == .alert ? "ALERT" : "REMINDER"
        let crossed = s.reasons.filter(\.crosses).map(\.code).joined(separator: ", ")
        var text = "\(at) \(word) \(s.name) (\(s.kindText)): score \(s.score), over \(crossed)"
        if event == .reminder { text += "; \(counted(newMessages, "message")) more since the last notice, alerted at \(alertedAt)" }
        return text
    }

    /// The notice as the terminal shows it: the headline, the reasons (`!` over a threshold),
    /// the next command, and what `--hold` did.
    public func text() -> String {
        var out = headline.terminalSafe + "\n"
        for r in suspect.reasons { out += "   \(r.crosses ? "!" : "-") \(r.text.terminalSafe)\n" }
        out += "   next: \(suspect.nextCommand.terminalSafe)\n"
        if let hold { out += "   hold: \(hold.terminalSafe)\n" }
        return out
    }

    /// The notice as one JSON object: the event, its time, the server, the thresholds, then the
    /// sender as `suspects --format json` gives it.
    public func json() -> JSON {
        .object([
            ("event", .string(event.rawValue)),
            ("time", .string(at.description)),
            ("server", .string(server)),
            ("alerted_at", .string(alertedAt.description)),
            ("new_messages", .int(newMessages)),
            ("thresholds", thresholds.json),
        ] + suspect.jsonMembers + [("hold", .optional(hold))])
    }

    /// What `watch` prints when it stops: the senders over a threshold today, with their figures.
    public static func stoppedText(_ over: [Suspect], lines: Int) -> String {
        var out = "\(LocalTime.now()) STOPPED after \(counted(lines, "line")): "
        out += over.isEmpty ? "no sender over a threshold today\n" : "\(counted(over.count, "sender")) over a threshold today\n"
        for s in over {
            out += "   \(s.name.terminalSafe) (\(s.kindText)): score \(s.score), \(counted(s.messages, "message")), \(counted(s.recipients, "recipient")), peak \(s.peakInWindow)\n"
        }
        return out
    }

    public static func stoppedJSON(_ over: [Suspect], server: String, lines: Int) -> JSON {
        .object([("event", .string("stopped")), ("time", .string(LocalTime.now().description)), ("server", .string(server)),
                 ("lines", .int(lines)), ("suspects", .array(over.map { .object($0.jsonMembers) }))])
    }

    /// The variables `--exec` gets besides the JSON on its standard input.
    public var environment: [(String, String)] {
        [("SPOOLSWEEP_EVENT", event.rawValue), ("SPOOLSWEEP_TIME", at.description), ("SPOOLSWEEP_SERVER", server),
         ("SPOOLSWEEP_SENDER", suspect.name), ("SPOOLSWEEP_KIND", suspect.kind.rawValue), ("SPOOLSWEEP_SCORE", "\(suspect.score)"),
         ("SPOOLSWEEP_REASONS", suspect.reasons.filter(\.crosses).map(\.code).joined(separator: " ")),
         ("SPOOLSWEEP_MESSAGES", "\(suspect.messages)"), ("SPOOLSWEEP_NEXT_COMMAND", suspect.nextCommand)]
    }

    /// The notice as an e-mail for `sendmail -t -i`: plain text, the headline as the subject
    /// (the sender's name is attacker text: only printable ASCII reaches a header, RFC 2047
    /// encoded past that, never a line break).
    public func mail(to address: String, host: String) -> String {
        let subject = "[spoolsweep] \(event == .alert ? "ALERT" : "REMINDER") on \(host): \(suspect.name) (score \(suspect.score), over "
            + suspect.reasons.filter(\.crosses).map(\.code).joined(separator: ", ") + ")"
        return "To: \(MailText.headerSafe(address))\n"
            + "Subject: \(MailText.encodedHeader(subject))\n"
            + "Auto-Submitted: auto-generated\n"
            + "MIME-Version: 1.0\n"
            + "Content-Type: text/plain; charset=utf-8\n"
            + "Content-Transfer-Encoding: 8bit\n"
            + "\n"
            + text()
            + "\nThe JSON of this notice:\n" + json().compact() + "\n"
    }
}
