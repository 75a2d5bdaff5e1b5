import Glibc
import Testing
@testable import SpoolsweepCore

// MARK: - Helpers

/// A spool folder `Spool/` with `SubSpool1/` inside, under a fresh temp folder.
private final class SpoolFixture {
    let dir: TempFolder
    var spool: String { dir.at("Spool") }

    init(_ tag: String) throws {
        dir = try TempFolder(tag)
        try dir.folder("Spool")
        try dir.folder("Spool/SubSpool1")
    }

    @discardableResult
    func file(_ name: String, _ text: String) throws -> String { try dir.write("Spool/SubSpool1/" + name, text) }

    @discardableResult
    func file(_ name: String, _ bytes: [UInt8]) throws -> String { try dir.write("Spool/SubSpool1/" + name, bytes) }

    func path(_ name: String) -> String { dir.at("Spool/SubSpool1/" + name) }

    func read() throws -> (messages: [QueuedMessage], diagnostics: Diagnostics) {
        let r = try Spoolsweep.readSpool(InputSelection(paths: [spool]))
        return (r.messages.sorted { $0.id < $1.id }, r.diagnostics)
    }
}

private let eml = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nbody\r\n"

private let sampleHdr = """
Written\u{20}
joe@example.com
alice@example.net,bob@example.org
retry: 0;08/30/2026 22:43:20
from: joe@example.com
auth: joe@example.com
spamcheck: _DMARC=0,skipped - Authenticated
creationdate: 08/30/2026 22:43:20
notify: alice@example.net=
notify: bob@example.org=
containsLocalDeliveries: False
connectedip: 203.0.113.42
helo: JOEPC
connectedhostname: host-203-0-113-42.example.net
smtpSessionId: 41107744
dmarcResult: Skipped (Authenticated)


"""

// MARK: - Envelope variants

