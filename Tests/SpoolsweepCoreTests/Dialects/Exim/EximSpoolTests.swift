import Foundation
import Glibc
import Testing
@testable import SpoolsweepCore

// The corpus spool (fixtures/exim/spool/exim4, split_spool_directory) against its answer key
// (fixtures/exim/ground_truth.json) and what the real Exim 4.96 printed for it
// (fixtures/exim/exim-bp.txt, exiqgrep/).

/// `<repo>/fixtures/exim`, found from this file's path (<repo>/Tests/SpoolsweepCoreTests/Dialects/Exim/).
private let fixture: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(5)
    return parts.joined(separator: "/") + "/fixtures/exim"
}()

private let spool = fixture + "/spool/exim4"

private func walk(_ directory: String, threads: Int = 1) -> (messages: [QueuedMessage], diagnostics: Diagnostics) {
    var walker = EximSpoolWalker(diagnostics: Diagnostics())
    walker.threads = threads
    var messages: [QueuedMessage] = []
    walker.walk(spoolDirectory: directory) { messages.append($0) }
    return (messages, walker.diagnostics)
}

/// One message as `exim -bp` lists it.
struct EximListed: Equatable {
    var age = "", size = "", id = "", sender = "", frozen = false
    var recipients: [String] = []
    var delivered: [String] = []

    /// Parses `exim -bp` output (exiqgrep's output is the same with TABs).
    static func parse(_ text: String) -> [EximListed] {
        var out: [EximListed] = []
        for raw in text.split(separator: "\n") {
            let line = raw.replacingOccurrences(of: "\t", with: "        ")
            let words = line.split(separator: " ")
            if line.hasPrefix("          "), let w = words.first { out[out.count - 1].recipients.append(String(w)); continue }
            if line.hasPrefix("        D "), words.count == 2 { out[out.count - 1].delivered.append(String(words[1])); continue }
            guard words.count >= 4 else { continue }
            var m = EximListed(age: String(words[0]), size: String(words[1]), id: String(words[2]))
            m.sender = String(words[3].dropFirst().dropLast())
            m.frozen = line.hasSuffix("*** frozen ***")
            out.append(m)
        }
        return out
    }

    /// Exim's `string_format_size`, as `-bp` prints a size (trimmed).
    static func size(_ n: Int) -> String {
        let s: String
        if n < 1024 { s = String(n) }
        else if n < 10 * 1024 { s = String(format: "%.1fK", Double(n) / 1024) }
        else if n < 1024 * 1024 { s = "\((n + 512) / 1024)K" }
        else if n < 10 * 1024 * 1024 { s = String(format: "%.1fM", Double(n) / 1024 / 1024) }
        else { s = "\((n + 512 * 1024) / (1024 * 1024))M" }
        return s
    }

    /// Exim's `-bp` age: minutes up to 90, then hours (rounded) up to 72, then days (rounded).
    static func age(_ seconds: Int) -> String {
        let minutes = seconds / 60
        if minutes <= 90 { return "\(minutes)m" }
        let hours = (minutes + 30) / 60
        return hours <= 72 ? "\(hours)h" : "\((hours + 12) / 24)d"
    }
}

