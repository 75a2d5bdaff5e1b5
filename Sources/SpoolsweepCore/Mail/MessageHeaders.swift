import Glibc

/// One header field of a message: its name as written and its value unfolded (CRLF/LF followed by
/// space/TAB replaced by the whitespace itself, i.e. line breaks removed), raw bytes.
///
/// The value is trimmed of blanks at both ends (the space after the colon is not part of it).
public struct HeaderField: Equatable, Sendable {
    public let name: String
    public let rawValue: [UInt8]

    public init(name: String, rawValue: [UInt8]) {
        self.name = name
        self.rawValue = rawValue
    }

    /// The value with RFC 2047 encoded words decoded to UTF-8 (what is printed and what
    /// --subject/--header patterns match). Computed on each access: keep the result if it is
    /// needed more than once.
    public var decoded: String {
        rawValue.withUnsafeBytes { EncodedWords.decode($0) }
    }

    /// Whether the field is called `other`, ignoring ASCII case.
    public func isNamed(_ other: String) -> Bool {
        headerNamesEqual(name, other)
    }
}

/// The header block of an RFC 5322 message (a spool `.eml`), read without touching the body.
public struct MessageHeaders: Equatable, Sendable {
    public let fields: [HeaderField]
    /// Byte offset where the body starts (after the empty line) in the bytes parsed, or nil if no
    /// empty line was found within what was read.
    public let bodyOffset: Int?
    /// The header block went on past the read limit (`headerLimit`): fields after it were not read.
    public var cutShort = false

    /// How much of a message `read(path:)` reads looking for the end of its header block: a
    /// hostile message padded with 100,000 header lines (a few MB) is read whole.
    public static let headerLimit = 64 << 20

    public init(fields: [HeaderField], bodyOffset: Int?) {
        self.fields = fields
        self.bodyOffset = bodyOffset
    }

    /// Parses the header block at the start of `bytes`.
    ///
    /// Stops at the first empty line (an empty line must end with LF or CRLF); accepts CRLF and
    /// LF; skips a leading UTF-8 BOM (offsets still count from byte 0 of the input) and a leading
    /// mbox `From ` line. A line in the header block that is not a field (no colon, or a name
    /// that is empty or holds characters outside printable ASCII) is garbage: it is skipped, and
    /// so are the continuation lines that follow it. A continuation line before any field is
    /// skipped too.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> MessageHeaders {
        var fields: [HeaderField] = []
        var bodyOffset: Int? = nil
        var pos = startOfHeaders(bytes)

        // The field being assembled (a field's lines are gathered until the next field starts).
        var name: String? = nil
        var value: [UInt8] = []

        func finish() {
            if let n = name {
                fields.append(HeaderField(name: n, rawValue: trimBlanks(value)))
            }
            name = nil
            value.removeAll(keepingCapacity: true)
        }

