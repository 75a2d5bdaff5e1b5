import Glibc
import Testing
@testable import SpoolsweepCore

private let sha1 = String(repeating: "ab", count: 32)
private let sha2 = String(repeating: "0f", count: 32)

private func header(spool: String = "/srv/mail/Spool", quarantine: String = "/srv/mail/spoolsweep-quarantine") -> JournalHeader {
    JournalHeader(run: "q-20261128-180000-00aa", operation: .quarantine, batch: "q-20261128-180000-00aa",
                  spoolRoot: spool, quarantineRoot: quarantine, started: LocalTime(year: 2026, month: 11, day: 28, hour: 18))
}

private func intent(_ seq: Int, id: String, account: String? = "jane@northwind.test") -> JournalIntent {
    let hdr = RelativePath("SubSpool1/\(id).hdr")!
    let eml = RelativePath("SubSpool1/\(id).eml")!
    return JournalIntent(
        seq: seq, id: id, queue: "SubSpool1", state: "Written", sender: "jane@northwind.test", account: account,
        clientIP: account == nil ? nil : "203.0.113.9", recipients: ["a@example.com", "b@example.org"],
        subject: "Your mailbox \"storage\" is full – verify\n", created: LocalTime(year: 2026, month: 11, day: 28, hour: 17, minute: 1, second: 2),
        size: 1234, content: eml,
        files: [JournalFile(path: hdr, facts: FileFacts(size: 321, sha256: sha1, mode: 0o644, mtimeSeconds: 1_795_000_000, mtimeNanoseconds: 123_456_789)),
                JournalFile(path: eml, facts: FileFacts(size: 1234, sha256: sha2, mode: 0o600, mtimeSeconds: 1_795_000_001, mtimeNanoseconds: 0))])
}

/// A journal folder in a temp folder, and a writer with the header already in.
private func newJournal(_ dir: TempFolder) throws -> (path: String, writer: JournalWriter) {
    let folder = try SafeFolder.root(dir.path)
    let writer = try JournalWriter(creating: "run.journal", in: folder, header: header())
    return (dir.at("run.journal"), writer)
}

private func appendRaw(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else { throw SetupError("open \(path)") }
    defer { close(fd) }
    try TempFolder.writeAll(fd, Array(text.utf8))
}

private func readError(_ path: String) -> String? {
    do { _ = try Journal.read(path); return nil } catch { return error.description }
}

private func line(_ j: JSON) -> String { j.compact() + "\n" }

private let doneRecord = JSON.object([("op", .string("done")), ("seq", .int(1))])

@Suite struct JournalTests {
    @Test func writeAndReadBack() throws {
        let dir = try TempFolder("journal-rt")
        let (path, writer) = try newJournal(dir)
        let i1 = intent(1, id: "125862202478"), i2 = intent(2, id: "27128419", account: nil)
        try writer.append([i1.json, i2.json], sync: true)
        try writer.append([doneRecord, .object([("op", .string("failed")), ("seq", .int(2)), ("reason", .string("gone: \"x\""))])], sync: true)
        var j = try Journal.read(path)
        #expect(j.header == header())
        #expect(j.intents == [i1, i2])
        #expect(j.outcomes == [1: .done, 2: .failed("gone: \"x\"")])
        #expect(j.ended == false)
        #expect(j.pending.isEmpty)
        try writer.append([.object([("op", .string("end"))])], sync: true)
        j = try Journal.read(path)
        #expect(j.ended)
        #expect(j.intents[1].account == nil && j.intents[1].clientIP == nil)
        #expect(j.intents[0].files[0].facts.mtimeNanoseconds == 123_456_789)
        #expect(j.intents[0].content?.description == "SubSpool1/125862202478.eml")
        // The file is JSON lines, 0600, every line complete.
        let text = try #require(QTest.text(path))
        #expect(text.hasSuffix("\n"))
        #expect(text.split(separator: "\n").count == 6)
        #expect(QTest.mode(path) == 0o600)
    }

