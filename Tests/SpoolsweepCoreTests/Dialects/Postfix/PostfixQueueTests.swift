import Glibc
import Testing
@testable import SpoolsweepCore

// MARK: - Helpers

/// `<repo>/fixtures/postfix`, found from this file's path
/// (<repo>/Tests/SpoolsweepCoreTests/Dialects/Postfix/).
private let fixture: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(5)
    return parts.joined(separator: "/") + "/fixtures/postfix"
}()

/// The queue directory of the fixture (the folder holding `deferred/`, `hold/`...).
private let queueDirectory = fixture + "/queue/postfix"

private func readFile(_ path: String) throws -> [UInt8] {
    let source = try ByteSource(path: path, allowMapping: false)
    var bytes: [UInt8] = []
    _ = try source.readAll(into: &bytes, limit: 1 << 30)
    return bytes
}

private func walk(_ directory: String, threads: Int = 1, runNames: Int? = nil) -> (messages: [QueuedMessage], diagnostics: Diagnostics) {
    var walker = PostfixQueueWalker(diagnostics: Diagnostics())
    walker.threads = threads
    if let runNames { walker.runNames = runNames }
    var messages: [QueuedMessage] = []
    walker.walk(queueDirectory: directory) { messages.append($0) }
    return (messages, walker.diagnostics)
}

private func parse(_ bytes: [UInt8]) -> (message: QueuedMessage, problem: String?) {
    var message = QueuedMessage(id: "test", queue: "deferred", state: "deferred")
    let problem = bytes.withUnsafeBytes { PostfixQueueFile.parse($0, into: &message) }
    return (message, problem)
}

private func content(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { PostfixQueueFile.content($0) }
}

/// A queue file written record by record, as Postfix's `rec_put` does.
private struct QueueFileBuilder {
    var bytes: [UInt8] = []

    /// Appends a record and returns its offset.
    @discardableResult
    mutating func record(_ type: Character, _ data: [UInt8]) -> Int {
        let offset = bytes.count
        bytes.append(type.asciiValue!)
        var length = data.count
        repeat {
            var b = UInt8(length & 0x7F)
            length >>= 7
            if length > 0 { b |= 0x80 }
            bytes.append(b)
        } while length > 0
        bytes += data
        return offset
    }

    @discardableResult
    mutating func record(_ type: Character, _ text: String) -> Int { record(type, Array(text.utf8)) }

    /// A `p` record pointing at `target` (`%15ld`), returning its offset.
    @discardableResult
    mutating func pointer(_ target: Int) -> Int { record("p", Self.padded(target)) }

    /// Rewrites the `p` record at `offset` to point at `target`.
    mutating func setPointer(at offset: Int, to target: Int) {
        let data = Array(Self.padded(target).utf8)
        bytes.replaceSubrange(offset + 2 ..< offset + 2 + data.count, with: data)
    }

    static func padded(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(0, 15 - s.count)) + s
    }

    /// The envelope up to the sender, as cleanup writes it.
    static func envelope(contentSize: Int = 120) -> QueueFileBuilder {
        var b = QueueFileBuilder()
        b.record("C", [contentSize, 300, 1, 0, contentSize, 0].map(padded).joined(separator: " "))
        b.record("T", "1795922419 70358")
        b.record("A", "create_time=1795922419")
        b.record("A", "sasl_method=PLAIN")
        b.record("A", "sasl_username=joe@example.com")
        b.record("S", "joe@example.com")
        b.record("A", "client_address=192.0.2.7")
        b.record("A", "helo_name=JOEPC")
        return b
    }
}

/// A queue folder tree under a fresh temp folder: `postfix/{incoming,deferred/A,hold}`.
private final class QueueFixture {
    let dir: TempFolder
    var queueDirectory: String { dir.at("postfix") }

    init(_ tag: String) throws {
        dir = try TempFolder(tag)
        try dir.folder("postfix")
        for q in ["incoming", "deferred", "deferred/A", "hold"] { try dir.folder("postfix/" + q) }
    }

    @discardableResult
    func file(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o700) throws -> String {
        let p = try dir.write("postfix/" + name, bytes)
        guard chmod(p, mode) == 0 else { throw SetupError("chmod \(p)") }
        return p
    }
}

