import Glibc
import Testing
@testable import SpoolsweepCore

private func parse(_ text: String) -> JSON? { JSON.parse(text) }
private func parse(_ bytes: [UInt8]) -> JSON? { bytes.withUnsafeBytes { JSON.parse($0) } }

@Suite struct JSONParserTests {
    @Test func compactRoundTrip() throws {
        let value = JSON.object([
            ("null", .null), ("yes", .bool(true)), ("no", .bool(false)),
            ("ints", .array([.int(0), .int(-1), .int(42), .int(Int.max), .int(Int.min)])),
            ("doubles", .array([.double(1.5), .double(-0.25), .double(2.0), .double(1e300), .double(6.02e-23)])),
            ("text", .string("quote \" backslash \\ slash / newline \n cr \r tab \t bell \u{07} nul \u{00} del \u{7F}")),
            ("unicode", .string("Café Réunion – Übersicht 300 € 😀 𝄞")),
            ("empty", .object([])), ("none", .array([])), ("", .string("")),
            ("nested", .object([("a", .array([.object([("b", .array([.array([.int(1)])]))])]))])),
            ("dup", .int(1)), ("dup", .int(2)),
        ])
        let text = value.compact()
        #expect(!text.contains("\n"))
        let back = try #require(parse(text))
        #expect(back == value)
        #expect(back.compact() == text)
        #expect(back["text"]?.stringValue == "quote \" backslash \\ slash / newline \n cr \r tab \t bell \u{07} nul \u{00} del \u{7F}")
        #expect(back["unicode"]?.stringValue == "Café Réunion – Übersicht 300 € 😀 𝄞")
        #expect(back["ints"]?.arrayValue?.compactMap(\.intValue) == [0, -1, 42, Int.max, Int.min])
        // Object keys keep their order (and repeats).
        guard case .object(let members) = back else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["null", "yes", "no", "ints", "doubles", "text", "unicode", "empty", "none", "", "nested", "dup", "dup"])
    }

    /// Quoting: the escapes spelled out, everything else (non-ASCII too) copied as it is.
    @Test func quotingEscapesExactly() {
        var out = ""
        JSON.quote("\"a\\b\nc\rd\te\u{07}\u{00}f\u{7F}\u{1F} Café 😀 e\u{301}\"\u{301}/", into: &out)
        #expect(out == #""\"a\\b\nc\rd\te\u0007\u0000f\u007f\u001f Café 😀 e\#u{301}\"\#u{301}/""#)
        out = ""
        JSON.quote("", into: &out)
        #expect(out == "\"\"")
    }

    @Test func whitespaceAroundTokens() {
        #expect(parse(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n") == .object([("a", .array([.int(1), .int(2)]))]))
    }

    @Test func escapes() {
        #expect(parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#)?.stringValue == "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")
        #expect(parse(#""\u00e9\u00C9\u20ac\u0000""#)?.stringValue == "éÉ€\u{00}")
        // A surrogate pair is one scalar.
        #expect(parse(#""\ud83d\ude00""#)?.stringValue == "😀")
        #expect(parse(#""\uD834\uDD1E!""#)?.stringValue == "𝄞!")
        // A lone surrogate cannot be a scalar: replaced, not a crash.
        #expect(parse(#""\ud83dx""#)?.stringValue == "\u{FFFD}x")
        #expect(parse(#""\ude00""#)?.stringValue == "\u{FFFD}")
        // Bad escapes.
        #expect(parse(#""\x41""#) == nil)
        #expect(parse(#""\u12""#) == nil)
        #expect(parse(#""\u12G4""#) == nil)
        #expect(parse(#""\ud83d\u0041""#) == nil) // a high surrogate followed by a non-low one
        #expect(parse(#""abc\"#) == nil)
    }

    @Test func rejectsTrailingGarbage() {
        #expect(parse("{\"a\":1} x") == nil)
        #expect(parse("[1]]") == nil)
        #expect(parse("1 2") == nil)
        #expect(parse("\"a\"\"b\"") == nil)
        #expect(parse("truex") == nil)
        #expect(parse("null,") == nil)
        #expect(parse("{\"a\":1}\u{00}") == nil)
        #expect(parse("") == nil)
        #expect(parse("   ") == nil)
    }

    @Test func rejectsUnterminated() {
        #expect(parse("\"abc") == nil)
        #expect(parse("{\"a\":\"b") == nil)
        #expect(parse("{\"a\":1") == nil)
        #expect(parse("{\"a\"") == nil)
        #expect(parse("{\"a\":") == nil)
        #expect(parse("[1,2") == nil)
        #expect(parse("[1,") == nil)
        #expect(parse("[") == nil)
        #expect(parse("{") == nil)
        #expect(parse("tru") == nil)
        #expect(parse("nul") == nil)
    }

    @Test func rejectsMalformedStructure() {
        #expect(parse("{a:1}") == nil)
        #expect(parse("{\"a\" 1}") == nil)
        #expect(parse("{\"a\":1,}") == nil)
        #expect(parse("[1,]") == nil)
        #expect(parse("[,1]") == nil)
        #expect(parse("{\"a\":1 \"b\":2}") == nil)
        #expect(parse("'a'") == nil)
        #expect(parse("-") == nil)
        #expect(parse("1.2.3") == nil)
        #expect(parse("NaN") == nil)
        #expect(parse("Infinity") == nil)
    }

    @Test func rejectsControlCharactersInStrings() {
        for c: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] {
            #expect(parse([0x22, 0x61, c, 0x62, 0x22]) == nil, "byte \(c)")
        }
        // DEL (0x7F) is not a control character in JSON.
        #expect(parse([0x22, 0x61, 0x7F, 0x22])?.stringValue == "a\u{7F}")
    }

    @Test func nestingIsLimitedTo512() {
        func arrays(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        func objects(_ n: Int) -> String { String(repeating: "{\"a\":", count: n) + "1" + String(repeating: "}", count: n) }
        #expect(parse(arrays(512)) != nil)
        #expect(parse(arrays(513)) == nil)
        #expect(parse(objects(511)) != nil)
        #expect(parse(objects(513)) == nil)
        // Far deeper input is refused without exhausting the stack.
        #expect(parse(arrays(200_000)) == nil)
        #expect(parse(String(repeating: "[", count: 200_000)) == nil)
        #expect(parse(String(repeating: "{\"a\":", count: 100_000)) == nil)
    }

    @Test func numbers() {
        #expect(parse("0") == .int(0))
        #expect(parse("-12") == .int(-12))
        #expect(parse("1.5")?.rendered() == JSON.double(1.5).rendered())
        #expect(parse("-1e-2")?.rendered() == JSON.double(-0.01).rendered())
        #expect(parse("1E3")?.rendered() == JSON.double(1000).rendered())
        // Too big for an Int: a double, not a failure.
        #expect(parse("99999999999999999999")?.rendered() == JSON.double(1e20).rendered())
    }

    /// RFC 8259 grammar: no leading '+', no leading zeros, digits on both sides of '.'.
    /// `JSON.parse` documents "RFC 8259 ... nil for anything malformed".
    @Test func rejectsNumbersOutsideTheRFCGrammar() {
        for text in ["+1", "01", "-01", ".5", "1.", "1.e5", "1e", "--1", "1e+-2"] {
            #expect(parse(text) == nil, "\(text) accepted")
        }
    }
}