    @Test func pendingIsIntentsWithoutOutcome() throws {
        let dir = try TempFolder("journal-pending")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json, intent(2, id: "2").json, intent(3, id: "3").json, doneRecord], sync: true)
        let j = try Journal.read(path)
        #expect(j.pending.map(\.seq) == [2, 3])
    }

    @Test func tornLastLineIsIgnored() throws {
        let dir = try TempFolder("journal-torn")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json, doneRecord], sync: true)
        let half = intent(2, id: "2").json.compact()
        try appendRaw(path, String(half.prefix(half.count / 2)))
        let j = try Journal.read(path)
        #expect(j.intents.map(\.seq) == [1])
        #expect(j.outcomes == [1: .done])
        #expect(j.pending.isEmpty)
        #expect(j.ended == false)
        // A torn line that happens to be valid JSON is still a torn line (no newline): ignored.
        let dir2 = try TempFolder("journal-torn2")
        let (path2, writer2) = try newJournal(dir2)
        try writer2.append([intent(1, id: "1").json], sync: true)
        try appendRaw(path2, doneRecord.compact())
        #expect(try Journal.read(path2).outcomes.isEmpty)
    }

    @Test func damagedMiddleLineIsRefusedWithItsNumber() throws {
        let dir = try TempFolder("journal-damaged")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json], sync: true)
        try appendRaw(path, "{\"op\":\"done\",\"seq\":1\n")
        try writer.append([intent(2, id: "2").json], sync: true)
        #expect(readError(path) == "\(path): line 3 is damaged; the journal is refused")

        let dir2 = try TempFolder("journal-empty-line")
        let (path2, writer2) = try newJournal(dir2)
        try appendRaw(path2, "\n")
        try writer2.append([doneRecord], sync: true)
        #expect(readError(path2) == "\(path2): line 2 is damaged; the journal is refused")

        let dir3 = try TempFolder("journal-unknown-op")
        let (path3, writer3) = try newJournal(dir3)
        try writer3.append([intent(1, id: "1").json, .object([("op", .string("explode")), ("seq", .int(1))])], sync: true)
        #expect(readError(path3) == "\(path3): line 3: unknown record 'explode'")
    }

    @Test func badFirstLineIsRefused() throws {
        let dir = try TempFolder("journal-badhead")
        let path = try dir.write("x.journal", "{\"spoolsweep_journal\":2}\n")
        #expect(readError(path) == "\(path): not a spoolsweep journal (bad first line)")
        // A batch that is a path, not one name.
        var h = header().json.compact()
        h = h.qReplacing("\"batch\":\"q-20261128-180000-00aa\"", "\"batch\":\"../q\"")
        let path2 = try dir.write("y.journal", h + "\n")
        #expect(readError(path2) == "\(path2): not a spoolsweep journal (bad first line)")
    }

    @Test(arguments: ["../../etc/passwd", "/etc/passwd", "SubSpool1/../../x", "SubSpool1/./x.eml", "SubSpool1//x.eml", "SubSpool1/x.eml/", ""])
    func intentPathOutsideItsRootsIsRefused(_ bad: String) throws {
        let dir = try TempFolder("journal-escape")
        let (path, writer) = try newJournal(dir)
        let good = intent(1, id: "125862202478").json.compact()
        let tampered = good.qReplacing("\"path\":\"SubSpool1/125862202478.hdr\"", "\"path\":\(quoted(bad))")
        #expect(tampered != good)
        try writer.append([doneRecord], sync: true) // line 2
        try appendRaw(path, tampered + "\n")          // line 3
        #expect(readError(path) == "\(path): line 3 names a path outside its roots or lacks a field; the journal is refused")
    }

    @Test func contentPathMustBeOneOfTheFiles() throws {
        let dir = try TempFolder("journal-content")
        let (path, _) = try newJournal(dir)
        let tampered = intent(1, id: "1").json.compact()
            .qReplacing("\"content\":\"SubSpool1/1.eml\"", "\"content\":\"SubSpool2/other.eml\"")
        try appendRaw(path, tampered + "\n")
        #expect(readError(path) == "\(path): line 2 names a path outside its roots or lacks a field; the journal is refused")
    }

    @Test func shortHashIsRefused() throws {
        let dir = try TempFolder("journal-sha")
        let (path, _) = try newJournal(dir)
        try appendRaw(path, intent(1, id: "1").json.compact().qReplacing(sha1, "abc") + "\n")
        #expect(readError(path) == "\(path): line 2 names a path outside its roots or lacks a field; the journal is refused")
    }

    /// Recovery opens a journal whose last line is torn: the next record must start a new line.
    @Test func appendingAfterATornTailStartsANewLine() throws {
        let dir = try TempFolder("journal-append-torn")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json], sync: true)
        let torn = String(intent(2, id: "2").json.compact().prefix(40))
        try appendRaw(path, torn)
        let before = try #require(QTest.text(path))
        let again = try JournalWriter(appendingTo: path)
        try again.append([doneRecord], sync: true)
        let after = try #require(QTest.text(path))
        // The record is a line of its own (whether the torn fragment was cut off or closed).
        #expect(after.hasSuffix("\n" + doneRecord.compact() + "\n"))
        #expect(after.hasPrefix(String(before.dropLast(torn.count))))
        #expect(!after.contains(torn + doneRecord.compact()))
    }

    /// No newline is added when the journal already ends with one.
    @Test func appendingAfterACompleteLineAddsNothing() throws {
        let dir = try TempFolder("journal-append-clean")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json], sync: true)
        let before = try #require(QTest.text(path))
        let again = try JournalWriter(appendingTo: path)
        try again.append([doneRecord], sync: true)
        #expect(QTest.text(path) == before + doneRecord.compact() + "\n")
        #expect(try Journal.read(path).outcomes == [1: .done])
    }

    /// After recovery has appended to a journal with a torn tail, the journal must still be
    /// readable: the torn fragment announced a step that never began.
    @Test func journalWithTornTailStaysReadableAfterAppending() throws {
        let dir = try TempFolder("journal-append-read")
        let (path, writer) = try newJournal(dir)
        try writer.append([intent(1, id: "1").json], sync: true)
        try appendRaw(path, String(intent(2, id: "2").json.compact().prefix(40)))
        let again = try JournalWriter(appendingTo: path)
        try again.append([doneRecord, .object([("op", .string("end")), ("recovered", .bool(true))])], sync: true)
        #expect(readError(path) == nil)
        let j = try? Journal.read(path)
        #expect(j?.outcomes == [1: .done])
        #expect(j?.ended == true)
    }

    @Test func creatingRefusesAnExistingJournal() throws {
        let dir = try TempFolder("journal-excl")
        _ = try newJournal(dir)
        #expect(throws: MoveError.self) { _ = try newJournal(dir) }
    }
}

private func quoted(_ s: String) -> String {
    var out = ""
    JSON.quote(s, into: &out)
    return out
}

extension String {
    /// Every occurrence of `a` replaced by `b` (no Foundation).
    func qReplacing(_ a: String, _ b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: a) { out += rest[..<r.lowerBound]; out += b; rest = rest[r.upperBound...] }
        return out + rest
    }
}