        while pos < bytes.count {
            let lf = bytes.index(of: LF, from: pos)
            let lineEnd = lf ?? bytes.count
            var contentEnd = lineEnd
            if contentEnd > pos, bytes[contentEnd - 1] == CR { contentEnd -= 1 }
            let next = lf.map { $0 + 1 } ?? bytes.count

            if contentEnd == pos {
                if lf != nil {
                    bodyOffset = next
                    break
                }
                // A lone CR (or nothing) at the end of the input: not an empty line.
                pos = next
                continue
            }

            let line = bytes.slice(pos..<contentEnd)
            pos = next

            if isBlank(line[0]) {
                // Folded continuation of the field above (kept only when there is one).
                if name != nil { value.append(contentsOf: line) }
                continue
            }

            finish()
            guard let colon = line.index(of: COLON),
                  let fieldName = fieldName(line.slice(0..<colon))
            else { continue }  // garbage line
            name = fieldName
            value.append(contentsOf: line.dropFirst(colon + 1))
        }
        finish()
        return MessageHeaders(fields: fields, bodyOffset: bodyOffset)
    }

    /// Where the body starts in `bytes` (after the empty line that ends the header block), or
    /// nil when there is none: `parse(bytes).bodyOffset`, without making the fields.
    public static func bodyOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var pos = startOfHeaders(bytes)
        while pos < bytes.count {
            guard let lf = bytes.index(of: LF, from: pos) else { return nil }
            if lf == pos || (lf == pos + 1 && bytes[pos] == CR) { return lf + 1 }
            pos = lf + 1
        }
        return nil
    }

    /// Reads only the header block of the file at `path` (reading in chunks until the empty line,
    /// at most `limit` bytes, default `headerLimit`), using `buffer` as scratch.
    ///
    /// On return `buffer` holds exactly the bytes that were read from the file (the header block
    /// and, usually, the start of the body up to the end of the last chunk). When `limit` is
    /// reached without an empty line, a last line cut by the limit is left out of the parse.
    public static func read(
        path: String, buffer: inout [UInt8], limit: Int = headerLimit
    ) throws(FileReadError) -> MessageHeaders {
        let source = try ByteSource(path: path, allowMapping: false)
        let limit = Swift.max(0, limit)
        let chunk = 16 * 1024
        var filled = 0
        var atEnd = false
        var lineStart = -1  // where the blank-line scan resumes; -1 until the BOM check is done
        var found = false

        buffer.removeAll(keepingCapacity: true)
        while filled < limit {
            let want = Swift.min(chunk, limit - filled)
            if buffer.count < filled + want {
                buffer.append(contentsOf: repeatElement(0, count: filled + want - buffer.count))
            }
            var readError: FileReadError? = nil
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                do throws(FileReadError) {
                    return try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + want)]))
                } catch {
                    readError = error
                    return 0
                }
            }
            if let readError { throw readError }
            if n == 0 { atEnd = true; break }
            filled += n

            if lineStart < 0 {
                if filled < 3 { continue }  // need three bytes to know whether there is a BOM
                lineStart = hasBOM(buffer) ? 3 : 0
            }
            let hit = buffer.withUnsafeBytes { raw in
                scanForEmptyLine(UnsafeRawBufferPointer(rebasing: raw[0..<filled]), lineStart: &lineStart)
            }
            if hit { found = true; break }
        }
        buffer.removeSubrange(filled...)

        var parseCount = filled
        if !found && !atEnd {
            // The limit cut the block: parse complete lines only.
            parseCount = buffer.withUnsafeBytes { raw in
                var i = filled
                while i > 0, raw[i - 1] != LF { i -= 1 }
                return i
            }
        }
        var headers = buffer.withUnsafeBytes { raw in
            parse(UnsafeRawBufferPointer(rebasing: raw[0..<parseCount]))
        }
        headers.cutShort = !found && !atEnd
        return headers
    }

    /// The first field called `name`, ignoring ASCII case.
    public func first(_ name: String) -> HeaderField? {
        fields.first { headerNamesEqual($0.name, name) }
    }

    /// Every field called `name`, ignoring ASCII case, in order.
    public func all(_ name: String) -> [HeaderField] {
        fields.filter { headerNamesEqual($0.name, name) }
    }

    // MARK: - Helpers

    /// Where the first header line starts: after a BOM and a mbox `From ` line.
    static func startOfHeaders(_ bytes: UnsafeRawBufferPointer) -> Int {
        var pos = 0
        if bytes.matches(BOM) { pos = 3 }
        if bytes.matches(MBOX_FROM, at: pos) {
            pos = bytes.index(of: LF, from: pos).map { $0 + 1 } ?? bytes.count
        }
        return pos
    }

    /// Looks for an empty line, starting at the line that begins at `lineStart`; returns true when
    /// one (with its line ending) is in `bytes`. Otherwise `lineStart` is left at the start of
    /// the last, incomplete line so that the scan can resume when more bytes arrive.
    static func scanForEmptyLine(_ bytes: UnsafeRawBufferPointer, lineStart: inout Int) -> Bool {
        while lineStart < bytes.count {
            let s = lineStart
            if bytes[s] == LF { return true }
            if bytes[s] == CR {
                if s + 1 >= bytes.count { return false }  // CR at the end: wait for more
                if bytes[s + 1] == LF { return true }
            }
            guard let lf = bytes.index(of: LF, from: s) else { return false }
            lineStart = lf + 1
        }
        return false
    }

    static func hasBOM(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// The field name of the bytes before the colon, or nil when they are not a name
    /// (RFC 5322: printable ASCII except the colon; blanks before the colon are tolerated).
    static func fieldName(_ raw: UnsafeRawBufferPointer) -> String? {
        var end = raw.count
        while end > 0, isBlank(raw[end - 1]) { end -= 1 }
        guard end > 0 else { return nil }
        let name = raw.slice(0..<end)
        for b in name where b < 0x21 || b > 0x7E { return nil }
        return name.printable
    }
}

/// ASCII case-insensitive comparison of two header names.
func headerNamesEqual(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where asciiLower(p) != asciiLower(q) { return false }
    return true
}

/// `value` without blanks (and stray CRs) at either end.
private func trimBlanks(_ value: [UInt8]) -> [UInt8] {
    var lo = 0, hi = value.count
    while lo < hi, isBlank(value[lo]) || value[lo] == CR { lo += 1 }
    while hi > lo, isBlank(value[hi - 1]) || value[hi - 1] == CR { hi -= 1 }
    if lo == 0 && hi == value.count { return value }
    return Array(value[lo..<hi])
}