/// A sound queue file from the fixture (invoice phishing, 3 recipients).
private let samplePath = queueDirectory + "/deferred/1/4jcXTb0VD8z7lvy"

// MARK: - The fixture queue against `postqueue -j`

@Suite struct PostfixQueueFixtureTests {
    /// Several threads read the same messages, in the same order, as one.
    @Test func theOutputDoesNotDependOnTheThreads() {
        let (one, oneDiagnostics) = walk(queueDirectory)
        #expect(one.count == 236)
        for threads in [2, 3, 7] {
            let (many, manyDiagnostics) = walk(queueDirectory, threads: threads)
            #expect(many == one)
            #expect(manyDiagnostics.filesRead == oneDiagnostics.filesRead)
        }
    }

    /// A queue folder read a run of names at a time (a queue of millions: its memory stays that
    /// of a run) holds the same messages; by name within each run, so in order when the
    /// folder is one run. The hashed folders of the fixture hold 1 to 40 files.
    @Test func runsOfAnySizeReadTheSameQueue() {
        let (whole, wholeDiagnostics) = walk(queueDirectory)
        for runNames in [1, 2, 5, 64] {
            let (runs, runsDiagnostics) = walk(queueDirectory, threads: 2, runNames: runNames)
            #expect(runs.sorted { $0.id < $1.id } == whole.sorted { $0.id < $1.id }, "runs of \(runNames)")
            #expect(runsDiagnostics.filesRead == wholeDiagnostics.filesRead, "runs of \(runNames)")
            #expect(runsDiagnostics.warnings == wholeDiagnostics.warnings, "runs of \(runNames)")
        }
        #expect(walk(queueDirectory, runNames: 1 << 16).messages == whole)
    }

    @Test func walkMatchesPostqueueJSON() throws {
        let (messages, diagnostics) = walk(queueDirectory)
        #expect(diagnostics.warnings == [])
        #expect(diagnostics.filesRead == 236)

        var expected: [String: JSON] = [:]
        let lines = try readFile(fixture + "/queue.jsonl").split(separator: 0x0A)
        for line in lines {
            let object = try #require(line.withUnsafeBytes { JSON.parse($0) })
            let id = try #require(object["queue_id"]?.stringValue)
            expected[id] = object
        }
        #expect(expected.count == 236)
        #expect(messages.count == expected.count)
        #expect(Set(messages.map(\.id)) == Set(expected.keys))

        for m in messages {
            guard let e = expected[m.id] else { continue }
            let queue = e["queue_name"]?.stringValue
            #expect(m.queue == queue, "\(m.id)")
            #expect(m.state == queue, "\(m.id)")
            // postqueue shows the null sender as MAILER-DAEMON.
            let sender = e["sender"]?.stringValue
            #expect((m.sender.isEmpty ? "MAILER-DAEMON" : m.sender) == sender, "\(m.id)")
            let recipients = (e["recipients"]?.arrayValue ?? []).compactMap { $0["address"]?.stringValue }
            // Same recipients; postqueue lists them in its own order, not the file's.
            #expect(m.recipients.sorted() == recipients.sorted(), "\(m.id)")
            #expect(m.recipients.count == recipients.count, "\(m.id)")
            let arrival = try #require(e["arrival_time"]?.intValue)
            #expect(m.created == LocalTime(unixTime: arrival), "\(m.id)")
            #expect(m.size == e["message_size"]?.intValue, "\(m.id)")
            #expect(!m.beingWritten)
            #expect(m.files == [m.envelopePath ?? ""])
            #expect(m.contentPath == m.envelopePath)
            #expect(m.contentEncoding == .postfixQueueFile)
            #expect(m.envelopePath?.hasPrefix(queueDirectory + "/\(m.queue)/") == true, "\(m.envelopePath ?? "")")
            #expect(m.envelopePath?.hasSuffix("/" + m.id) == true, "\(m.envelopePath ?? "")")
        }
        // The NDR generated by Postfix has the null sender.
        #expect(messages.first { $0.id == "4jcXQF4sZ8z7ltM" }?.sender == "")
        #expect(messages.filter { $0.queue == "hold" }.count == 10)
        #expect(messages.filter { $0.queue == "deferred" }.count == 226)
    }