private func readText(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

@Suite struct EximSpoolFixtureTests {
    @Test func theOutputDoesNotDependOnTheThreads() {
        let (one, oneDiagnostics) = walk(spool)
        #expect(one.count == 235)
        for threads in [2, 3, 7] {
            let (many, manyDiagnostics) = walk(spool, threads: threads)
            #expect(many == one)
            #expect(manyDiagnostics.filesRead == oneDiagnostics.filesRead)
        }
    }

    /// Every message as `exim -bp` printed it: same ids in the same order, sender, size to the
    /// byte as Exim rounds it, frozen flag, pending recipients.
    @Test func walkMatchesEximBp() throws {
        let (messages, diagnostics) = walk(spool)
        #expect(diagnostics.warnings == [])
        #expect(diagnostics.filesRead == 235)
        let listed = EximListed.parse(try readText(fixture + "/exim-bp.txt"))
        #expect(listed.count == 235)
        // Exim lists a second's messages in folder order; spoolsweep sorts by id.
        #expect(messages.map(\.id) == listed.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0) })
        for m in messages {
            let l = try #require(byID[m.id])
            #expect(m.sender == l.sender, "\(m.id)")
            #expect(EximListed.size(m.size) == l.size, "\(m.id) size \(m.size)")
            #expect((m.state == "frozen") == l.frozen, "\(m.id)")
            #expect(m.recipients == l.recipients, "\(m.id)")
            #expect(m.files == [m.envelopePath!, m.contentPath!])
            #expect(m.contentPath!.hasSuffix("/input/\(Array(m.id)[5])/\(m.id)-D"))
            #expect(!m.beingWritten)
        }
        // The listing was taken at 03:30:24 (the one second every age fits).
        let now = Int(LocalTime(year: 2026, month: 11, day: 29, hour: 3, minute: 30, second: 24).seconds)
        for m in messages { #expect(EximListed.age(now - Int(m.created!.seconds)) == byID[m.id]!.age, "\(m.id)") }
    }

    @Test func walkMatchesExiqgrep() throws {
        let (messages, _) = walk(spool)
        let frozen = EximListed.parse(try readText(fixture + "/exiqgrep/exiqgrep_-z.txt"))
        #expect(messages.filter { $0.state == "frozen" }.map(\.id) == frozen.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(try readText(fixture + "/exiqgrep/exiqgrep_-c_-z.txt").hasPrefix("\(frozen.count) matches out of 235"))
        #expect(try readText(fixture + "/exiqgrep/exiqgrep_-c_-x.txt").hasPrefix("\(messages.filter { $0.state == "queued" }.count) matches out of 235"))
        let billing = try readText(fixture + "/exiqgrep/exiqgrep_-i_-f_billing@acme-corp.test.txt").split(separator: "\n").map(String.init)
        #expect(Set(messages.filter { $0.sender.contains("billing@acme-corp.test") }.map(\.id)) == Set(billing))
        #expect(billing.count == 51)
    }

    /// Message by message against the answer key: sender, pending recipients, login, client IP,
    /// state, subject (from the -H headers), and the invoice URL found in the -D alone.
    @Test func walkMatchesTheAnswerKey() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture + "/ground_truth.json"))
        let key = try #require(((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["queue"] as? [String: Any])?["messages"] as? [String: [String: Any]])
        let (messages, _) = walk(spool)
        #expect(Set(messages.map(\.id)) == Set(key.keys))
        var buffer: [UInt8] = [], folder = MessageContent.OpenFolder()
        var invoiceInBody = 0, voucherInBody = 0
        for m in messages {
            let k = try #require(key[m.id])
            #expect(m.sender == k["sender"] as? String, "\(m.id)")
            #expect(m.recipients == k["pending_recipients"] as? [String], "\(m.id)")
            #expect(m.account == k["auth_user"] as? String, "\(m.id)")
            #expect(m.clientIP == k["client_ip"] as? String, "\(m.id)")
            #expect(m.state == k["queue"] as? String, "\(m.id)")
            #expect(m.queue == m.state)
            let headers = try #require(try MessageContent.headers(of: m, buffer: &buffer))
            #expect(headers.first("Subject")?.decoded == k["subject"] as? String, "\(m.id)")
            let start = try #require(try MessageContent.body(of: m, into: &buffer, folder: &folder))
            let body = String(decoding: buffer[start...], as: UTF8.self)
            if body.contains("pay-portal.invoice-update.test") { invoiceInBody += 1 }
            if body.contains("voucher-free.promo-gift.test") { voucherInBody += 1 }
            #expect(body.contains("pay-portal.invoice-update.test") == (k["invoice_host_in_raw"] as? Bool), "\(m.id)")
        }
        #expect(invoiceInBody == 180)
        #expect(voucherInBody == 35)
        #expect(messages.reduce(0) { $0 + $1.recipients.count } == 525)
        #expect(messages.filter { $0.account == "sam@acme-corp.test" }.count == 182)
        #expect(messages.filter { $0.clientIP == "127.0.0.90" && $0.account == nil }.count == 37)
    }

    /// The whole message: the -H headers (not the deleted `To:`), an empty line, the -D body.
    @Test func wholeMessageFromBothFiles() throws {
        let (messages, _) = walk(spool)
        let m = try #require(messages.first { $0.id == "1xXVYT-0007W4-0O" })
        #expect(m.size == 540) // exim -bp: 540
        var buffer: [UInt8] = []
        let headers = try #require(try MessageContent.whole(m, into: &buffer))
        #expect(headers.all("To").map(\.decoded) == ["postmaster@acme-corp.test, ops@pagerline.test"])
        #expect(headers.fields.first?.name == "Received")
        let text = String(decoding: buffer, as: UTF8.self)
        let dFile = try readText(m.contentPath!)
        #expect(text.hasSuffix("Date: Sun, 29 Nov 2026 03:26:21 -0000\n\n" + dFile.drop { $0 != "\n" }.dropFirst()))
        // The message is what exim -bp counts: headers, empty line, body.
        #expect(buffer.count == m.size)
    }
}

