import Foundation
import Testing

/// `summary --mail-to`: the daily e-mail through a fake sendmail that records its arguments and
/// input; the message is parsed by Python's `email` package (valid MIME, both parts).
@Suite(.serialized) struct SummaryMailTests {
    /// A sendmail that writes its arguments and standard input beside itself, then exits `status`.
    static func fakeSendmail(_ folder: URL, status: Int = 0, say: String = "") throws -> URL {
        let script = folder.appendingPathComponent("sendmail")
        try """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(folder.path)/args"
            cat > "\(folder.path)/message"
            \(say.isEmpty ? "" : "echo '\(say)'")
            exit \(status)

            """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    /// The parts of a message as Python's email package reads it: content types, decoded bodies,
    /// the subject decoded, and every defect it found.
    struct Parsed: Decodable {
        var multipart: Bool
        var types: [String]
        var bodies: [String]
        var subject: String
        var to: String
        var defects: [String]
    }

    static func parse(_ message: URL) throws -> Parsed {
        let program = """
            import email, email.header, json, sys
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
            parts = [p for p in m.walk() if not p.is_multipart()]
            subject = str(email.header.make_header(email.header.decode_header(m['Subject'])))
            print(json.dumps({'multipart': m.is_multipart(), 'types': [m.get_content_type()] + [p.get_content_type() for p in parts],
                'bodies': [p.get_payload(decode=True).decode('utf-8') for p in parts], 'subject': subject, 'to': m['To'],
                'defects': [repr(d) for p in m.walk() for d in p.defects]}))
            """
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", program, message.path], in: message.deletingLastPathComponent())
        try #require(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(Parsed.self, from: Data(r.stdout.utf8))
    }

    @Test func yesterdaysSummaryIsMailedWithTextAndHTML() throws {
        let folder = try CLI.freshFolder("mail-daily")
        let sendmail = try Self.fakeSendmail(folder)
        let r = try CLI.run(["summary", "--date", "yesterday", "--mail-to", "postmaster@example.com", "--sendmail", sendmail.path]
                            + GoldenTests.now + ["smartermail"])
        #expect(r.stdout == "", "nothing printed when it worked (cron mails any output)")
        #expect(r.stderr == "")
        #expect(r.status == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("args"), encoding: .utf8) == "-t\n-i\n")

        let mail = try Self.parse(folder.appendingPathComponent("message"))
        #expect(mail.defects == [])
        #expect(mail.multipart)
        #expect(mail.types == ["multipart/alternative", "text/plain", "text/html"])
        #expect(mail.to == "postmaster@example.com")
        let host = try CLI.run(URL(fileURLWithPath: "/bin/hostname"), [], in: folder).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let json = try CLI.run(["summary", "--date", "yesterday", "--format", "json"] + GoldenTests.now + ["smartermail"]).stdout
        let totals = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])["totals"] as! [String: Any]
        #expect(mail.subject == "[spoolsweep] \(host) smartermail 2026-11-27: \(totals["accepted"]!) accepted, \(totals["delivered"]!) delivered, "
                + "\(totals["deferred"]!) deferred, \(totals["bounced"]!) bounced; no suspect")

        // The text part: the summary of that day, the suspects' line first.
        let summary = try CLI.run(["summary", "--date", "yesterday"] + GoldenTests.now + ["smartermail"]).stdout
        let title = summary.prefix { $0 != "\n" }
        #expect(mail.bodies[0] == title + "\n\nNo sender crosses a threshold (11 senders seen).\n" + summary.dropFirst(title.count + 1))
        // The HTML part: the same report as `--format html`, the same line added.
        #expect(mail.bodies[1].hasPrefix("<!DOCTYPE html>"))
        #expect(mail.bodies[1].contains("<h2>No sender crosses a threshold (11 senders seen).</h2>"))
        let html = try CLI.run(["summary", "--date", "yesterday", "--format", "html"] + GoldenTests.now + ["smartermail"]).stdout
        #expect(mail.bodies[1].replacingOccurrences(of: "<section>\n<h2>No sender crosses a threshold (11 senders seen).</h2>\n</section>\n", with: "") == html)
    }

    @Test func suspectsAreNamedInTheSubjectAndAtTheTop() throws {
        let folder = try CLI.freshFolder("mail-attack")
        let sendmail = try Self.fakeSendmail(folder)
        let r = try CLI.run(["summary", "--date", "2026-11-28", "--mail-to", "ops@example.com", "--sendmail", sendmail.path, "smartermail"])
        #expect(r.status == 0, "\(r.stderr)")
        let mail = try Self.parse(folder.appendingPathComponent("message"))
        #expect(mail.defects == [])
        #expect(mail.subject.hasSuffix(" smartermail 2026-11-28: 451 accepted, 406 delivered, 605 deferred, 103 bounced; 3 suspects: jane@northwind.test, 198.51.100.80, lucas@northwind.test"))
        #expect(mail.bodies[0].hasPrefix("""
            Traffic summary (smartermail): 2026-11-28

            Suspects crossing a threshold
              1. jane@northwind.test (authenticated mailbox): score 120, over rate, break_in, forged_sender, recipient_domains, deferrals; 240 messages, peak 59
              spoolsweep spool list --auth '^jane@northwind\\.test$' smartermail
              2. 198.51.100.80 (client IP relaying without authentication): score 30, over recipient_domains, deferrals; 64 messages, peak 6
            """))
        #expect(mail.bodies[1].contains("<p class=\"command\"><code>spoolsweep spool list --auth &#39;^jane@northwind\\.test$&#39; smartermail</code>"))
    }

    @Test func aFailingSendmailIsAnError() throws {
        let folder = try CLI.freshFolder("mail-fail")
        let sendmail = try Self.fakeSendmail(folder, status: 75, say: "sendmail: queue file write error")
        let r = try CLI.run(["summary", "--mail-to", "ops@example.com", "--sendmail", sendmail.path, "smartermail/Logs"])
        #expect(r.stdout == "")
        #expect(r.stderr == "error: --mail-to: \(sendmail.path) exited with status 75: sendmail: queue file write error\n")
        #expect(r.status == 73)
        let bad = try CLI.run(["summary", "--mail-to", "a@x, b@y", "--sendmail", sendmail.path, "smartermail/Logs"])
        #expect(bad.stderr == "error: --mail-to: one address, without spaces or commas: 'a@x, b@y'\n")
        #expect(bad.status == 64)
        let none = try CLI.run(["summary", "--mail-to", "a@x", "--sendmail", folder.path, "smartermail/Logs"])
        #expect(none.stderr == "error: --sendmail \(folder.path): not an executable file\n")
        #expect(none.status == 64)
    }
}