@Suite struct SmarterMailSpoolEnvelopeTests {
    @Test func vendorSampleWithCRLF() throws {
        let s = try SpoolFixture("spool-sample")
        let hdr = try s.file("67518204.hdr", sampleHdr.crlf)
        let content = try s.file("67518204.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        #expect(diagnostics.filesRead == 1)
        try #require(messages.count == 1)
        let m = messages[0]
        #expect(m.id == "67518204")
        #expect(m.queue == "SubSpool1")
        #expect(m.state == "Written")
        #expect(m.sender == "joe@example.com")
        #expect(m.recipients == ["alice@example.net", "bob@example.org"])
        #expect(m.account == "joe@example.com")
        #expect(m.clientIP == "203.0.113.42")
        #expect(m.helo == "JOEPC")
        #expect(m.sessionID == "41107744")
        #expect(m.created == LocalTime(year: 2026, month: 8, day: 30, hour: 22, minute: 43, second: 20))
        #expect(m.attempts == 0)
        #expect(m.nextAttempt == LocalTime(year: 2026, month: 8, day: 30, hour: 22, minute: 43, second: 20))
        #expect(m.envelopePath == hdr)
        #expect(m.contentPath == content)
        #expect(m.size == eml.utf8.count)
        #expect(m.beingWritten == false)
        #expect(m.fields.count == 13)
        #expect(m.fields.filter { $0.key == "notify" }.map(\.value) == ["alice@example.net=", "bob@example.org="])
        #expect(m.fields.first == EnvelopeField(key: "retry", value: "0;08/30/2026 22:43:20"))
        #expect(m.fields.last == EnvelopeField(key: "dmarcResult", value: "Skipped (Authenticated)"))
    }

    @Test func lfAndCRLFAndBOMParseTheSame() throws {
        let s = try SpoolFixture("spool-endings")
        try s.file("10000001.hdr", sampleHdr)
        try s.file("10000002.hdr", sampleHdr.crlf)
        try s.file("10000003.hdr", [0xEF, 0xBB, 0xBF] + Array(sampleHdr.crlf.utf8))
        for id in ["10000001", "10000002", "10000003"] { try s.file(id + ".eml", eml) }
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        try #require(messages.count == 3)
        for m in messages {
            #expect(m.state == "Written")
            #expect(m.sender == "joe@example.com")
            #expect(m.recipients == ["alice@example.net", "bob@example.org"])
            #expect(m.account == "joe@example.com")
            #expect(m.sessionID == "41107744")
            #expect(m.fields == messages[0].fields)
        }
    }

    @Test func nullSenderAsAngleBracketsOrEmptyLine() throws {
        let s = try SpoolFixture("spool-null")
        try s.file("20324046.hdr", "Written \r\n<>\r\nevents@tailspin.test\r\nconnectedip: 127.0.0.1\r\n\r\n")
        try s.file("20324046.eml", eml)
        try s.file("38973624.hdr", "Written \r\n\r\nshop@northwind.test\r\nconnectedip: 127.0.0.1\r\n\r\n")
        try s.file("38973624.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.id) == ["20324046", "38973624"])
        #expect(messages.map(\.sender) == ["", ""])
        #expect(messages.map(\.recipients) == [["events@tailspin.test"], ["shop@northwind.test"]])
        #expect(messages.map(\.account) == [nil, nil])
        #expect(messages.map(\.sessionID) == [nil, nil])
    }

    /// Dates of 20 digits or a year past 9999 (`creationdate:`, the date of `retry:`) are no
    /// date, not an overflow: the message is still listed.
    @Test func outOfRangeDatesAreNoDate() throws {
        let s = try SpoolFixture("spool-dates")
        try s.file("20324046.hdr", "Written \r\n<a@b.test>\r\nevents@tailspin.test\r\ncreationdate: 11/28/99999999999999999999 17:41:10\r\nretry: 2;11/28/1000000000 10:00:00\r\n\r\n")
        try s.file("20324046.eml", eml)
        try s.file("38973624.hdr", "Written \r\n<a@b.test>\r\nevents@tailspin.test\r\ncreationdate: 99999999999999999999/28/2026 17:41:10\r\n\r\n")
        try s.file("38973624.eml", eml)
        #expect(SmarterMailEnvelope.parseDate("11/28/99999999999999999999 17:41:10") == nil)
        #expect(SmarterMailEnvelope.parseDate("11/28/10000 17:41:10") == nil)
        #expect(SmarterMailEnvelope.parseDate("11/28/2026 17:41:99999999999999999999") == nil)
        #expect(SmarterMailEnvelope.parseDate("11/28/2026 5:41:10 PM") == LocalTime(year: 2026, month: 11, day: 28, hour: 17, minute: 41, second: 10))
        let (messages, _) = try s.read()
        #expect(messages.map(\.id) == ["20324046", "38973624"])
        #expect(messages[0].attempts == 2 && messages[0].nextAttempt == nil)
    }

    @Test func failedState() throws {
        let s = try SpoolFixture("spool-failed")
        try s.file("79047012.hdr", "Failed \r\nnews@relecloud.test\r\nolivia@northwind.test\r\ncreationdate: 11/28/2026 17:41:10\r\n\r\n")
        try s.file("79047012.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.state) == ["Failed"])
        #expect(messages.first?.created == LocalTime(year: 2026, month: 11, day: 28, hour: 17, minute: 41, second: 10))
    }

    @Test func fortyRecipientsRepeatedNotifyAndUnknownKeys() throws {
        let recipients = (1...40).map { "r\($0)@d\($0 % 13).test" }
        var hdr = "Written \r\nlucas@northwind.test\r\n" + recipients.joined(separator: ",") + "\r\n"
        hdr += "auth: lucas@northwind.test\r\n"
        for r in recipients { hdr += "notify: \(r)=\r\n" }
        hdr += "x-future-key: something new\r\nSMTPSESSIONID: 14169889\r\nno colon on this line\r\n\r\nafter the blank line: ignored\r\n"
        let s = try SpoolFixture("spool-forty")
        try s.file("125862202478.hdr", hdr)
        try s.file("125862202478.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        try #require(messages.count == 1)
        let m = messages[0]
        #expect(m.recipients == recipients)
        #expect(m.fields.filter { $0.key == "notify" }.count == 40)
        #expect(m.fields.count == 43)
        #expect(m.fields.contains(EnvelopeField(key: "x-future-key", value: "something new")))
        #expect(m.sessionID == "14169889")
        #expect(m.account == "lucas@northwind.test")
    }

    @Test func keyCaseOfOlderVersionsAndNoAuth() throws {
        let hdr = """
        Written\u{20}
        webform@fabrikam.test
        sam96@cedarhealth.test
        retry: 2;11/28/2026 7:20:35 PM
        connectedIP: 198.51.100.80
        connectedHostName: web1.fabrikam.test
        connectedPort: 51234
        HELO: web1.fabrikam.test
        CreationDate: 11/28/2026 2:20:33 PM


        """
        let s = try SpoolFixture("spool-keycase")
        try s.file("27128419.hdr", hdr.crlf)
        try s.file("27128419.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        try #require(messages.count == 1)
        let m = messages[0]
        #expect(m.account == nil)
        #expect(m.clientIP == "198.51.100.80")
        #expect(m.helo == "web1.fabrikam.test")
        #expect(m.attempts == 2)
        #expect(m.nextAttempt == LocalTime(year: 2026, month: 11, day: 28, hour: 19, minute: 20, second: 35))
        #expect(m.created == LocalTime(year: 2026, month: 11, day: 28, hour: 14, minute: 20, second: 33))
        #expect(m.fields.map(\.key) == ["retry", "connectedIP", "connectedHostName", "connectedPort", "HELO", "CreationDate"])
        #expect(m.fields[2].value == "web1.fabrikam.test")
    }

    @Test func writingWithTemporaryContentIsNotAWarning() throws {
        let s = try SpoolFixture("spool-writing")
        try s.file("94733036.hdr", "Writing\r\numa@litware.test\r\nsales@northwind.test\r\nsmtpSessionId: 76407672\r\n\r\n")
        try s.file("94733036.em_", "Received: from ...\r\n")
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        try #require(messages.count == 1)
        #expect(messages[0].state == "Writing")
        #expect(messages[0].beingWritten)
        #expect(messages[0].contentPath == nil)
        #expect(messages[0].sender == "uma@litware.test")
    }

    @Test func writingStateLineAloneIsNotAWarning() throws {
        let s = try SpoolFixture("spool-writing-alone")
        try s.file("80661811.hdr", "Writing\r\n")
        try s.file("80661811.em_", "")
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.state) == ["Writing"])
    }

    @Test func dropFolderTakesBareMessages() throws {
        let s = try SpoolFixture("spool-drop")
        try s.dir.folder("Spool/Drop")
        try s.dir.write("Spool/Drop/52141372.eml",
                        "From: Reports <reports@northwind.test>\r\nTo: olivia@northwind.test, Noah <noah@northwind.test>\r\nSubject: Monthly statement ready\r\n\r\nhi\r\n")
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        try #require(messages.count == 1)
        #expect(messages[0].queue == "Drop")
        #expect(messages[0].state == "Drop")
        #expect(messages[0].sender == "reports@northwind.test")
        #expect(messages[0].recipients == ["olivia@northwind.test", "noah@northwind.test"])
    }
}

// MARK: - Bad spool input

@Suite struct SmarterMailBadSpoolTests {
    @Test func envelopeWithoutMessage() throws {
        let s = try SpoolFixture("spool-hdr-only")
        try s.file("30909693.hdr", "Written \r\nlucas@northwind.test\r\nx@remote.test\r\nauth: lucas@northwind.test\r\n\r\n")
        // Settled: a .hdr written moments ago may have its .eml on the way.
        try TempFolder.age(s.path("30909693.hdr"), seconds: 3600)
        let (messages, diagnostics) = try s.read()
        // An orphan is a finding (the server's leftover), not a failure to read.
        #expect(diagnostics.warnings.isEmpty && !diagnostics.isPartial)
        #expect(diagnostics.findings == [InputWarning(path: s.path("30909693.hdr"), reason: "envelope (.hdr) without its message (.eml)")])
        #expect(messages.map(\.id) == ["30909693"])
        #expect(messages.first?.contentPath == nil)
        #expect(messages.first?.size == 0)
        #expect(messages.first?.account == "lucas@northwind.test")
    }

    /// Just written, with no .eml yet: a message arriving, not an orphan.
    @Test func freshEnvelopeWithoutMessageIsBeingWritten() throws {
        let s = try SpoolFixture("spool-hdr-fresh")
        try s.file("30909694.hdr", "Written \r\nlucas@northwind.test\r\nx@remote.test\r\n\r\n")
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings.isEmpty)
        #expect(messages.map(\.beingWritten) == [true])
    }

    @Test func messageWithoutEnvelope() throws {
        let s = try SpoolFixture("spool-eml-only")
        try s.file("868583812463.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings.isEmpty)
        #expect(diagnostics.findings == [InputWarning(path: s.path("868583812463.eml"), reason: "message (.eml) without its envelope (.hdr)")])
        #expect(messages.map(\.state) == ["Orphan"])
        #expect(messages.first?.size == eml.utf8.count)
    }

    @Test func symbolicLinkLoopIsNotFollowed() throws {
        let s = try SpoolFixture("spool-loop")
        try s.dir.link("Spool/SubSpool1/loop", to: ".")
        try s.dir.link("Spool/SubSpool1/55555555.eml", to: "/etc/passwd")
        try s.file("67518204.hdr", sampleHdr)
        try s.file("67518204.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [
            InputWarning(path: s.path("55555555.eml"), reason: "is a symbolic link (not followed)"),
            InputWarning(path: s.path("loop"), reason: "is a symbolic link (not followed)"),
        ])
        #expect(messages.map(\.id) == ["67518204"])
    }

    @Test func garbageEnvelope() throws {
        let s = try SpoolFixture("spool-garbage")
        try s.file("11111111.hdr", [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x0A, 0x00, 0xFF, 0x0A, 0x0A])
        try s.file("11111111.eml", eml)
        try s.file("22222222.hdr", "Hello there\nthis is a note\nnot an envelope\n")
        try s.file("22222222.eml", eml)
        // Settled files: a .hdr modified moments ago may be one the server is writing.
        for name in ["11111111.hdr", "22222222.hdr"] { try TempFolder.age(s.path(name), seconds: 3600) }
        let (messages, diagnostics) = try s.read()
        let reason = "not a SmarterMail envelope: first line is not a state (Writing, Written, Failed)"
        #expect(diagnostics.warnings == [
            InputWarning(path: s.path("11111111.hdr"), reason: reason),
            InputWarning(path: s.path("22222222.hdr"), reason: reason),
        ])
        #expect(messages.isEmpty)
    }