// MARK: - The walker on made-up spools

/// A spool folder in /tmp with messages copied from the fixture.
private final class SpoolFixture {
    let dir: TempFolder
    var root: String { dir.at("exim4") }

    init(_ tag: String) throws {
        dir = try TempFolder(tag)
        try dir.folder("exim4")
        try dir.folder("exim4/input")
        try dir.folder("exim4/msglog")
    }

    /// Copies message `id` of the fixture into `input/` (split or not); returns its -H and -D.
    @discardableResult
    func copy(_ id: String, split: Bool = true, files: [String] = ["-H", "-D"]) throws -> (header: String, data: String) {
        let sub = split ? "input/\(Array(id)[5])" : "input"
        if split, !FileSystem.exists(dir.at("exim4/" + sub)) { try dir.folder("exim4/" + sub) }
        for suffix in files {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(spool)/input/\(Array(id)[5])/\(id)\(suffix)")))
            try dir.write("exim4/\(sub)/\(id)\(suffix)", bytes)
        }
        return (dir.at("exim4/\(sub)/\(id)-H"), dir.at("exim4/\(sub)/\(id)-D"))
    }
}

@Suite struct EximSpoolWalkerTests {
    @Test func splitAndUnsplitFoldersTogether() throws {
        let s = try SpoolFixture("exim-split")
        try s.copy("1xXVaT-0007iM-0L")
        try s.copy("1xXVYT-0007W4-0O", split: false)
        let (messages, diagnostics) = walk(s.root)
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.id) == ["1xXVYT-0007W4-0O", "1xXVaT-0007iM-0L"])
        #expect(messages[0].envelopePath == s.root + "/input/1xXVYT-0007W4-0O-H")
        #expect(messages[1].envelopePath == s.root + "/input/T/1xXVaT-0007iM-0L-H")
    }

    @Test func loneHalvesLinksAndStrangersAreWarnedAbout() throws {
        let s = try SpoolFixture("exim-lone")
        try s.copy("1xXVaT-0007iM-0L")
        let (header, _) = try s.copy("1xXVWl-0007Mm-1F", files: ["-H"])
        let (_, data) = try s.copy("1xXVX9-0007Oj-2O", files: ["-D"])
        let link = try s.dir.link("exim4/input/T/1xXVYA-0007US-1S-H", to: header)
        let stranger = try s.dir.write("exim4/input/notes.txt", "hello")
        let deep = try s.dir.folder("exim4/input/deeper")
        let (messages, diagnostics) = walk(s.root)
        #expect(messages.map(\.id) == ["1xXVaT-0007iM-0L"])
        #expect(diagnostics.findings.sorted { $0.path < $1.path } == [
            InputWarning(path: data, reason: "-D without its -H (not a whole message)"),
            InputWarning(path: header, reason: "-H without its -D (not a whole message)"),
        ].sorted { $0.path < $1.path })
        let warnings = diagnostics.warnings.sorted { $0.path < $1.path }
        #expect(warnings == [
            InputWarning(path: link, reason: "is a symbolic link (not followed)"),
            InputWarning(path: deep, reason: "not an Exim spool folder (split folders are one character), not read"),
            InputWarning(path: stranger, reason: "not an Exim spool file, ignored"),
        ].sorted { $0.path < $1.path })
    }

    @Test func aDamagedHeaderFileIsAWarning() throws {
        let s = try SpoolFixture("exim-damaged")
        let (header, _) = try s.copy("1xXVaT-0007iM-0L")
        try s.dir.write("exim4/input/T/1xXVaT-0007iM-0L-H", Array(try readText(header).replacingOccurrences(of: "\n1\nseed", with: "\n7\nseed").utf8))
        let (messages, diagnostics) = walk(s.root)
        #expect(messages.isEmpty)
        #expect(diagnostics.warnings == [InputWarning(path: header, reason: "bad recipient line")])
    }

    /// A message delivered (its files removed by Exim) between the listing and the reading is
    /// left out without a warning.
    @Test func aMessageVanishingAfterTheListingIsLeftOut() throws {
        let s = try SpoolFixture("exim-vanish")
        let (header, data) = try s.copy("1xXVaT-0007iM-0L")
        let (otherHeader, _) = try s.copy("1xXVWl-0007Mm-1F")
        var walker = EximSpoolWalker()
        let items = walker.list(spoolDirectory: s.root)
        #expect(items.map(\.id) == ["1xXVWl-0007Mm-1F", "1xXVaT-0007iM-0L"])
        unlink(header); unlink(data) // delivered: both gone
        unlink(otherHeader)          // -H removed first, -D still there
        var seen: [QueuedMessage] = []
        for item in items { walker.read(item) { seen.append($0) } }
        #expect(seen.isEmpty)
        #expect(walker.diagnostics.warnings == [])
    }

    /// `-spool_file_wireformat`: the -D has CRLF line ends, and so has the message rebuilt.
    @Test func wireFormatMessagesAreCRLFThroughout() throws {
        let s = try SpoolFixture("exim-wire")
        try s.dir.folder("exim4/input/B")
        let id = "1qDO9M-0003B3-2p"
        try s.dir.write("exim4/input/B/\(id)-H", """
            \(id)-H
            nobody 9999 9999
            <nobody@test.ex>
            1687693404 0
            -spool_file_wireformat
            XX
            1
            a@test.ex

            014  Subject: test
            023T To: a@test.ex,
             b@test

            """)
        try s.dir.write("exim4/input/B/\(id)-D", "\(id)-D\nline one\r\nline two\r\n")
        let (messages, diagnostics) = walk(s.root)
        #expect(diagnostics.warnings == [])
        let m = try #require(messages.first)
        var buffer: [UInt8] = [], folder = MessageContent.OpenFolder()
        let headers = try #require(try MessageContent.whole(m, into: &buffer))
        #expect(String(decoding: buffer, as: UTF8.self) == "Subject: test\r\nTo: a@test.ex,\r\n b@test\r\n\r\nline one\r\nline two\r\n")
        #expect(headers.first("To")?.decoded == "a@test.ex, b@test")
        let start = try #require(try MessageContent.body(of: m, into: &buffer, folder: &folder))
        #expect(String(decoding: buffer[start...], as: UTF8.self) == "line one\r\nline two\r\n")
        #expect(m.size == 14 + 23 + 20 + 1)
    }

    /// A -J journal or a temporary -H beside a message: Exim is working on it.
    @Test func journalsAndTemporariesMarkAMessageBusy() throws {
        let s = try SpoolFixture("exim-busy")
        try s.copy("1xXVaT-0007iM-0L")
        try s.copy("1xXVWl-0007Mm-1F")
        try s.copy("1xXVYT-0007W4-0O")
        try s.dir.write("exim4/input/T/1xXVaT-0007iM-0L-J", "seedlist-04@mailcheck-probe.test\n")
        try s.dir.write("exim4/input/l/hdr.1xXVWl-0007Mm-1F", "partial")
        let (messages, diagnostics) = walk(s.root)
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.beingWritten) == [true, false, true])
        #expect(messages.map(\.state) == ["queued (being written)", "queued", "queued (delivery journal -J)"])
    }

    /// An fcntl lock on a -D (Exim holds one while it works on a message): the message is
    /// listed as locked, and free again once the lock goes. The lock here is an open file
    /// description lock of this process (it conflicts with this process's own lock tests, as
    /// another process's would); the CLI tests lock from a child and see its pid.
    @Test func aLockedDataFileMarksAMessageBusy() throws {
        let s = try SpoolFixture("exim-lock")
        let (_, data) = try s.copy("1xXVaT-0007iM-0L")
        try s.copy("1xXVWl-0007Mm-1F")
        let fd = open(data, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0)
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_len = 19 // Exim locks the id line
        try #require(fcntl(fd, 37 /* F_OFD_SETLK */, &lock) == 0)
        let (messages, diagnostics) = walk(s.root)
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.id) == ["1xXVWl-0007Mm-1F", "1xXVaT-0007iM-0L"])
        #expect(messages.map(\.beingWritten) == [false, true])
        #expect(messages[1].state == "queued (locked)")
        close(fd)
        #expect(walk(s.root).messages.map(\.beingWritten) == [false, false])
    }
}
