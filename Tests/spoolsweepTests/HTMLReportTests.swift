import Foundation
import Testing

/// `--format html` loaded in a real browser: headless Chromium (Debian's `chromium`), driven over
/// the DevTools protocol by fixtures/tools/chromium_check.py. Each fixture's report must load
/// with no console message, no request besides itself and one script, show the JSON's figures
/// in its rendered text with scripts on and off, and paint something.
@Suite(.serialized) struct HTMLReportTests {
    struct Page: Decodable {
        var requests: [String]
        var console: [String]
        var text: String
        var scripts: Int
        struct Shot: Decodable { var width, height, colours: Int }
        var screenshot: Shot
    }

    /// The page as Chromium rendered it (scripts on, or off), its screenshot at `screenshot`.
    static func load(_ html: URL, screenshot: URL, scripts: Bool = true, dark: Bool = false) throws -> Page {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("chromium not found: the HTML reports are tested in headless Chromium; install it with `apt-get install chromium` (make test does)")
            throw CancellationError()
        }
        _ = chromium
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/python3"),
                            [CLI.root.appendingPathComponent("fixtures/tools/chromium_check.py").path, html.path, screenshot.path]
                                + (scripts ? [] : ["--no-script"]) + (dark ? ["--dark"] : []),
                            in: html.deletingLastPathComponent())
        try #require(r.status == 0, "chromium_check: \(r.stderr)")
        return try JSONDecoder().decode(Page.self, from: Data(r.stdout.utf8))
    }

    /// A report written with `-o`, its JSON beside it (same arguments).
    static func report(_ args: [String], in folder: URL, name: String) throws -> (URL, [String: Any]) {
        let out = try CLI.freshFolder("html-\(name)").appendingPathComponent("\(name).html")
        let html = try CLI.run(args + ["--format", "html", "-o", out.path], in: folder)
        #expect(html.stdout == "", "\(name): -o writes nothing on standard output")
        #expect(html.status == 0, "\(name): \(html.stderr)")
        let json = try CLI.run(args + ["--format", "json"], in: folder)
        return (out, try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any])
    }

    /// What every page must be: quiet, self-contained, painted.
    static func expectClean(_ page: Page, _ name: String, scripts: Bool = true) {
        #expect(page.console == [], "\(name): console")
        #expect(page.requests == [], "\(name): requests")
        #expect(page.scripts == 1, "\(name): one inline script")
        #expect(page.screenshot.width == 1200 && page.screenshot.height > 400, "\(name): \(page.screenshot)")
        #expect(page.screenshot.colours > 8, "\(name): the screenshot is not blank (\(page.screenshot.colours) colours)")
    }

    static var now: [String] { GoldenTests.now }

    /// The summary's totals, mailboxes, domains and top senders, each as a row of the rendered
    /// page (cells separated by tabs in `innerText`).
    static func expectSummaryFigures(_ text: String, _ json: [String: Any], _ name: String) {
        let totals = json["totals"] as! [String: Any]
        for (label, key) in [("messages accepted", "accepted"), ("inbound to local mailboxes", "inbound"),
                             ("sent by authenticated users", "authenticated"), ("relayed without authentication", "relayed"),
                             ("recipients", "recipients"), ("local deliveries", "local_deliveries"),
                             ("rejected commands (5xx)", "rejected"), ("failed logins", "failed_logins")] {
            #expect(text.contains("\n\(label)\t\(totals[key] as! Int)\t"), "\(name): \(label)")
        }
        let remote = (totals["delivered"] as! Int) + (totals["deferred"] as! Int) + (totals["bounced"] as! Int)
        #expect(text.contains("\nremote delivery attempts\t\(remote)\t"), "\(name): remote delivery attempts")
        for m in json["mailboxes"] as! [[String: Any]] {
            #expect(text.contains("\n\(m["mailbox"] as! String)\t\(m["sent"] as! Int)\t\(m["sent_recipients"] as! Int)\t\(m["recipient_domains"] as! Int)\t"),
                    "\(name): mailbox \(m["mailbox"]!)")
        }
        for d in json["domains"] as! [[String: Any]] {
            #expect(text.contains("\n\(d["domain"] as! String)\t\(d["in_messages"] as! Int)\t\(d["in_recipients"] as! Int)\t"), "\(name): domain \(d["domain"]!)")
        }
        for s in json["top_senders"] as! [[String: Any]] {
            #expect(text.contains("\n\(s["address"] as! String)\t\(s["messages"] as! Int)"), "\(name): sender \(s["address"]!)")
        }
        for h in json["hours"] as! [[String: Any]] {
            let hour = h["hour"] as! Int
            #expect(text.contains("\n\(hour < 10 ? "0" : "")\(hour):00\t\(h["accepted"] as! Int)\t\(h["inbound"] as! Int)\t"), "\(name): hour \(hour)")
        }
    }

    @Test(arguments: [
        ("smartermail-summary", ["summary", "smartermail/Logs"]),
        ("smartermail-summary-day", ["summary", "--date", "2026-11-28", "--top", "5", "smartermail"]),
    ])
    func smarterMailSummary(_ name: String, _ args: [String]) throws {
        let (html, json) = try Self.report(args, in: CLI.sampleCopy, name: name)
        for scripts in [true, false] {
            let page = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension(scripts ? "png" : "noscript.png"), scripts: scripts)
            Self.expectClean(page, name, scripts: scripts)
            Self.expectSummaryFigures(page.text, json, name)
            #expect(page.text.hasPrefix("Traffic summary (smartermail): "), "\(name)")
            #expect(!page.text.contains("sort") && !page.text.contains("copied"))
        }
    }

    /// The dark colour scheme: the same page, painted dark (its first pixel row is the page's
    /// background).
    @Test func darkScheme() throws {
        let (html, _) = try Self.report(["summary", "smartermail/Logs"], in: CLI.sampleCopy, name: "dark")
        let light = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension("png"))
        let dark = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension("dark.png"), dark: true)
        Self.expectClean(dark, "dark")
        #expect(dark.text == light.text)
        let a = try Data(contentsOf: html.deletingPathExtension().appendingPathExtension("png"))
        let b = try Data(contentsOf: html.deletingPathExtension().appendingPathExtension("dark.png"))
        #expect(a != b, "the dark page is painted differently")
    }

    @Test func postfixAndEximSummaries() throws {
        for (name, args, folder) in [("postfix-summary", ["summary", "postfix/maillog"], PostfixCLITests.copy),
                                     ("exim-summary", ["summary", "exim/log"], EximCLITests.fixtures)] {
            let (html, json) = try Self.report(args, in: folder, name: name)
            let page = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension("png"))
            Self.expectClean(page, name)
            Self.expectSummaryFigures(page.text, json, name)
            // The dialect's own totals, each a row.
            let server = json["server_totals"] as! [String: Any]
            for (key, value) in server where value is Int {
                #expect(page.text.contains("\n\(key)\t\(value as! Int)\t"), "\(name): \(key)")
            }
        }
    }

    @Test func suspects() throws {
        let (html, json) = try Self.report(["suspects"] + Self.now + ["smartermail"], in: CLI.sampleCopy, name: "suspects")
        for scripts in [true, false] {
            let page = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension(scripts ? "png" : "noscript.png"), scripts: scripts)
            Self.expectClean(page, "suspects", scripts: scripts)
            let suspects = json["suspects"] as! [[String: Any]]
            try #require(suspects.count == 2)
            for s in suspects {
                let name = s["name"] as! String
                #expect(page.text.contains("\(s["rank"] as! Int). \(name) ("), "\(name)")
                #expect(page.text.contains("\nmessages\t\(s["messages"] as! Int)\t"), "\(name): messages")
                #expect(page.text.contains("\nrecipient domains\t\(s["recipient_domains"] as! Int)\t"), "\(name): domains")
                #expect(page.text.contains("\(s["peak_in_window"] as! Int)\t"), "\(name): peak")
                for r in s["reasons"] as! [[String: Any]] {
                    #expect(page.text.contains("\((r["crosses"] as! Bool) ? "!" : "-")\t\(r["text"] as! String)"), "\(name): \(r["code"]!)")
                }
                #expect(page.text.contains("next " + (s["next_command"] as! String)), "\(name): next command")
            }
            // Copy buttons only when scripts run.
            #expect(page.text.contains("smartermail copy") == scripts, "copy buttons")
            for step in json["next_steps"] as! [String] { #expect(page.text.contains(step)) }
        }
        // The rate chart of the first suspect: its bars, the threshold line and the break-in mark.
        let source = try String(contentsOf: html, encoding: .utf8)
        #expect(source.contains("<figcaption>Messages per 10m</figcaption>"))
        #expect(source.contains("<title>threshold 50</title>"))
        #expect(source.contains("<title>14 failed logins from 203.0.113.77, then a successful login at 2026-11-28 02:31:13</title>"))
    }

    @Test func spoolShape() throws {
        let (html, json) = try Self.report(["spool", "shape", "--top", "5"] + Self.now + ["smartermail"], in: CLI.sampleCopy, name: "shape")
        let page = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension("png"))
        Self.expectClean(page, "shape")
        for r in json["by_sender"] as! [[String: Any]] {
            let buckets = (r["buckets"] as! [Int]).map(String.init).joined(separator: "\t")
            #expect(page.text.contains("\n\(r["name"] as! String)\t\(r["total"] as! Int)\t\(buckets)"), "\(r["name"]!)")
        }
    }

    /// Addresses, HELOs and subjects are the attacker's text: a relay session whose HELO, envelope
    /// sender and queued subject carry `<script>` and quotes is shown as that text, never run.
    @Test func attackerTextIsEscaped() throws {
        let folder = try CLI.freshFolder("hostile-server")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("fixtures/smartermail"), to: folder.appendingPathComponent("smartermail"))
        let hostile = "<script>document.title='pwned'</script>\"><img src=x onerror=alert(1)>"
        // (A quoted local part holding `>` is cut there by the SMTP log readers, as the server's
        // own angle brackets end the path.)
        let sender = "\"<svg onload=alert(1)\"@evil.test"
        var log = ""
        for i in 0..<30 {
            let t = String(format: "12:%02d:%02d.100", i / 2, (i % 2) * 30)
            let id = "7777\(100 + i)"
            log += "\(t) [198.51.100.66][\(id)] cmd: EHLO \(hostile)\r\n"
            log += "\(t) [198.51.100.66][\(id)] cmd: MAIL FROM:<\(sender)> SIZE=900\r\n"
            log += "\(t) [198.51.100.66][\(id)] cmd: RCPT TO:<u\(i)@d\(i).example>\r\n"
            log += "\(t) [198.51.100.66][\(id)] cmd: DATA\r\n"
            log += "\(t) [198.51.100.66][\(id)] Data transfer succeeded, writing mail to 9\(id).eml (MessageID: <x\(i)@evil.test>)\r\n"
            log += "\(t) [198.51.100.66][\(id)] cmd: QUIT\r\n"
        }
        let smtp = folder.appendingPathComponent("smartermail/Logs/2026.11.28-smtpLog.log")
        let handle = try FileHandle(forWritingTo: smtp)
        handle.seekToEndOfFile()
        handle.write(Data(log.utf8))
        try handle.close()
        let spool = folder.appendingPathComponent("smartermail/Spool/SubSpool1")
        try "Written \r\n\(sender)\r\nu1@d1.example\r\nretry: 1;11/28/2026 19:00:00\r\nfrom: \(sender)\r\ncreationdate: 11/28/2026 12:00:30\r\nconnectedip: 198.51.100.66\r\nhelo: \(hostile)\r\n"
            .write(to: spool.appendingPathComponent("977770101.hdr"), atomically: true, encoding: .utf8)
        try "From: \(sender)\r\nSubject: \(hostile)\r\n\r\nbody\r\n".write(to: spool.appendingPathComponent("977770101.eml"), atomically: true, encoding: .utf8)

        let (html, json) = try Self.report(["suspects"] + Self.now + ["smartermail"], in: folder, name: "hostile")
        let relay = (json["suspects"] as! [[String: Any]]).first { ($0["name"] as! String) == "198.51.100.66" }
        let queued = try #require(relay?["queued"] as? [String: Any], "the hostile relay is a suspect")
        #expect(queued["top_subject"] as? String == hostile)
        let source = try String(contentsOf: html, encoding: .utf8)
        #expect(!source.contains("<script>document") && !source.contains("<img") && !source.contains("<svg onload"))
        #expect(source.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        let page = try Self.load(html, screenshot: html.deletingPathExtension().appendingPathExtension("png"))
        Self.expectClean(page, "hostile")
        #expect(page.text.contains("most with subject \"\(hostile)\" (1)"), "the subject shown as text")
        #expect(page.text.contains("as \(sender) (30)"), "the sender shown as text")

        let (summary, _) = try Self.report(["summary", "smartermail"], in: folder, name: "hostile-summary")
        let summaryPage = try Self.load(summary, screenshot: summary.deletingPathExtension().appendingPathExtension("png"))
        Self.expectClean(summaryPage, "hostile summary")
        #expect(summaryPage.text.contains("\n\(sender)\t30"))
        #expect(!(try String(contentsOf: summary, encoding: .utf8)).contains("<svg onload"))
    }

    /// Every report is a document, so every command that prints one prints it as a page too:
    /// its tables and lines, clean in the browser.
    @Test(arguments: [
        ("list", ["spool", "list", "--auth", "^jane@"] + GoldenTests.now + ["smartermail"], "151105393288\tSubSpool1\tWritten\t14h57m\t3.4 KiB\tjane@northwind.test"),
        ("quarantine-dry-run", ["spool", "quarantine", "--dry-run", "--auth", "^lucas@"] + GoldenTests.now + ["smartermail"], "Would quarantine"),
        ("trace", ["trace", "244912742955", "smartermail"], "received from 203.0.113.77 in SMTP session 65379135"),
        ("quarantined", ["spool", "quarantined", "smartermail"], "Quarantine is empty"),
    ])
    func everyReportIsAPage(_ name: String, _ args: [String], _ shown: String) throws {
        let out = try CLI.freshFolder("page-\(name)").appendingPathComponent("\(name).html")
        let r = try CLI.run(args + ["--format", "html", "-o", out.path])
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let page = try Self.load(out, screenshot: out.deletingPathExtension().appendingPathExtension("png"))
        Self.expectClean(page, name)
        #expect(page.text.contains(shown), "\(name)")
    }

    /// `-o` into a folder that does not exist.
    @Test func refusals() throws {
        let missing = try CLI.run(["summary", "-o", "/nonexistent/folder/report.txt", "smartermail/Logs"])
        #expect(missing.stderr == "error: -o /nonexistent/folder/report.txt: cannot be written: No such file or directory\n")
        #expect(missing.status == 73)
        #expect(missing.stdout == "")
    }

    /// `-o FILE` writes exactly what standard output would have shown, in every format.
    @Test(arguments: ["text", "json", "csv"])
    func outputFileHoldsTheReport(_ format: String) throws {
        let out = try CLI.freshFolder("out-\(format)").appendingPathComponent("r")
        let shown = try CLI.run(["suspects", "--format", format] + Self.now + ["smartermail"])
        let written = try CLI.run(["suspects", "--format", format, "-o", out.path] + Self.now + ["smartermail"])
        #expect(written.stdout == "")
        #expect(written.stderr == shown.stderr)
        #expect(try String(contentsOf: out, encoding: .utf8) == shown.stdout)
        let listed = try CLI.run(["spool", "list", "--format", format == "text" ? "jsonl" : format, "-o", out.path + ".list"] + Self.now + ["smartermail"])
        let listedShown = try CLI.run(["spool", "list", "--format", format == "text" ? "jsonl" : format] + Self.now + ["smartermail"])
        #expect(listed.stdout == "")
        #expect(try String(contentsOf: URL(fileURLWithPath: out.path + ".list"), encoding: .utf8) == listedShown.stdout)
        let left = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path).sorted()
        #expect(left == ["r", "r.list"], "no temporary file left")
    }
}