    @Test func emptyAndCutShortEnvelopes() throws {
        let s = try SpoolFixture("spool-empty")
        try s.file("33333333.hdr", "")
        try s.file("33333333.eml", eml)
        try s.file("44444444.hdr", "Written \r\n")
        try s.file("44444444.eml", eml)
        for name in ["33333333.hdr", "44444444.hdr"] { try TempFolder.age(s.path(name), seconds: 3600) }
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [
            InputWarning(path: s.path("33333333.hdr"), reason: "empty envelope (.hdr)"),
            InputWarning(path: s.path("44444444.hdr"), reason: "envelope (.hdr) cut short: no sender and recipient lines"),
        ])
        #expect(messages.isEmpty)
    }

    /// The server writes a .hdr in place: caught half-written (modified moments ago), it is a
    /// message being received, listed as Writing and never touched, not a damaged file.
    @Test func halfWrittenFreshEnvelopeIsBeingWritten() throws {
        let s = try SpoolFixture("spool-fresh")
        try s.file("55555555.hdr", "Writ")
        try s.file("55555555.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings.isEmpty)
        #expect(messages.map(\.state) == ["Writing"])
        #expect(messages.map(\.beingWritten) == [true])
    }

    @Test func envelopeThatIsAFolder() throws {
        let s = try SpoolFixture("spool-hdr-folder")
        try s.dir.folder("Spool/SubSpool1/66666666.hdr")
        try s.file("66666666.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [InputWarning(path: s.path("66666666.hdr"), reason: "not a regular file (a folder)")])
        #expect(diagnostics.findings == [InputWarning(path: s.path("66666666.eml"), reason: "message (.eml) without its envelope (.hdr)")])
        #expect(messages.map(\.id) == ["66666666"])
        #expect(messages.map(\.state) == ["Orphan"])
    }

    @Test func fifoInTheSpool() throws {
        let s = try SpoolFixture("spool-fifo")
        try s.dir.fifo("Spool/SubSpool1/77777777.hdr")
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [InputWarning(path: s.path("77777777.hdr"), reason: "not a regular file (a FIFO)")])
        #expect(messages.isEmpty)
    }

    /// Files pair by base name whatever sorts between them by full name (`a.b.eml` sorts between
    /// `a.eml` and `a.hdr`) and whatever the suffix's case; messages come in base-name order.
    @Test func filesPairByBaseNameWhateverSortsBetween() throws {
        let s = try SpoolFixture("spool-pairing")
        for name in ["a.b.eml", "a.b.hdr", "a.eml", "a.HDR", "a-1.EML", "a-1.hdr", "Ab.hdr", "Ab.em_"] {
            try s.file(name, name.lowercased().hasSuffix(".hdr") ? sampleHdr : eml)
        }
        let r = try Spoolsweep.readSpool(InputSelection(paths: [s.spool]))
        #expect(r.diagnostics.warnings == [])
        #expect(r.messages.map(\.id) == ["Ab", "a", "a-1", "a.b"])
        #expect(r.messages.map { $0.files.map(FileSystem.baseName) } == [
            ["Ab.em_", "Ab.hdr"], ["a.HDR", "a.eml"], ["a-1.EML", "a-1.hdr"], ["a.b.eml", "a.b.hdr"],
        ])
        #expect(r.messages.map(\.beingWritten) == [true, false, false, false])
    }

    /// A `.hdr` named on the command line is read on its own, its `.eml` found beside it.
    @Test func oneEnvelopeNamedAlone() throws {
        let s = try SpoolFixture("spool-one")
        let hdr = try s.file("67518204.hdr", sampleHdr)
        let content = try s.file("67518204.eml", eml)
        let r = try Spoolsweep.readSpool(InputSelection(paths: [hdr]))
        #expect(r.diagnostics.warnings == [])
        #expect(r.messages.map(\.id) == ["67518204"])
        #expect(r.messages.map(\.sender) == ["joe@example.com"])
        #expect(r.messages.map(\.contentPath) == [content])
        #expect(r.messages.map(\.size) == [eml.utf8.count])
    }

    @Test func otherFilesInTheSpoolAreIgnored() throws {
        let s = try SpoolFixture("spool-other")
        try s.file("Thumbs.db", [0, 1, 2])
        try s.file("notes.txt", "x")
        try s.file("67518204.hdr", sampleHdr)
        try s.file("67518204.eml", eml)
        let (messages, diagnostics) = try s.read()
        #expect(diagnostics.warnings == [])
        #expect(messages.map(\.id) == ["67518204"])
    }

    @Test func folderWithoutASpoolIsNoInput() throws {
        let dir = try TempFolder("spool-none")
        try dir.write("2026.11.28-smtpLog.log", "")
        do {
            _ = try Spoolsweep.readSpool(InputSelection(paths: [dir.path]))
            Issue.record("a logs-only folder has no spool")
        } catch {
            guard case .noInput(let e) = error else { Issue.record("unexpected \(error)"); return }
            #expect(e.message.hasPrefix("\(dir.path): no spool found (looked for "))
        }
    }
}

