/// The daily e-mail: the summary of a period with the suspects of the same logs named at the
/// top, as one message with text and HTML alternatives, sent through the local sendmail.
public struct DailyMail: Sendable {
    public let summary: TrafficSummary
    public let suspects: SuspectReport
    /// Where it was read and the figures of the subject: `[spoolsweep] mail1 smartermail
    /// 2026-11-28: 629 accepted, 506 delivered, 613 deferred, 103 bounced; 2 suspects: ...`.
    public let subject: String
    /// The report both parts render: the suspects crossing a threshold, then the summary.
    public let document: ReportDocument

    public init(summary: TrafficSummary, suspects: SuspectReport, host: String) {
        self.summary = summary
        self.suspects = suspects
        let t = summary.totals
        var subject = "[spoolsweep] \(host) \(summary.server) \(Self.days(summary)): \(t.messages) accepted, "
            + "\(t.delivered) delivered, \(t.deferred) deferred, \(t.bounced) bounced"
        let names = suspects.suspects.map(\.name)
        subject += names.isEmpty ? "; no suspect"
            : "; \(counted(names.count, "suspect")): " + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "")
        self.subject = subject
        var d = summary.document
        let top: ReportNode
        if suspects.suspects.isEmpty {
            top = .section(ReportSection("No sender crosses a threshold (\(counted(suspects.quietSenders, "sender")) seen).", shown: .read, []))
        } else {
            top = .section(ReportSection("Suspects crossing a threshold", shown: .read, suspects.suspects.enumerated().flatMap { i, s -> [ReportNode] in
                let codes = s.reasons.filter(\.crosses).map(\.code).joined(separator: ", ")
                return [.line("\(i + 1). \(s.name) (\(s.kindText)): score \(s.score), over \(codes); \(counted(s.messages, "message")), peak \(s.peakInWindow)"),
                        .command(s.nextCommand)]
            } + [.line("Their evidence: spoolsweep suspects with the same period and paths.")]))
        }
        d.nodes.insert(top, at: 0)
        document = d
    }

    /// The days the summary covers, for the subject: `2026-11-28`, `2026-11-01 to 2026-11-07`.
    static func days(_ s: TrafficSummary) -> String {
        if let r = s.range, r.start != TimeRange.openStart, r.end != TimeRange.openEnd {
            let last = r.end.adding(seconds: -1)
            return r.start.day == last.day ? r.start.dateString : "\(r.start.dateString) to \(last.dateString)"
        }
        guard let first = s.firstEntry, let last = s.lastEntry else { return "no entries" }
        return first.day == last.day ? first.dateString : "\(first.dateString) to \(last.dateString)"
    }

    /// The message for `sendmail -t -i`; the HTML ends with what was read (`diagnostics`), as a
    /// report's page does.
    public func message(to address: String, read diagnostics: Diagnostics) -> String {
        var page = document
        page.nodes.append(diagnostics.reportSection)
        return MailText.alternative(to: address, subject: subject, text: document.rendered(.text), html: page.rendered(.html))
    }
}

extension Spoolsweep {
    /// The summary and the suspects of the logs under `input` in `range`, read once (the spool
    /// is not read: the mail names who crossed a threshold in the logs).
    public static func dailyMail(_ input: InputSelection, range: TimeRange?, top: Int, thresholds: SuspectThresholds,
                                 pathsText: String, host: String) throws(SpoolsweepError) -> (DailyMail, Diagnostics) {
        let run = try readLogs(input, range: range, rateWindow: thresholds.rateWindow)
        let summary = TrafficSummary(ledger: run.ledger, server: run.server, top: top)
        let suspects = SuspectReport(ledger: run.ledger, server: run.server, thresholds: thresholds, queued: [:],
                                     readQueued: { _, _ in }, top: 10, pathsText: pathsText)
        return (DailyMail(summary: summary, suspects: suspects, host: host), run.diagnostics)
    }

    /// Sends `message` through `sendmail -t -i`; an error says how sendmail failed.
    public static func send(_ message: String, sendmail: String) throws(SpoolsweepError) {
        let result: ToolRun.Result
        do {
            result = try ToolRun.run(sendmail, ["-t", "-i"], input: Array(message.utf8))
        } catch {
            throw .cannotWrite("--mail-to: \(error)")
        }
        guard result.status == 0 else {
            let last = result.lines.last.map { ": \($0)" } ?? ""
            throw .cannotWrite("--mail-to: \(sendmail) " + (result.status < 0 ? "was killed by signal \(-result.status)" : "exited with status \(result.status)") + last)
        }
    }
}
