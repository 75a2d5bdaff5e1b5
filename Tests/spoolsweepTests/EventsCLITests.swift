import Foundation
import Testing

/// `spoolsweep events`: the facts of each server's logs as NDJSON or CSV, exactly, and adding up
/// to the summary of the same logs.
@Suite struct EventsCLITests {
    /// (label, folder to run in, path)
    static let inputs: [(String, URL?, String)] = [
        ("smartermail", nil, "smartermail/Logs"),
        ("postfix", PostfixCLITests.copy, "postfix/maillog"),
        ("exim", CLI.root.appendingPathComponent("fixtures"), "exim/log"),
    ]

    /// Every event parses (with Foundation's parser, not ours), carries the common fields, and the
    /// events add up to `summary --format json`'s totals of the same logs.
    @Test(arguments: 0..<inputs.count)
    func eventsAddUpToTheSummary(_ index: Int) throws {
        let (server, folder, path) = Self.inputs[index]
        let events = try CLI.run(["events", "--host", "mx1", path], in: folder)
        #expect(events.status == 0)
        #expect(events.stderr == "")
        var types: [String: Int] = [:], outcomes: [String: Int] = [:]
        var (bytes, recipients, local, failedLogins, rejected) = (0, 0, 0, 0, 0)
        for line in events.stdout.split(separator: "\n") {
            let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(e["v"] as? Int == 1 && e["host"] as? String == "mx1" && e["server"] as? String == server, "\(line)")
            let time = try #require(e["time"] as? String)
            #expect(time.count == 29 && time.hasSuffix("+00:00"), "\(time)") // TZ=UTC
            let type = try #require(e["type"] as? String)
            types[type, default: 0] += 1
            switch type {
            case "accepted":
                bytes += try #require(e["size"] as? Int)
                recipients += try #require(e["recipients"] as? [String]).count
            case "delivery":
                if try #require(e["local"] as? Bool) { local += 1 } else { outcomes[try #require(e["outcome"] as? String), default: 0] += 1 }
            case "login":
                if !(try #require(e["success"] as? Bool)) { failedLogins += 1 }
            case "recipient_rejected", "rejected": // refusals that stand: 5xx, or (rejected) no code
                let code = try #require(e["code"] as? Int)
                if code >= 500 || (code == 0 && type == "rejected") { rejected += 1 }
            default: break
            }
        }
        let summary = try CLI.run(["summary", "--format", "json", path], in: folder)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(types["accepted"] == totals["accepted"] as? Int)
        #expect(recipients == totals["recipients"] as? Int)
        #expect(bytes == totals["bytes"] as? Int)
        #expect(local == totals["local_deliveries"] as? Int)
        for o in ["delivered", "deferred", "bounced"] { #expect(outcomes[o, default: 0] == totals[o] as? Int, "\(o)") }
        #expect(rejected == totals["rejected"] as? Int)
        #expect(failedLogins == totals["failed_logins"] as? Int)
    }

    /// The exact events of the low-level SmarterMail sample (envelopes completed from the spool).
    @Test(arguments: [("events-lowlevel.ndjson", "ndjson"), ("events-lowlevel.csv", "csv")])
    func golden(_ name: String, _ format: String) throws {
        let folder = try SmarterMailLowLevelCLITests.copy("events-\(format)")
        let r = try CLI.run(["events", "--host", "mx1", "--format", format, "smartermail-lowlevel"], in: folder)
        try CLI.expectGolden(r.stdout, name)
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    /// `-o FILE.gz` (`.zst`) writes one gzip (zstd) stream that gzip (zstd) itself reads back as
    /// what standard output gets; spoolsweep reads it back as events too.
    @Test(arguments: [("gz", "/bin/gzip"), ("zst", "/usr/bin/zstd")])
    func compressedFileHoldsTheSameEvents(_ suffix: String, _ tool: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: apt-get install -y zstd (make test-deps does)")
        let plain = try CLI.run(["events", "--host", "mx1", "smartermail/Logs"])
        let out = try CLI.freshFolder("events-\(suffix)")
        let file = out.appendingPathComponent("mx1.ndjson.\(suffix)").path
        let r = try CLI.run(["events", "--host", "mx1", "-o", file, "smartermail/Logs"])
        #expect(r.stdout == "")
        #expect(r.stderr == "spoolsweep: 3304 events of smartermail on mx1 written to \(file) (629 accepted, 378 connection, 1518 delivery, 238 login, 16 recipient_rejected, 524 removed, 1 security_block)\n")
        #expect(r.status == 0)
        let decompressed = try CLI.run(URL(fileURLWithPath: tool), ["-dc", file], in: out)
        #expect(decompressed.status == 0)
        #expect(decompressed.stdout == plain.stdout)
        let back = try CLI.run(["events", file], in: out)
        #expect(back.stdout == plain.stdout && back.status == 0, "\(back.stderr)")
        // Cut short: the events before the cut are read, and the file is named with the reason.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file + ".cut.ndjson.\(suffix)"))
        let cut = try CLI.run(["events", file + ".cut.ndjson.\(suffix)"], in: out)
        #expect(cut.status == 2)
        #expect(cut.stderr.contains("cut short"), "\(cut.stderr)")
    }

    /// The offset is the machine zone's at each time, or the one given.
    @Test func timesCarryTheServersOffset() throws {
        let berlin = try CLI.run(["events", "--host", "mx1", "smartermail/Logs"], environment: ["TZ": "Europe/Berlin"])
        let given = try CLI.run(["events", "--host", "mx1", "--utc-offset", "+01:00", "smartermail/Logs"])
        #expect(berlin.stdout.hasPrefix(#"{"v":1,"host":"mx1","server":"smartermail","type":"delivery","time":"2026-11-27T00:00:07.259+01:00","#))
        #expect(berlin.stdout == given.stdout)
        // Summer time: the offset follows the zone's rules at each time.
        let folder = try CLI.freshFolder("events-summer")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("Logs"), withIntermediateDirectories: true)
        // The sample's first failed login, as if logged on 1 July.
        let november = try String(contentsOf: CLI.sampleCopy.appendingPathComponent("smartermail/Logs/2026.11.27-administrative.log"), encoding: .utf8)
        try (String(decoding: november.utf8.split(separator: 0x0A)[0], as: UTF8.self) + "\n") // (its lines end in CRLF)
            .write(to: folder.appendingPathComponent("Logs/2026.07.01-administrative.log"), atomically: true, encoding: .utf8)
        let summer = try CLI.run(["events", "--host", "mx1", "Logs"], in: folder, environment: ["TZ": "Europe/Berlin"])
        #expect(summer.stdout == #"{"v":1,"host":"mx1","server":"smartermail","type":"login","time":"2026-07-01T07:50:27.976+02:00","ip":"198.51.100.199","protocol":"Webmail","account":null,"success":false}"# + "\n", "\(summer)")
    }

    @Test func queuedMessagesWithSpool() throws {
        let r = try CLI.run(["events", "--host", "mx1", "--spool"] + GoldenTests.now + ["smartermail"])
        #expect(r.stderr == GoldenTests.orphanWarnings)
        #expect(r.status == 0)
        let queued = r.stdout.split(separator: "\n").filter { $0.contains(#""type":"queued""#) }
        let count = try CLI.run(["spool", "list", "--count"] + GoldenTests.now + ["smartermail"])
        #expect("\(queued.count)\n" == count.stdout)
        #expect(queued.first?.hasPrefix(#"{"v":1,"host":"mx1","server":"smartermail","type":"queued","time":"#) == true)
    }

    @Test func badRequestsAreRefusedWithTheReason() throws {
        let offset = try CLI.run(["events", "--utc-offset", "+25:00", "smartermail/Logs"])
        #expect(offset.stderr == "error: --utc-offset: expected +HH:MM, -HH:MM or Z (at most 18 hours), got '+25:00'\n")
        #expect(offset.status == 64)
        let host = try CLI.run(["events", "--host", "mx 1", "smartermail/Logs"])
        #expect(host.stderr == "error: --host: expected a name without blanks or control characters, got 'mx 1'\n")
        #expect(host.status == 64)
        let format = try CLI.run(["events", "--format", "json", "smartermail/Logs"])
        #expect(format.status == 64)
        #expect(format.stderr.contains("ndjson"))
        let noLogs = try CLI.run(["events", "smartermail/Spool"])
        #expect(noLogs.stderr == "error: smartermail/Spool: no log there (events are what the logs say); --spool writes the queued messages\n")
        #expect(noLogs.status == 66)
        let unwritable = try CLI.run(["events", "-o", "nowhere/x.ndjson", "smartermail/Logs"])
        #expect(unwritable.stderr == "error: nowhere/x.ndjson: cannot write it: No such file or directory\n")
        #expect(unwritable.status == 73)
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    /// A JSON value as comparable text (keys sorted).
    static func text(_ v: Any?) -> String {
        guard let v else { return "nil" }
        return String(decoding: try! JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    /// Event files read back are logs: each host's alone gives the summary of its own logs; the
    /// three together give the sums, and a mailbox seen on two hosts (the Postfix and the Exim
    /// corpora share acme-corp.test) is one mailbox.
    @Test func eventFilesReadBackGiveTheFleetPicture() throws {
        let out = try CLI.freshFolder("fleet")
        var files: [String] = [], alone: [[String: Any]] = []
        for (i, (server, folder, path)) in Self.inputs.enumerated() {
            let file = out.appendingPathComponent("\(server).ndjson" + (i == 1 ? ".gz" : "")).path
            #expect(try CLI.run(["events", "--host", server, "-o", file, path], in: folder).status == 0)
            files.append(file)
            let direct = try Self.json(try CLI.run(["summary", "--format", "json", "--top", "0", path], in: folder))
            let back = try CLI.run(["summary", "--format", "json", "--top", "0", file], in: out)
            #expect(back.status == 0 && back.stderr == "", "\(back.stderr)")
            let read = try Self.json(back)
            #expect(read["server"] as? String == "events")
            for key in ["period", "totals", "days", "hours", "domains", "mailbox_count", "mailboxes", "top_senders", "top_recipients"] {
                #expect(Self.text(read[key]) == Self.text(direct[key]), "\(server) \(key)")
            }
            alone.append(direct)
        }
        let fleet = try Self.json(try CLI.run(["summary", "--format", "json", "--top", "0"] + files, in: out))
        let totals = try #require(fleet["totals"] as? [String: Any])
        // Per host: each host's own totals, in the order the files named them.
        let hosts = (fleet["hosts"] as? [[String: Any]]) ?? []
        #expect(hosts.map { $0["host"] as? String } == Self.inputs.map(\.0))
        for (h, report) in zip(hosts, alone) {
            var own = h
            own["host"] = nil
            #expect(Self.text(own) == Self.text((report["totals"] as? [String: Any])?.filter { $0.value is Int }), "\(h)")
        }
        for key in ["accepted", "inbound", "authenticated", "relayed", "recipients", "bytes", "local_deliveries",
                    "delivered", "deferred", "bounced", "rejected", "failed_logins"] {
            let sum = alone.reduce(0) { $0 + ((($1["totals"] as? [String: Any])?[key] as? Int) ?? 0) }
            #expect(totals[key] as? Int == sum, "\(key)")
        }
        // Mailboxes: each once, its figures summed over the hosts (its recipient domains a union).
        var expected: [String: [String: Int]] = [:], domainsAtMost: [String: Int] = [:], domainsAtLeast: [String: Int] = [:]
        for report in alone {
            for m in (report["mailboxes"] as? [[String: Any]]) ?? [] {
                let name = m["mailbox"] as! String
                for f in ["sent", "sent_recipients", "sent_bytes", "received", "received_bytes"] {
                    expected[name, default: [:]][f, default: 0] += m[f] as! Int
                }
                domainsAtMost[name, default: 0] += m["recipient_domains"] as! Int
                domainsAtLeast[name] = max(domainsAtLeast[name] ?? 0, m["recipient_domains"] as! Int)
            }
        }
        // Which domains are local is each host's own: the northwind.test addresses the Postfix
        // and Exim corpora relay spam to are not mailboxes of the fleet.
        let mailboxes = (fleet["mailboxes"] as? [[String: Any]]) ?? []
        #expect(mailboxes.count == expected.count && fleet["mailbox_count"] as? Int == expected.count)
        #expect(!mailboxes.contains { ($0["mailbox"] as! String).hasPrefix("camillef748@") })
        // Domains: each host's, their figures summed.
        var domains: [String: [String: Int]] = [:]
        for report in alone {
            for d in (report["domains"] as? [[String: Any]]) ?? [] {
                for (k, v) in d where k != "domain" { domains[d["domain"] as! String, default: [:]][k, default: 0] += v as! Int }
            }
        }
        let fleetDomains = (fleet["domains"] as? [[String: Any]]) ?? []
        #expect(fleetDomains.count == domains.count)
        for d in fleetDomains {
            for (k, v) in d where k != "domain" { #expect(v as? Int == domains[d["domain"] as! String]?[k], "\(d)") }
        }
        for m in mailboxes {
            let name = m["mailbox"] as! String
            for f in ["sent", "sent_recipients", "sent_bytes", "received", "received_bytes"] { #expect(m[f] as? Int == expected[name]?[f], "\(name) \(f)") }
            let d = m["recipient_domains"] as! Int
            #expect(d >= domainsAtLeast[name]! && d <= domainsAtMost[name]!, "\(name)")
        }
        // Suspects: the compromised accounts of each host, sam's messages through both hosts together.
        func suspects(_ paths: [String]) throws -> [String: Int] {
            let report = try Self.json(try CLI.run(["suspects", "--format", "json"] + paths, in: out))
            let all = (report["suspects"] as? [[String: Any]]) ?? []
            if paths.count == 3 {
                let sam = all.first { $0["name"] as? String == "sam@acme-corp.test" }
                #expect(sam?["hosts"] as? [String] == ["exim", "postfix"])
                #expect((sam?["reasons"] as? [[String: Any]])?.contains { $0["text"] as? String == "sent through 2 hosts: exim, postfix" } == true)
                #expect(sam?["next_command"] as? String == #"spoolsweep spool list --auth '^sam@acme-corp\.test$' SPOOL"#)
            }
            return Dictionary(all.map { ($0["name"] as! String, $0["messages"] as! Int) }) { a, _ in a }
        }
        let together = try suspects(files)
        let (sm, pf, ex) = (try suspects([files[0]]), try suspects([files[1]]), try suspects([files[2]]))
        #expect(together["jane@northwind.test"] == 246 && sm["jane@northwind.test"] == 246)
        #expect(together["sam@acme-corp.test"] == pf["sam@acme-corp.test"]! + ex["sam@acme-corp.test"]!)
    }
}