    @Test func doneRecipientsAreNotPending() throws {
        // The monitor alert: postmaster was delivered locally (a `D` record), ops@ is pending.
        var (messages, _) = walk(queueDirectory)
        messages = messages.filter { $0.id == "4jcXPm3nrpz7lt4" }
        try #require(messages.count == 1)
        let m = messages[0]
        #expect(m.sender == "monitor@acme-corp.test")
        #expect(m.recipients == ["ops@pagerline.test"])
        #expect(m.account == nil)
        #expect(m.clientIP == nil)
        #expect(m.size == 506)
        // A deferred file's modification time is its next retry.
        let st = try #require(FileSystem.status(m.envelopePath!))
        #expect(m.nextAttempt == LocalTime(unixTime: st.mtime))
    }

    @Test func invoicePhishingSample() throws {
        // postcat_samples/postcat_4jcXTb0VD8z7lvy.txt
        let bytes = try readFile(samplePath)
        let (m, problem) = parse(bytes)
        #expect(problem == nil)
        #expect(m.sender == "billing@acme-corp.test")
        #expect(m.recipients == ["znakamura@inboxly.test", "vera1977@kmail-box.test", "bruno.moreau@homemail.test"])
        #expect(m.account == "sam@acme-corp.test")
        #expect(m.clientIP == "127.0.0.45")
        #expect(m.helo == "WIN-Q4D1R8K2M3N")
        #expect(m.size == 1700)
        #expect(m.created == LocalTime(unixTime: 1_795_922_419))
        let attributes = [
            "create_time=1795922419",
            "log_ident=4jcXTb0VD8z7lvy",
            "rewrite_context=remote",
            "sasl_method=LOGIN",
            "sasl_username=sam@acme-corp.test",
            "log_client_name=unknown",
            "log_client_address=127.0.0.45",
            "log_client_port=48409",
            "log_message_origin=unknown[127.0.0.45]",
            "log_helo_name=WIN-Q4D1R8K2M3N",
            "log_protocol_name=ESMTP",
            "client_name=unknown",
            "reverse_client_name=unknown",
            "client_address=127.0.0.45",
            "client_port=48409",
            "server_address=127.0.0.1",
            "server_port=25",
            "helo_name=WIN-Q4D1R8K2M3N",
            "protocol_name=ESMTP",
            "client_address_type=2",
            "dsn_orig_rcpt=rfc822;znakamura@inboxly.test",
            "dsn_orig_rcpt=rfc822;vera1977@kmail-box.test",
            "dsn_orig_rcpt=rfc822;bruno.moreau@homemail.test",
        ]
        #expect(m.fields.map { "\($0.key)=\($0.value)" } == attributes)

        let body = content(bytes)
        let headers = body.withUnsafeBytes { MessageHeaders.parse($0) }
        #expect(headers.first("Subject")?.decoded == "Invoice overdue - payment details updated")
        #expect(headers.first("From")?.decoded == "Acme Corp Accounts <billing@acme-corp.test>")
        #expect(headers.first("Reply-To")?.decoded == "ar-desk@invoice-update.test")
        #expect(headers.first("To")?.decoded == "znakamura@inboxly.test, vera1977@kmail-box.test, bruno.moreau@homemail.test")
        #expect(headers.fields.first?.name == "Received")
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("\nhttp://pay-portal.invoice-update.test/inv/INV-49125?t=0yk88dtgiltpszbhjgrh\n"))
        #expect(text.hasSuffix("\n--===============8045225721064166157==--\n\n"))
        // postcat's text between MESSAGE CONTENTS and HEADER EXTRACTED.
        #expect(body.count == 1651)
    }

    @Test func voucherSpamSample() throws {
        // postcat_samples/postcat_4jcXQX6r03z7ltn.txt: relayed without AUTH from the web host.
        let bytes = try readFile(queueDirectory + "/hold/4jcXQX6r03z7ltn")
        let (m, problem) = parse(bytes)
        #expect(problem == nil)
        #expect(m.sender == "shop@widgets-store.test")
        #expect(m.recipients == ["pia.doyle@mailhaven.test"])
        #expect(m.account == nil)
        #expect(!m.fields.contains { $0.key.hasPrefix("sasl_") })
        #expect(m.clientIP == "127.0.0.90")
        #expect(m.helo == "web1.widgets-store.test")
        #expect(m.fields.first { $0.key == "log_message_origin" }?.value == "unknown[127.0.0.90]")
        #expect(m.fields.count == 19) // create_time and 18 named_attribute lines in postcat
        #expect(m.size == 979)

        let body = content(bytes)
        let headers = body.withUnsafeBytes { MessageHeaders.parse($0) }
        #expect(headers.first("Subject")?.decoded == "Newsletter signup: claim your free voucher")
        #expect(headers.first("X-PHP-Originating-Script")?.decoded == "33:newsletter-signup.php")
        #expect(headers.first("Received")?.decoded.hasPrefix("from web1.widgets-store.test (unknown [127.0.0.90])") == true)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("Received: from web1.widgets-store.test (unknown [127.0.0.90])\n\tby mail.acme-corp.test"))
        #expect(text.hasSuffix("Widgets Store | unsubscribe: http://voucher-free.promo-gift.test/unsub/enfeWr=\nAEyERp\n\n"))
        // The C record's 979 counts the records' bytes (type and length too), not the lines'.
        #expect(body.count == 955)
    }

    @Test func largeHeldMessage() throws {
        let bytes = try readFile(queueDirectory + "/hold/4jcXNT5Xkmz7lsM")
        let (m, problem) = parse(bytes)
        #expect(problem == nil)
        #expect(m.size == 981_990)
        #expect(content(bytes).count == 969_381)
        let headers = content(bytes).withUnsafeBytes { MessageHeaders.parse($0) }
        #expect(headers.first("Subject")?.decoded == "Design assets for the trade fair")
    }
}