private let LF: UInt8 = 0x0A
private let CR: UInt8 = 0x0D
private let COLON: UInt8 = 0x3A
private let BOM: StaticString = "\u{FEFF}"  // EF BB BF
private let MBOX_FROM: StaticString = "From "

// MARK: - RFC 2047

/// RFC 2047 encoded-word decoding.
///
/// `=?charset?B?...?=` and `=?charset?Q?...?=` (encoding letter in either case; Q: `_` is a
/// space, `=XX` a hex byte), with an optional RFC 2231 language (`charset*lang`). Whitespace
/// between two adjacent encoded words is dropped; whitespace between an encoded word and plain
/// text is kept. A malformed encoded word is left as written. Encoded words are decoded even when
/// glued to plain text (as mail clients do). Charsets: UTF-8, US-ASCII, ISO-8859-1, windows-1252
/// and ISO-8859-15 here, anything else through iconv; an unknown charset is read as UTF-8.
/// Invalid UTF-8, in plain text or decoded, becomes U+FFFD.
public enum EncodedWords {
    public static func decode(_ value: UnsafeRawBufferPointer) -> String {
        // Fast path: no encoded word possible.
        guard value.index(of: Self.start) != nil else { return value.printable }

        var out = ""
        out.reserveCapacity(value.count)
        var plainStart = 0
        var lastWasWord = false
        var i = 0
        while let eq = value.index(of: Self.start, from: i) {
            guard let word = parseWord(value, at: eq) else {
                i = eq + 1
                continue
            }
            let plain = value.slice(plainStart..<eq)
            if !(lastWasWord && isAllWhitespace(plain)) {
                out += plain.printable
            }
            out += word.text
            lastWasWord = true
            plainStart = word.end
            i = word.end
        }
        if plainStart < value.count {
            out += value.dropFirst(plainStart).printable
        }
        return out
    }

    /// Decodes the bytes of `charset` to a String (the same conversions as encoded words use).
    public static func decode(_ bytes: UnsafeRawBufferPointer, charset: String) -> String {
        convert(bytes, charset: normalizedCharset(charset))
    }

    private static let start: StaticString = "=?"

    /// The encoded word starting at `at` (which holds "=?"), decoded, and the index after it.
    private static func parseWord(
        _ v: UnsafeRawBufferPointer, at: Int
    ) -> (text: String, end: Int)? {
        let csStart = at + 2
        // charset: up to the next '?', no whitespace, not empty.
        guard let q1 = v.index(of: QMARK, from: csStart), q1 > csStart, q1 - csStart <= 64 else { return nil }
        let charsetBytes = v.slice(csStart..<q1)
        for b in charsetBytes where b <= 0x20 || b >= 0x7F || b == 0x3D { return nil }
        // encoding letter, then '?'
        guard q1 + 2 < v.count, v[q1 + 2] == QMARK else { return nil }
        let enc = asciiLower(v[q1 + 1])
        guard enc == 0x62 || enc == 0x71 else { return nil }  // b / q
        let textStart = q1 + 3
        // encoded text: up to "?=", no whitespace.
        var j = textStart
        var textEnd = -1
        while j < v.count {
            let b = v[j]
            if b == QMARK {
                if j + 1 < v.count && v[j + 1] == 0x3D { textEnd = j; break }
                return nil
            }
            if b <= 0x20 || b == 0x7F { return nil }
            j += 1
        }
        guard textEnd >= 0 else { return nil }
        let text = v.slice(textStart..<textEnd)

        var charset = charsetBytes.printable
        if let star = charset.utf8.firstIndex(of: 0x2A) {  // RFC 2231 language: charset*lang
            charset = String(charset[..<star])
            if charset.isEmpty { return nil }
        }

        let raw: [UInt8]
        if enc == 0x62 {
            guard let bytes = base64(text) else { return nil }
            raw = bytes
        } else {
            raw = quoted(text)
        }
        let decoded = raw.withUnsafeBytes { convert($0, charset: normalizedCharset(charset)) }
        return (decoded, textEnd + 2)
    }

