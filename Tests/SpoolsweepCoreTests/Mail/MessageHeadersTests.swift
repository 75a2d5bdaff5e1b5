import Glibc
import Testing
@testable import SpoolsweepCore

// MARK: - Helpers

private func parse(_ bytes: [UInt8]) -> MessageHeaders {
    bytes.withUnsafeBytes { MessageHeaders.parse($0) }
}

private func parse(_ text: String) -> MessageHeaders {
    parse(Array(text.utf8))
}

private func decode(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { EncodedWords.decode($0) }
}

private func decode(_ text: String) -> String {
    decode(Array(text.utf8))
}

/// Writes `contents` to a new file under /tmp (mkstemp), calls `body` with its path, removes it.
private func withTempFile(_ contents: [UInt8], _ body: (String) throws -> Void) throws {
    var template = Array("/tmp/spoolsweep-headers-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    try #require(fd >= 0)
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { unlink(path) }
    let written = contents.withUnsafeBytes { raw -> Int in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        return offset
    }
    close(fd)
    try #require(written == contents.count)
    try body(path)
}

// MARK: - Parsing

@Suite struct MessageHeadersTests {
    @Test func foldedSubjectCRLF() throws {
        let h = parse("From: a@example.com\r\nSubject: Invoice for\r\n March 2024\r\nTo: b@example.com\r\n\r\nBody\r\n")
        let subject = try #require(h.first("Subject"))
        #expect(subject.name == "Subject")
        #expect(subject.rawValue == Array("Invoice for March 2024".utf8))
        #expect(subject.decoded == "Invoice for March 2024")
        #expect(h.fields.map(\.name) == ["From", "Subject", "To"])
        #expect(h.first("To")?.decoded == "b@example.com")
    }

    @Test func foldedSubjectLF() throws {
        let h = parse("Subject: Invoice for\n\tMarch 2024\nTo: b@example.com\n\nBody\n")
        let subject = try #require(h.first("Subject"))
        #expect(subject.rawValue == Array("Invoice for\tMarch 2024".utf8))
        #expect(subject.decoded == "Invoice for\tMarch 2024")
        #expect(h.fields.count == 2)
    }

    @Test func emptyFirstLineThenFolded() {
        let h = parse("Subject:\r\n  Hello\r\n\r\n")
        #expect(h.first("subject")?.decoded == "Hello")
    }

    @Test func bodyOffsetCRLF() {
        let text = "From: a@b\r\nSubject: s\r\n\r\nBody"
        let h = parse(text)
        #expect(h.bodyOffset == 25)
        #expect(Array(text.utf8)[25...] == Array("Body".utf8)[...])
        #expect(h.fields == [
            HeaderField(name: "From", rawValue: Array("a@b".utf8)),
            HeaderField(name: "Subject", rawValue: Array("s".utf8)),
        ])
    }

    @Test func bodyOffsetLF() {
        let text = "From: a@b\nSubject: s\n\nBody"
        let h = parse(text)
        #expect(h.bodyOffset == 22)
        #expect(Array(text.utf8)[22...] == Array("Body".utf8)[...])
        #expect(h.fields.count == 2)
    }

    @Test func emptyLineAtEndOfInput() {
        #expect(parse("Subject: s\n\n").bodyOffset == 12)
        #expect(parse("\r\nSubject: not a header\r\n").bodyOffset == 2)
        #expect(parse("\r\nSubject: not a header\r\n").fields.isEmpty)
    }

    @Test func noEmptyLine() {
        let h = parse("Subject: s\r\nFrom: x@y\r\n")
        #expect(h.bodyOffset == nil)
        #expect(h.fields.map(\.name) == ["Subject", "From"])
        // A last line without a line ending is still a field.
        let cut = parse("Subject: s\r\nFrom: x@y")
        #expect(cut.bodyOffset == nil)
        #expect(cut.first("from")?.decoded == "x@y")
        #expect(parse("").fields.isEmpty)
        #expect(parse("").bodyOffset == nil)
    }

    @Test func bodyOffsetAloneIsTheParsersOffset() {
        let blocks: [[UInt8]] = [
            Array("Subject: a\r\n\r\nbody".utf8), Array("Subject: a\n\nbody".utf8), Array("\r\nbody".utf8),
            Array("\nbody".utf8), Array("Subject: a\r\n".utf8), Array("Subject: a\r\n\r".utf8), Array("\r".utf8), [],
            Array("Subject: a\r\n \r\n\r\nbody".utf8), Array("Subject: a\r\r\n\r\nx".utf8),
            [0xEF, 0xBB, 0xBF] + Array("\r\nbody".utf8), Array("From jane@x Sat Nov 28\n\nbody".utf8),
            Array("From jane@x Sat Nov 28".utf8), Array("garbage\n\tfold\n\nbody".utf8),
        ]
        for block in blocks {
            let alone = block.withUnsafeBytes { MessageHeaders.bodyOffset($0) }
            #expect(alone == parse(block).bodyOffset, "\(String(decoding: block, as: UTF8.self).debugDescription)")
        }
    }

    @Test func byteOrderMark() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("Subject: x\r\n\r\nbody".utf8)
        let h = parse(bytes)
        #expect(h.fields == [HeaderField(name: "Subject", rawValue: Array("x".utf8))])
        #expect(h.bodyOffset == 17)  // counted from byte 0, BOM included
        // BOM followed directly by the empty line.
        #expect(parse([0xEF, 0xBB, 0xBF, 0x0A]).bodyOffset == 4)
    }

    @Test func caseInsensitiveNames() throws {
        let h = parse("SUBJECT: Loud\r\nReceived: one\r\nreceived: two\r\n\r\n")
        #expect(h.first("subject")?.decoded == "Loud")
        #expect(h.first("Subject")?.name == "SUBJECT")
        #expect(h.all("RECEIVED").map(\.decoded) == ["one", "two"])
        #expect(h.first("X-Missing") == nil)
        #expect(h.all("X-Missing").isEmpty)
    }

    @Test func garbageLinesSkipped() {
        let h = parse("Subject: s\r\nthis line is garbage\r\n  and its continuation\r\nFrom: a@b\r\nnot a name: x\r\n\r\n")
        #expect(h.fields == [
            HeaderField(name: "Subject", rawValue: Array("s".utf8)),
            HeaderField(name: "From", rawValue: Array("a@b".utf8)),
        ])
        #expect(h.bodyOffset != nil)
    }

    @Test func continuationBeforeAnyFieldSkipped() {
        let h = parse("  stray\nSubject: s\n\n")
        #expect(h.fields.map(\.name) == ["Subject"])
    }

    @Test func mboxFromLineSkipped() {
        let h = parse("From sender@example.com Mon Jan  1 10:00:00 2024\nFrom: sender@example.com\nSubject: s\n\nbody")
        #expect(h.fields.map(\.name) == ["From", "Subject"])
        #expect(h.first("from")?.decoded == "sender@example.com")
    }

    @Test func spaceBeforeColonTolerated() {
        let h = parse("Subject : s\n\n")
        #expect(h.first("subject")?.decoded == "s")
    }

    @Test func encodedSubjectInHeader() throws {
        let h = parse("Subject: =?UTF-8?B?UmVjaG51bmcgw7xiZXIgMzAwIOKCrA==?=\r\n =?UTF-8?Q?_f=C3=A4llig?=\r\n\r\n")
        let subject = try #require(h.first("subject"))
        #expect(subject.decoded == "Rechnung über 300 € fällig")
    }

    // MARK: - RFC 2047

    @Test func base64Word() {
        #expect(decode("=?UTF-8?B?UmVjaG51bmcgw7xiZXIgMzAwIOKCrA==?=") == "Rechnung über 300 €")
        #expect(decode("=?utf-8?b?UmVjaG51bmcgw7xiZXIgMzAwIOKCrA?=") == "Rechnung über 300 €")  // no padding
    }

    @Test func quotedWord() {
        #expect(decode("=?iso-8859-1?Q?Caf=E9_cr=E8me?=") == "Café crème")
        #expect(decode("=?ISO-8859-1?q?Caf=e9?=") == "Café")
    }

    @Test func windows1252() {
        #expect(decode("=?windows-1252?Q?=80?=") == "€")
        #expect(decode("=?windows-1252?Q?=93hi=94_=85?=") == "\u{201C}hi\u{201D} \u{2026}")
    }

    @Test func iso885915() {
        #expect(decode("=?iso-8859-15?Q?=A4_=BD?=") == "€ œ")
    }

    @Test func adjacentWordsJoin() {
        #expect(decode("=?utf-8?Q?Hello?= =?utf-8?Q?World?=") == "HelloWorld")
        #expect(decode("=?utf-8?Q?Hello?=\t  =?utf-8?Q?_World?=") == "Hello World")
    }

    @Test func wordNextToPlainTextKeepsSpace() {
        #expect(decode("Re: =?utf-8?Q?Caf=C3=A9?= ok") == "Re: Café ok")
        #expect(decode("=?utf-8?Q?a?= b =?utf-8?Q?c?=") == "a b c")
    }

    @Test func malformedWordsUnchanged() {
        #expect(decode("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=")
        #expect(decode("=?utf-8?B?@@@?=") == "=?utf-8?B?@@@?=")
        #expect(decode("=?utf-8?Q?abc") == "=?utf-8?Q?abc")
        #expect(decode("=??Q?abc?=") == "=??Q?abc?=")
        #expect(decode("price =? 3") == "price =? 3")
        // A malformed word next to a good one: the good one is still decoded.
        #expect(decode("=?utf-8?X?abc?= =?utf-8?Q?ok?=") == "=?utf-8?X?abc?= ok")
    }

    @Test func iconvCharset() {
        #expect(decode("=?koi8-r?B?8NLJ18XU?=") == "Привет")
        #expect(decode("=?KOI8-R?B?8NLJ18XU?=") == "Привет")
    }

    @Test func languageSuffix() {
        #expect(decode("=?utf-8*de?Q?gr=C3=BC=C3=9F?=") == "grüß")
    }

    @Test func unknownCharsetReadAsUTF8() {
        #expect(decode("=?x-no-such-charset?Q?caf=C3=A9?=") == "café")
        #expect(decode("=?bad//TRANSLIT?Q?caf=C3=A9?=") == "café")
    }

    @Test func invalidUTF8Replaced() {
        #expect(decode("=?utf-8?B?/w==?=") == "\u{FFFD}")
        #expect(decode([0x61, 0xFF, 0x62]) == "a\u{FFFD}b")
        #expect(decode("=?koi8-r?Q?=F0?= =?utf-8?Q?=C3?=") == "П\u{FFFD}")
    }

    @Test func raw8BitPassesThrough() {
        #expect(decode("Grüße aus Köln") == "Grüße aus Köln")
        let h = parse(Array("Subject: Grüße\r\n\r\n".utf8))
        #expect(h.first("subject")?.decoded == "Grüße")
    }

    // MARK: - Reading files

    @Test func readStopsAtHeaderBlock() throws {
        let header = Array("From: a@example.com\r\nSubject: =?UTF-8?B?UmVjaG51bmcgw7xiZXIgMzAwIOKCrA==?=\r\nTo: b@example.com\r\n\r\n".utf8)
        var body: [UInt8] = []
        body.reserveCapacity(3_000_000)
        let line = Array(String(repeating: "x", count: 98).utf8) + [0x0D, 0x0A]
        while body.count < 3_000_000 { body += line }
        try withTempFile(header + body) { path in
            var buffer: [UInt8] = []
            let h = try MessageHeaders.read(path: path, buffer: &buffer)
            #expect(h.bodyOffset == header.count)
            #expect(h.fields.map(\.name) == ["From", "Subject", "To"])
            #expect(h.first("subject")?.decoded == "Rechnung über 300 €")
            // Only the first chunk was read, not the 3 MB body.
            #expect(buffer.count < 100_000)
            #expect(buffer.count >= header.count)
        }
    }

    @Test func readEmptyLineAcrossChunkBoundary() throws {
        // The "\r\n" empty line straddles the 16 KiB read boundary.
        var header: [UInt8] = []
        let filler = Array("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8)
        while header.count + filler.count < 16_383 - 40 { header += filler }
        let pad = 16_383 - header.count - Array("X-Last: \r\n".utf8).count
        header += Array("X-Last: ".utf8) + Array(repeating: 0x62, count: pad) + [0x0D, 0x0A]
        #expect(header.count == 16_383)
        let file = header + [0x0D, 0x0A] + Array(repeating: 0x7A, count: 50_000)
        try withTempFile(file) { path in
            var buffer: [UInt8] = []
            let h = try MessageHeaders.read(path: path, buffer: &buffer)
            #expect(h.bodyOffset == 16_385)
            #expect(h.first("x-last")?.rawValue.count == pad)
            #expect(h.fields.count == h.all("x-filler").count + 1)
        }
    }

    @Test func readWithoutEmptyLine() throws {
        try withTempFile(Array("Subject: s\nFrom: x@y".utf8)) { path in
            var buffer: [UInt8] = []
            let h = try MessageHeaders.read(path: path, buffer: &buffer)
            #expect(h.bodyOffset == nil)
            #expect(h.fields.map(\.decoded) == ["s", "x@y"])
        }
    }

    @Test func readLimitLeavesOutCutLine() throws {
        try withTempFile(Array("Subject: s\r\nFrom: someone@example.com\r\n\r\nbody".utf8)) { path in
            var buffer: [UInt8] = []
            let h = try MessageHeaders.read(path: path, buffer: &buffer, limit: 20)
            #expect(h.bodyOffset == nil)
            #expect(h.fields == [HeaderField(name: "Subject", rawValue: Array("s".utf8))])
            #expect(buffer.count == 20)
            #expect(h.cutShort) // said, so a selection on the fields past the limit is warned about
        }
    }

    @Test func aWholeHeaderBlockIsNotCutShort() throws {
        try withTempFile(Array("Subject: s\nFrom: x@y".utf8)) { path in
            var buffer: [UInt8] = []
            let whole = try MessageHeaders.read(path: path, buffer: &buffer, limit: 1000)
            #expect(!whole.cutShort)
            let cut = try MessageHeaders.read(path: path, buffer: &buffer, limit: 10)
            #expect(cut.cutShort)
        }
    }

    @Test func readBOMAndMbox() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("From x@y Mon Jan  1 10:00:00 2024\nSubject: s\n\nbody".utf8)
        try withTempFile(bytes) { path in
            var buffer: [UInt8] = []
            let h = try MessageHeaders.read(path: path, buffer: &buffer)
            #expect(h.fields.map(\.name) == ["Subject"])
            #expect(h.bodyOffset == bytes.count - 4)
        }
    }

    @Test func readMissingFileThrowsVanished() {
        let path = "/tmp/spoolsweep-headers-missing-\(getpid())-does-not-exist.eml"
        #expect(throws: FileReadError.vanished) {
            var buffer: [UInt8] = []
            _ = try MessageHeaders.read(path: path, buffer: &buffer)
        }
    }
}