// MARK: - Record format

@Suite struct PostfixQueueRecordTests {
    @Test func longLinesAndPointersAndPadding() throws {
        var b = QueueFileBuilder.envelope(contentSize: 0)
        // A placeholder pointer (0) is not followed.
        b.pointer(0)
        b.record("A", "dsn_orig_rcpt=rfc822;a@example.org")
        b.record("O", "a@example.org")
        b.record("R", "a@example.org")
        b.record("D", "done@example.org")
        b.record("w", [0, 0, 0, 0])
        // Records spliced in at the end of the file, reached through this pointer.
        let splice = b.pointer(0)
        let back = b.bytes.count
        b.record("M", "")
        // A long line: L pieces, and the N record that ends it.
        b.record("L", "Subject: a long")
        b.record("L", " subject, cut by")
        b.record("N", " the writer")
        b.record("N", " and folded")
        b.record("N", "")
        b.record("N", "body")
        b.record("X", "")
        b.record("R", "from-headers@example.org")
        b.record("E", "")
        let appended = b.bytes.count
        b.setPointer(at: splice, to: appended)
        b.record("R", "spliced@example.org")
        b.pointer(back)
        let (m, problem) = parse(b.bytes)
        #expect(problem == nil)
        #expect(m.recipients == ["a@example.org", "spliced@example.org", "from-headers@example.org"])
        #expect(m.account == "joe@example.com")
        #expect(m.clientIP == "192.0.2.7")
        #expect(m.helo == "JOEPC")
        #expect(m.created == LocalTime(unixTime: 1_795_922_419))
        let body = content(b.bytes)
        #expect(String(decoding: body, as: UTF8.self) == "Subject: a long subject, cut by the writer\n and folded\n\nbody\n")
        let headers = body.withUnsafeBytes { MessageHeaders.parse($0) }
        #expect(headers.first("Subject")?.decoded == "a long subject, cut by the writer and folded")
        #expect(headers.bodyOffset != nil)
    }

    @Test func multiByteLengths() throws {
        var b = QueueFileBuilder.envelope()
        b.record("R", "r@example.org")
        b.record("M", "")
        let long = String(repeating: "x", count: 20_000) // a 3-byte length
        b.record("N", "X-Long: " + long)
        b.record("X", "")
        b.record("E", "")
        let (m, problem) = parse(b.bytes)
        #expect(problem == nil)
        #expect(m.recipients == ["r@example.org"])
        #expect(content(b.bytes).count == 20_008 + 1)
    }