    /// RFC 2047 "B": base64, padding optional; nil on any other character or a bad length.
    private static func base64(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var acc: UInt32 = 0
        var n = 0
        var padding = 0
        for b in text {
            let d: UInt32
            switch b {
            case 0x41...0x5A: d = UInt32(b - 0x41)
            case 0x61...0x7A: d = UInt32(b - 0x61 + 26)
            case 0x30...0x39: d = UInt32(b - 0x30 + 52)
            case 0x2B: d = 62
            case 0x2F: d = 63
            case 0x3D: padding += 1; continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after padding
            acc = acc << 6 | d
            n += 1
            if n == 4 {
                out.append(UInt8(truncatingIfNeeded: acc >> 16))
                out.append(UInt8(truncatingIfNeeded: acc >> 8))
                out.append(UInt8(truncatingIfNeeded: acc))
                acc = 0
                n = 0
            }
        }
        switch n {
        case 0: break
        case 2: out.append(UInt8(truncatingIfNeeded: acc >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: acc >> 10))
            out.append(UInt8(truncatingIfNeeded: acc >> 2))
        default: return nil
        }
        return out
    }

    /// RFC 2047 "Q": `_` is a space, `=XX` a byte; a bad `=` escape is kept as written.
    private static func quoted(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let b = text[i]
            if b == 0x5F {
                out.append(0x20)
            } else if b == 0x3D, i + 2 < text.count, let h = hex(text[i + 1]), let l = hex(text[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    @inline(__always) private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    private static func isAllWhitespace(_ b: UnsafeRawBufferPointer) -> Bool {
        for c in b where !(c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A) { return false }
        return true
    }

    /// Lower-case charset name without blanks; nil-free.
    private static func normalizedCharset(_ name: String) -> String {
        String(decoding: name.utf8.compactMap { isBlank($0) ? nil : asciiLower($0) }, as: UTF8.self)
    }

    private static func convert(_ bytes: UnsafeRawBufferPointer, charset: String) -> String {
        switch charset {
        case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "us", "":
            return bytes.printable
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819":
            return singleByte(bytes) { UInt32($0) }
        case "windows-1252", "cp1252", "x-cp1252", "win-1252":
            return singleByte(bytes) { b in
                b >= 0x80 && b <= 0x9F ? UInt32(cp1252High[Int(b - 0x80)]) : UInt32(b)
            }
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9":
            return singleByte(bytes) { b in
                switch b {
                case 0xA4: return 0x20AC
                case 0xA6: return 0x0160
                case 0xA8: return 0x0161
                case 0xB4: return 0x017D
                case 0xB8: return 0x017E
                case 0xBC: return 0x0152
                case 0xBD: return 0x0153
                case 0xBE: return 0x0178
                default: return UInt32(b)
                }
            }
        default:
            return iconvToUTF8(bytes, charset: charset) ?? bytes.printable
        }
    }

    private static func singleByte(_ bytes: UnsafeRawBufferPointer, _ map: (UInt8) -> UInt32) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            s.append(Unicode.Scalar(map(b)) ?? "\u{FFFD}")
        }
        return String(s)
    }

    /// windows-1252 0x80...0x9F (the five undefined positions map to the C1 code point, as
    /// browsers do).
    private static let cp1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// Converts through glibc iconv; nil when iconv does not know the charset. Bytes iconv cannot
    /// convert become U+FFFD.
    private static func iconvToUTF8(_ bytes: UnsafeRawBufferPointer, charset: String) -> String? {
        // Only plain charset names reach iconv (no "//" suffixes, no paths).
        for b in charset.utf8 {
            let ok = (b >= 0x61 && b <= 0x7A) || isDigit(b) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
            if !ok { return nil }
        }
        let cd = iconv_open("UTF-8", charset)
        if cd == nil || cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        if bytes.isEmpty { return "" }

        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        let outChunk = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
        defer { outChunk.deallocate() }
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

        var inPtr = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
        var inLeft = bytes.count
        while true {
            var outPtr: UnsafeMutablePointer<CChar>? = outChunk
            var outLeft = 4096
            var inOpt: UnsafeMutablePointer<CChar>? = inPtr
            let r = iconv(cd, &inOpt, &inLeft, &outPtr, &outLeft)
            let code = errno
            inPtr = inOpt ?? inPtr
            let produced = 4096 - outLeft
            outChunk.withMemoryRebound(to: UInt8.self, capacity: produced) {
                out.append(contentsOf: UnsafeBufferPointer(start: $0, count: produced))
            }
            if r != -1 {
                if inLeft == 0 { break }
                continue
            }
            switch code {
            case E2BIG:
                continue
            case EILSEQ:
                out.append(contentsOf: replacement)
                inPtr += 1
                inLeft -= 1
            default:  // EINVAL: incomplete sequence at the end, or anything unexpected
                out.append(contentsOf: replacement)
                inLeft = 0
            }
            if inLeft == 0 { break }
        }
        // Flush any shift state.
        var outPtr: UnsafeMutablePointer<CChar>? = outChunk
        var outLeft = 4096
        if iconv(cd, nil, nil, &outPtr, &outLeft) != -1 {
            let produced = 4096 - outLeft
            outChunk.withMemoryRebound(to: UInt8.self, capacity: produced) {
                out.append(contentsOf: UnsafeBufferPointer(start: $0, count: produced))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

private let QMARK: UInt8 = 0x3F