@Suite struct SmarterMailVanishingSpoolTests {
    /// A message delivered (and removed) by the server between the folder listing and the read
    /// is simply gone: no warning, no message.
    @Test func pairRemovedAfterListingIsSkippedQuietly() throws {
        let dir = try TempFolder("vanish")
        var walker = SmarterMailSpoolWalker(diagnostics: Diagnostics())
        var seen: [QueuedMessage] = []
        var files = MessageFiles()
        files.add("12345678.hdr", dir.at("12345678.hdr"), .envelope)
        files.add("12345678.eml", dir.at("12345678.eml"), .content)
        walker.readPair(id: "12345678", queue: "SubSpool1", files, in: FileSystem.Folder(dir.path)!) { seen.append($0) }
        #expect(seen.isEmpty)
        #expect(walker.diagnostics.warnings.isEmpty)
    }
}

// MARK: - Folders read a run at a time

@Suite struct SmarterMailSpoolRunTests {
    /// A folder read a run of names at a time (a large spool: its memory stays that of a run)
    /// gives the same messages, files and findings as read whole, whatever run a message's
    /// files fall in: pairs, upper-case and mixed-case pairs, orphans of either kind, messages being received,
    /// a damaged envelope, and the Drop folder's bare messages. Each message once.
    @Test func runsOfAnySizeReadTheSameSpool() throws {
        let s = try SpoolFixture("spool-runs")
        for n in 0..<40 {
            let id = String(20_000_000 + n * 7919 % 1000), body = "From: a\(n)@example.com\r\n\r\nnote \(n)\r\n"
            let (hdr, eml, temporary) = n % 9 == 4 ? (".HDR", ".EML", ".EM_") : (".hdr", ".eml", ".em_")
            switch n % 10 {
            case 1: try s.file(id + eml, body) // an orphan message
            case 2: try s.file(id + hdr, sampleHdr.crlf) // an orphan envelope
            case 3: // being received
                try s.file(id + hdr, "Writing\r\numa@litware.test\r\nsales@northwind.test\r\n\r\n")
                try s.file(id + temporary, "Received: from ...\r\n")
            case 5:
                try s.file(id + hdr, "\u{0}\u{1}garbage")
                try s.file(id + eml, body)
            default:
                try s.file(id + hdr, sampleHdr.crlf)
                try s.file(id + eml, body)
            }
        }
        // A copy from Windows, where the case of a suffix is the case the copy made.
        try s.file("20009999.hdr", sampleHdr.crlf)
        try s.file("20009999.EML", "From: w@example.com\r\n\r\ncopied\r\n")
        try s.dir.folder("Spool/Drop")
        for n in 0..<3 { try s.dir.write("Spool/Drop/5214137\(n).eml", "From: r\(n)@northwind.test\r\nTo: o@northwind.test\r\n\r\nhi\r\n") }
        for folder in ["Spool/SubSpool1", "Spool/Drop"] {
            for name in FileSystem.list(s.dir.at(folder)) ?? [] where MessageSuffix(name) != .temporary {
                try TempFolder.age(s.dir.at(folder + "/" + name), seconds: 3600)
            }
        }
        func read(runNames: Int) -> (messages: [QueuedMessage], said: [InputWarning]) {
            var walker = SmarterMailSpoolWalker(diagnostics: Diagnostics())
            walker.runNames = runNames
            var messages: [QueuedMessage] = []
            walker.walk(s.spool, queue: nil, depth: 0) { m in
                var m = m
                m.files.sort()
                messages.append(m)
            }
            let said = walker.diagnostics.warnings + walker.diagnostics.findings
            return (messages.sorted { ($0.queue, $0.id) < ($1.queue, $1.id) }, said.sorted { ($0.path, $0.reason) < ($1.path, $1.reason) })
        }
        let whole = read(runNames: .max)
        #expect(whole.messages.count == 40 - 4 + 1 + 3) // less the damaged envelopes
        #expect(Set(whole.messages.map { $0.queue + "/" + $0.id }).count == whole.messages.count)
        #expect(whole.messages.filter { $0.state == "Orphan" }.count == 4)
        #expect(whole.messages.filter(\.beingWritten).count == 4)
        #expect(whole.messages.filter { $0.contentPath?.hasSuffix(".EML") == true }.count == 3)
        #expect(whole.messages.filter { $0.files.contains { $0.hasSuffix(".EM_") } }.count == 1)
        #expect(whole.said.count == 4 + 4 + 4) // orphans of either kind, damaged envelopes
        for runNames in [1, 2, 3, 7, 16] {
            let runs = read(runNames: runNames)
            #expect(runs.messages == whole.messages, "runs of \(runNames) names")
            #expect(runs.said == whole.said, "runs of \(runNames) names")
        }
    }
}