    @Test func nullSenderAndMaildropWithoutSizeRecord() throws {
        var b = QueueFileBuilder()
        b.record("T", "1795922419 0")
        b.record("S", "")
        b.record("M", "")
        b.record("N", "Subject: x")
        b.record("N", "")
        b.record("X", "")
        b.record("R", "to@example.org")
        b.record("E", "")
        let (m, problem) = parse(b.bytes)
        #expect(problem == nil)
        #expect(m.sender == "")
        #expect(m.recipients == ["to@example.org"])
        #expect(m.size == 12) // no C record: the content's length
    }
}

// MARK: - Damaged input

@Suite struct PostfixQueueDamageTests {
    @Test func emptyFile() {
        #expect(parse([]).problem == "truncated queue file")
        #expect(content([]) == [])
    }

    @Test func truncatedFile() throws {
        let bytes = try readFile(samplePath)
        // Cut everywhere: inside a length, inside data, between records, before E.
        for cut in [1, 2, 50, 100, 101, 300, bytes.count / 2, bytes.count - 2, bytes.count - 1] {
            let (_, problem) = parse(Array(bytes[0..<cut]))
            #expect(problem == "truncated queue file", "cut at \(cut)")
            _ = content(Array(bytes[0..<cut]))
        }
    }

    @Test func lengthWithTooManyGroups() {
        var b = QueueFileBuilder.envelope()
        let offset = b.bytes.count
        b.bytes += [0x4E, 0x80, 0x80, 0x80, 0x80, 0x01] // N, then 5 length groups
        b.bytes += Array(repeating: 0x41, count: 64)
        #expect(parse(b.bytes).problem == "bad record length at offset \(offset)")
        // 4 groups are fine (the length then runs past the end: truncated).
        var c = QueueFileBuilder.envelope()
        c.bytes += [0x4E, 0x80, 0x80, 0x80, 0x01]
        #expect(parse(c.bytes).problem == "truncated queue file")
    }

    @Test func pointerLoops() {
        // A pointer to itself.
        var b = QueueFileBuilder.envelope()
        let p = b.pointer(0)
        b.setPointer(at: p, to: p)
        b.record("E", "")
        #expect(parse(b.bytes).problem == "pointer loop")
        #expect(content(b.bytes) == [])

        // Two pointers sending the reader back and forth.
        var c = QueueFileBuilder.envelope()
        let first = c.pointer(0)
        c.record("R", "r@example.org")
        let second = c.pointer(first)
        c.setPointer(at: first, to: second)
        c.record("E", "")
        #expect(parse(c.bytes).problem == "pointer loop")

        // A pointer back to an earlier record (the T record, after the 97-byte C record).
        var d = QueueFileBuilder.envelope()
        #expect(d.bytes[97] == 0x54)
        let back = d.pointer(0)
        d.setPointer(at: back, to: 97)
        #expect(parse(d.bytes).problem == "pointer loop")
    }

    @Test func badPointers() {
        for target in ["", "abc", "  -1", String(repeating: "9", count: 15)] {
            var b = QueueFileBuilder.envelope()
            let p = b.record("p", target)
            b.record("E", "")
            #expect(parse(b.bytes).problem == "bad pointer record at offset \(p)", "\(target)")
        }
    }

    @Test func notAQueueFile() {
        #expect(parse(Array("From joe@example.com Mon Jan 1\nSubject: x\n\nbody\n".utf8)).problem == "not a Postfix queue file")
        // A C record that holds no sizes.
        var b = QueueFileBuilder()
        b.record("C", "hello")
        b.record("E", "")
        #expect(parse(b.bytes).problem == "not a Postfix queue file")
    }

