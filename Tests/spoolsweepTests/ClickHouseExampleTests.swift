import Foundation
import Testing

/// examples/clickhouse/: the table and SQL, run by chDB (the embedded ClickHouse engine) on the
/// events of each fixture, give exactly spoolsweep's own figures: the summary's totals, domains
/// and mailboxes, and the suspects' peak rate per account.
@Suite struct ClickHouseExampleTests {
    /// python3 as `make test` found it, with chDB where `make chdb` puts it.
    static func chdb(_ events: URL) throws -> CLI.Result {
        let env = ProcessInfo.processInfo.environment
        return try CLI.run(URL(fileURLWithPath: "/usr/bin/env"),
                           ["python3", CLI.root.appendingPathComponent("examples/clickhouse/chdb-run.py").path, events.path],
                           in: events.deletingLastPathComponent(),
                           environment: ["PATH": env["PATH"] ?? "/usr/bin:/bin",
                                         "PYTHONPATH": CLI.root.appendingPathComponent(".peers/python").path,
                                         "HOME": env["HOME"] ?? "/tmp"])
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text.prefix(500))")
    }

    /// Rows as comparable text, sorted by `key`.
    static func rows(_ value: Any?, key: String, fields: [String]) -> [String] {
        ((value as? [[String: Any]]) ?? []).map { r in fields.map { "\($0)=\(r[$0].map { "\($0)" } ?? "nil")" }.joined(separator: " ") }
            .sorted()
    }

    @Test(arguments: 0..<(EventsCLITests.inputs.count + 1))
    func sqlGivesSpoolsweepsFigures(_ index: Int) throws {
        let (label, folder, path) = index < EventsCLITests.inputs.count
            ? EventsCLITests.inputs[index] : ("lowlevel", try SmarterMailLowLevelCLITests.copy("chdb"), "smartermail-lowlevel")
        let out = try CLI.freshFolder("chdb-\(label)")
        let events = out.appendingPathComponent("events.ndjson")
        let written = try CLI.run(["events", "--host", "mx1", "-o", events.path, path], in: folder)
        #expect(written.status == 0, "\(written.stderr)")
        let run = try Self.chdb(events)
        try #require(run.status == 0, "chdb-run.py failed: \(run.stderr)")
        let sql = try Self.object(run.stdout)

        let summary = try Self.object(try CLI.run(["summary", "--format", "json", "--top", "0", path], in: folder).stdout)
        let totals = try #require(summary["totals"] as? [String: Any])
        let sqlTotals = try #require(sql["totals"] as? [String: Any])
        for key in ["accepted", "inbound", "authenticated", "relayed", "recipients", "bytes", "local_deliveries",
                    "delivered", "deferred", "bounced", "rejected", "failed_logins"] {
            #expect(sqlTotals[key] as? Int == totals[key] as? Int, "\(label) \(key)")
        }
        let domainFields = ["domain", "in_messages", "in_recipients", "in_bytes", "out_messages", "out_recipients", "out_bytes"]
        #expect(Self.rows(sql["domains"], key: "domain", fields: domainFields) == Self.rows(summary["domains"], key: "domain", fields: domainFields))
        let mailboxFields = ["mailbox", "sent", "sent_recipients", "recipient_domains", "sent_bytes", "received", "received_bytes"]
        let mailboxes = Self.rows(summary["mailboxes"], key: "mailbox", fields: mailboxFields)
        #expect(Self.rows(sql["mailboxes"], key: "mailbox", fields: mailboxFields) == mailboxes)
        #expect(mailboxes.count == summary["mailbox_count"] as? Int && !mailboxes.isEmpty)

        // Every account over a threshold of one message: suspects lists them all with their peaks.
        let suspects = try Self.object(try CLI.run(["suspects", "--format", "json", "--rate", "1/10m", "--top", "0", path], in: folder).stdout)
        let accounts = ((suspects["suspects"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "account" }
            .map { ["account": $0["name"] ?? "", "peak_in_window": $0["peak_in_window"] ?? -1] }
        let peaks = Self.rows(accounts, key: "account", fields: ["account", "peak_in_window"])
        #expect(Self.rows(sql["peaks"], key: "account", fields: ["account", "peak_in_window"]) == peaks)
        #expect(!peaks.isEmpty)
    }
}