// MARK: - Threads

@Suite struct SmarterMailSpoolThreadTests {
    /// 400 pairs (every 50th an orphan .eml, every 70th a damaged .hdr): read and selected by one
    /// thread and by several, the same messages in the same order with the same warnings.
    @Test func theOutputDoesNotDependOnTheThreads() throws {
        let s = try SpoolFixture("spool-threads")
        for n in 0..<400 {
            let id = String(10_000_000 + n)
            let body = n % 3 == 0 ? "claim your prize at http://prize.example/\(n)" : "minutes of the meeting \(n)"
            try s.file(id + ".eml", "From: a\(n)@example.com\r\nTo: b@example.org\r\nSubject: note \(n)\r\n\r\n\(body)\r\n")
            if n % 50 == 7 { continue }
            try s.file(id + ".hdr", n % 70 == 3 ? "\u{0}\u{1}garbage" : sampleHdr.crlf)
        }
        for name in FileSystem.list(s.dir.at("Spool/SubSpool1")) ?? [] {
            try TempFolder.age(s.path(name), seconds: 3600)
        }
        func read(_ threads: Int) throws -> ([QueuedMessage], [InputWarning]) {
            var input = InputSelection(paths: [s.spool])
            input.threads = threads
            let r = try Spoolsweep.readSpool(input)
            return (r.messages, r.diagnostics.warnings + r.diagnostics.findings)
        }
        let (one, oneWarnings) = try read(1)
        // Orphan .eml files are listed (state Orphan, with a finding); damaged .hdr are not (a warning).
        #expect(one.count == 400 - 6)
        #expect(one.filter { $0.state == "Orphan" }.count == 8)
        for threads in [2, 3, 8] {
            let (many, manyWarnings) = try read(threads)
            #expect(many == one, "\(threads) threads")
            #expect(manyWarnings == oneWarnings, "\(threads) threads")
        }
        #expect(oneWarnings.count == 8 + 6)

        let filter = try SpoolFilter(body: "prize\\.example")
        func select(_ threads: Int) throws -> ([String], Int) {
            var input = InputSelection(paths: [s.spool])
            input.threads = threads
            let r = try Spoolsweep.selectSpool(input, filter: filter, now: LocalTime.now(), wantsSubject: true)
            return (r.selected.map { "\($0.message.id) \($0.subject)" }, r.diagnostics.warnings.count)
        }
        let (chosen, warnings) = try select(1)
        #expect(chosen.count == 134 - 2) // less the damaged 3 and 213
        for threads in [2, 5] { #expect(try select(threads) == (chosen, warnings)) }
        // Without the subject (--count), the body alone is read: the same messages and warnings.
        for threads in [1, 2] {
            var input = InputSelection(paths: [s.spool])
            input.threads = threads
            let r = try Spoolsweep.selectSpool(input, filter: filter, now: LocalTime.now(), wantsSubject: false)
            #expect(r.selected.map(\.message.id) == chosen.map { String($0.prefix { $0 != " " }) })
            #expect(r.diagnostics.warnings.count == warnings)
        }
    }
}