    @Test func randomBytesNeverCrashOrHang() throws {
        var rng = SplitMix(seed: 42)
        // Pure noise.
        for _ in 0..<200 {
            var noise = (0..<Int(rng.next() % 4096)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if let f = noise.first, f == 0x43 || f == 0x54 { noise[0] = 0x00 }
            #expect(noise.isEmpty ? true : parse(noise).problem == "not a Postfix queue file")
            _ = content(noise)
        }
        // A real file with random bytes changed: any answer, but an answer.
        let sound = try readFile(samplePath)
        for _ in 0..<2000 {
            var bytes = sound
            for _ in 0...(rng.next() % 8) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = parse(bytes)
            _ = content(bytes)
        }
    }

    @Test func walkerWarnsAndSkipsDamagedFiles() throws {
        let q = try QueueFixture("postfix-damaged")
        let sound = try readFile(samplePath)
        try q.file("deferred/A/AAAAsound", sound)
        let empty = try q.file("deferred/A/AAAAempty", [])
        let cut = try q.file("deferred/A/AAAAcut", Array(sound[0..<(sound.count / 2)]))
        var loop = QueueFileBuilder.envelope()
        let p = loop.pointer(0)
        loop.setPointer(at: p, to: p)
        let looping = try q.file("hold/BBBBloop", loop.bytes)
        var groups = QueueFileBuilder.envelope()
        let groupsOffset = groups.bytes.count
        groups.bytes += [0x4E, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let badLength = try q.file("hold/BBBBlength", groups.bytes)
        let noise = try q.file("hold/BBBBnoise", (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })

        let (messages, diagnostics) = walk(q.queueDirectory)
        #expect(messages.map(\.id) == ["AAAAsound"])
        #expect(diagnostics.filesRead == 1)
        let warnings = diagnostics.warnings.sorted { $0.path < $1.path }
        #expect(warnings == [
            InputWarning(path: cut, reason: "truncated queue file"),
            InputWarning(path: empty, reason: "truncated queue file"),
            InputWarning(path: badLength, reason: "bad record length at offset \(groupsOffset)"),
            InputWarning(path: looping, reason: "pointer loop"),
            InputWarning(path: noise, reason: "not a Postfix queue file"),
        ])
    }
}

// MARK: - The walker

@Suite struct PostfixQueueWalkerTests {
    @Test func incomingFileBeingWritten() throws {
        let q = try QueueFixture("postfix-incoming")
        let sound = try readFile(samplePath)
        let writing = try q.file("incoming/CCCCwriting", Array(sound[0..<(sound.count / 2)]), mode: 0o600)
        try q.file("incoming/CCCCdone", sound, mode: 0o700)
        let (messages, diagnostics) = walk(q.queueDirectory)
        #expect(diagnostics.warnings == [])
        let sorted = messages.sorted { $0.id < $1.id }
        try #require(sorted.count == 2)
        #expect(sorted[0].id == "CCCCdone")
        #expect(sorted[0].state == "incoming")
        #expect(!sorted[0].beingWritten)
        #expect(sorted[1].id == "CCCCwriting")
        #expect(sorted[1].queue == "incoming")
        #expect(sorted[1].state == "incoming (being written)")
        #expect(sorted[1].beingWritten)
        #expect(sorted[1].sender == "billing@acme-corp.test") // what was written so far
        #expect(sorted[1].files == [writing])
    }

    @Test func linksAndSpecialFilesAreSkipped() throws {
        let q = try QueueFixture("postfix-links")
        let sound = try readFile(samplePath)
        let target = try q.dir.write("outside", sound)
        let link = try q.dir.link("postfix/hold/DDDDlink", to: target)
        let fifo = try q.dir.fifo("postfix/hold/DDDDfifo")
        let folderLink = try q.dir.link("postfix/active", to: q.dir.at("postfix/hold"))
        try q.file("hold/DDDDreal", sound)
        let (messages, diagnostics) = walk(q.queueDirectory)
        #expect(messages.map(\.id) == ["DDDDreal"])
        #expect(messages.first?.state == "hold")
        #expect(diagnostics.warnings == [
            InputWarning(path: folderLink, reason: "is a symbolic link (not followed)"),
            InputWarning(path: fifo, reason: "not a regular file (a FIFO)"),
            InputWarning(path: link, reason: "is a symbolic link (not followed)"),
        ])
    }

    @Test func missingQueueDirectory() {
        let (messages, diagnostics) = walk("/nonexistent/spoolsweep/postfix")
        #expect(messages.isEmpty)
        #expect(diagnostics.warnings == [InputWarning(path: "/nonexistent/spoolsweep/postfix", reason: "cannot list the folder")])
    }
}
