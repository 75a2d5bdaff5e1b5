import Foundation
import Testing

/// SmarterMail's maintenance task compresses old days in place (`2026.11.27-smtpLog.log.zip`,
/// one member each): spoolsweep reads them as the logs they were, and says so when one cannot be
/// read (it used to skip them while the header said all logs were read: accepted 451, not 629).
@Suite(.serialized) struct SmarterMailZippedLogTests {
    /// A fresh copy of the sample server in `name`/smartermail (modification times as in the
    /// sample copy), its logs `zipped` (log name → stored or deflated) replaced by `<log>.zip`.
    static func copy(_ name: String, zipping zipped: [(String, String)]) throws -> URL {
        let folder = try CLI.freshFolder(name)
        let server = folder.appendingPathComponent("smartermail")
        try FileManager.default.copyItem(at: CLI.sampleCopy.appendingPathComponent("smartermail"), to: server)
        let logs = server.appendingPathComponent("Logs")
        for (log, method) in zipped {
            try zip(logs.appendingPathComponent(log + ".zip"), [(log, logs.appendingPathComponent(log))], method)
            try FileManager.default.removeItem(at: logs.appendingPathComponent(log))
        }
        let stamp = Date(timeIntervalSince1970: 1_795_867_200) // 2026-11-28 12:00:00 UTC, as CLI.sampleCopy
        for case let url as URL in FileManager.default.enumerator(at: server, includingPropertiesForKeys: nil)! {
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: url.path)
        }
        return folder
    }

    /// Writes the zip `archive` holding `members` (name in the archive, file), through python3's
    /// zipfile module.
    static func zip(_ archive: URL, _ members: [(String, URL)], _ method: String) throws {
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED if sys.argv[2] == 'deflated' else zipfile.ZIP_STORED) as z:
                for i in range(3, len(sys.argv), 2):
                    z.write(sys.argv[i + 1], sys.argv[i])
            """
        let r = try CLI.run(URL(fileURLWithPath: "/usr/bin/python3"),
                            ["-c", script, archive.path, method] + members.flatMap { [$0.0, $0.1.path] }, in: archive.deletingLastPathComponent())
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// One day's SMTP log deflated and the other day's delivery log stored: the summary and the
    /// suspects, JSON and text, are byte for byte those of the unzipped sample.
    @Test func zippedDaysGiveTheSameReports() throws {
        let folder = try Self.copy("zipped", zipping: [("2026.11.27-smtpLog.log", "deflated"), ("2026.11.28-delivery.log", "stored")])
        let logs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("smartermail/Logs").path).sorted()
        #expect(logs.filter { $0.hasSuffix(".zip") } == ["2026.11.27-smtpLog.log.zip", "2026.11.28-delivery.log.zip"])
        let summary = try CLI.run(["summary", "--format", "json", "smartermail/Logs"], in: folder)
        try CLI.expectGolden(summary.stdout, "summary.json")
        #expect(summary.stdout.contains("\"accepted\": 629,"))
        #expect(summary.stderr == "")
        #expect(summary.status == 0)
        let suspects = try CLI.run(["suspects", "--format", "json"] + GoldenTests.now + ["smartermail"], in: folder)
        try CLI.expectGolden(suspects.stdout, "suspects.json")
        #expect(suspects.stderr == GoldenTests.orphanWarnings)
        #expect(suspects.status == 0)
        for args in [["summary", "smartermail/Logs"], ["summary", "--date", "2026-11-28", "--top", "5", "smartermail"],
                     ["suspects", "--date", "2026-11-27"] + GoldenTests.now + ["smartermail"]] {
            #expect(try CLI.run(args, in: folder) == (try CLI.run(args)), "\(args)")
        }
        // A Logs/ folder holding only compressed days is a SmarterMail server's.
        let only = try CLI.freshFolder("zips-only")
        for log in ["2026.11.27-smtpLog.log.zip", "2026.11.28-delivery.log.zip"] {
            try FileManager.default.copyItem(at: folder.appendingPathComponent("smartermail/Logs/" + log), to: only.appendingPathComponent(log))
        }
        let alone = try CLI.run(["summary", "--format", "json", "."], in: only)
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdout.hasPrefix("{\n  \"server\": \"smartermail\",\n"), "\(alone.stdout.prefix(200))")
    }

    /// A cut archive and one holding two files: each named with the reason, the rest read, exit
    /// 2, and the header does not say all logs were read.
    @Test func unreadableZipsAreWarnedAboutAndTheRestIsRead() throws {
        let folder = try Self.copy("bad-zips", zipping: [("2026.11.27-smtpLog.log", "deflated")])
        let logs = folder.appendingPathComponent("smartermail/Logs")
        let whole = try Data(contentsOf: logs.appendingPathComponent("2026.11.27-smtpLog.log.zip"))
        try whole.prefix(whole.count / 2).write(to: logs.appendingPathComponent("2026.11.27-smtpLog.log.zip"))
        let admin = logs.appendingPathComponent("2026.11.28-administrative.log")
        try Self.zip(logs.appendingPathComponent("2026.11.28-administrative.log.zip"),
                     [("2026.11.28-administrative.log", admin), ("readme.txt", logs.appendingPathComponent("readme.txt"))], "deflated")
        try FileManager.default.removeItem(at: admin)

        let r = try CLI.run(["summary", "smartermail/Logs"], in: folder)
        #expect(r.status == 2)
        #expect(r.stderr == """
            spoolsweep: warning: smartermail/Logs/2026.11.28-administrative.log.zip: zip archive holds 2 files, not one log
            spoolsweep: warning: smartermail/Logs/2026.11.27-smtpLog.log.zip: not a readable zip archive (Not a zip archive)
            spoolsweep: 2 warning(s): the results cover only what could be read

            """)
        #expect(r.stdout.hasPrefix("Traffic summary (smartermail): logs read but 2 unreadable (see the warnings), 2026-11-27 00:00:07 to 2026-11-28 17:59:57\n"),
                "\(r.stdout.prefix(120))")
        let json = try CLI.run(["summary", "--format", "json", "smartermail/Logs"], in: folder)
        #expect(json.status == 2)
        #expect(json.stdout.contains("\"files_read\": 4,\n    \"files_skipped\": 3,\n    \"partial\": true,"), "\(json.stdout.suffix(600))")
        let suspects = try CLI.run(["suspects"] + GoldenTests.now + ["smartermail"], in: folder)
        #expect(suspects.status == 2)
        #expect(suspects.stdout.hasPrefix("Suspects (smartermail): logs read but 2 unreadable (see the warnings), "))
        // The day asked for is whole: nothing unreadable in it, nothing said.
        let day = try CLI.run(["summary", "--date", "2026-11-28", "--top", "5", "smartermail"], in: folder)
        #expect(day.stderr == "spoolsweep: warning: smartermail/Logs/2026.11.28-administrative.log.zip: zip archive holds 2 files, not one log\nspoolsweep: 1 warning(s): the results cover only what could be read\n")
    }
}

/// A SmarterMail log of a kind spoolsweep does not read, named on the command line, is said to
/// be left unread (it used to be skipped without a word); in a folder such logs are left quietly.
struct SmarterMailOtherLogKindTests {
    @Test func aNamedLogOfAnotherKindIsSaidToBeUnread() throws {
        let r = try CLI.run(["summary", "--format", "json", "smartermail/Logs/2026.11.27-imapLog.log", "smartermail/Logs/2026.11.27-smtpLog.log"])
        #expect(r.stderr == "spoolsweep: finding: smartermail/Logs/2026.11.27-imapLog.log: not read: spoolsweep reads the smtpLog, delivery and administrative logs (the administrative log has the logins of every protocol)\n")
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let input = try #require(json["input"] as? [String: Any])
        #expect(input["files_read"] as? Int == 1 && input["files_skipped"] as? Int == 1)
        #expect(try CLI.run(["summary", "smartermail/Logs"]).stderr == "")
    }
}
