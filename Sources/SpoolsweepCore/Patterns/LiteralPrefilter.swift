import CLiteralSearch

/// The literal text every match of a pattern starts with, when the pattern is simple enough to
/// be sure of it: a `--body` search looks for that text with a fast substring search first, and
/// PCRE2 runs only on a body that has it, from its first occurrence on.
///
/// That gives the same answer as PCRE2 on the whole body, because every match begins where the
/// literal does: a body without the literal has no match, and no match can begin before the
/// literal's first occurrence. So the literal is taken only from the very start of the pattern,
/// only while it is plain ASCII text (letters, digits, spaces, punctuation that is no
/// metacharacter, punctuation escaped with a backslash), and a character a quantifier follows
/// is left out (`ab?` requires only `a`), and so is the last one before a group or an escape
/// (which may be a comment, and a quantifier after it then applies to that character). A
/// pattern with a `|` anywhere (alternation, or
/// something that might be), `\Q` (quoted text PCRE2 reads differently) or `\G` (which depends
/// on where the search starts) gets no prefilter. Caseless, the literal stops before `k` and
/// `s`, the two ASCII letters with a non-ASCII case partner (KELVIN SIGN, LONG S). Whatever is
/// unsure gets no prefilter: PCRE2 then reads the whole body, as it would anyway.
struct LiteralPrefilter: Sendable {
    /// The literal, lower-cased when caseless.
    let literal: [UInt8]
    let caseless: Bool
    /// Two positions in the literal holding its rarest bytes (likely in mail), which the search
    /// tests first.
    let rare1, rare2: Int

    /// Literals shorter than this are left to PCRE2's own first-character search.
    static let minimumLength = 2

    init?(pattern: String, caseless: Bool) {
        guard let literal = LiteralPrefilter.requiredPrefix(of: Array(pattern.utf8), caseless: caseless),
              literal.count >= LiteralPrefilter.minimumLength else { return nil }
        self.init(literal: literal, caseless: caseless)
    }

    init(literal: [UInt8], caseless: Bool) {
        let bytes = caseless ? literal.map(LiteralPrefilter.fold) : literal
        let order = bytes.indices.sorted { (LiteralPrefilter.commonness(bytes[$0]), $0) < (LiteralPrefilter.commonness(bytes[$1]), $1) }
        self.literal = bytes
        self.caseless = caseless
        rare1 = order[0]
        // Another position, with another byte where the literal has one.
        rare2 = order.dropFirst().first { bytes[$0] != bytes[order[0]] } ?? order.dropFirst().first ?? order[0]
    }

    /// Where the literal first occurs in `subject`, or nil when it does not.
    func firstOccurrence(in subject: UnsafeRawBufferPointer) -> Int? {
        guard let base = subject.baseAddress, subject.count >= literal.count else { return nil }
        let at = literal.withUnsafeBufferPointer { needle in
            spoolsweep_find_literal(base.assumingMemoryBound(to: UInt8.self), subject.count, needle.baseAddress!, needle.count,
                                    rare1, rare2, caseless ? 1 : 0)
        }
        return at < 0 ? nil : at
    }

    /// The literal every match of `pattern` starts with (possibly empty), or nil when the
    /// pattern holds something that could make a match start elsewhere.
    static func requiredPrefix(of pattern: [UInt8], caseless: Bool) -> [UInt8]? {
        var i = 0
        while i < pattern.count {
            switch pattern[i] {
            case UInt8(ascii: "|"): return nil
            case UInt8(ascii: "\\"):
                if i + 1 < pattern.count, pattern[i + 1] == UInt8(ascii: "Q") || pattern[i + 1] == UInt8(ascii: "G") { return nil }
                i += 2
            default: i += 1
            }
        }
        var literal: [UInt8] = []
        i = 0
        while i < pattern.count {
            let c = pattern[i], char: UInt8, width: Int
            if c == UInt8(ascii: "\\") {
                // A backslash before ASCII punctuation always means that character itself.
                guard i + 1 < pattern.count, isEscapablePunctuation(pattern[i + 1]) else { break }
                char = pattern[i + 1]
                width = 2
            } else if isPlain(c) {
                char = c
                width = 1
            } else {
                break
            }
            if i + width < pattern.count, isQuantifier(pattern[i + width]) { break } // optional or repeated
            if caseless && (fold(char) == UInt8(ascii: "k") || fold(char) == UInt8(ascii: "s")) { break }
            literal.append(char)
            i += width
        }
        // A group or an escape after the literal may be nothing at all to PCRE2 (a comment
        // `(?#...)`, a stray `\E`), and a quantifier after it then applies to the literal's last
        // character (`gift(?#x)?` is `gift?`): that character is not sure to be required.
        if i < pattern.count, pattern[i] == UInt8(ascii: "(") || pattern[i] == UInt8(ascii: "\\"), !literal.isEmpty {
            literal.removeLast()
        }
        return literal
    }

    /// Printable ASCII that stands for itself at the start of a pattern (no metacharacter; `]`
    /// and `}` too are left out, though literal there).
    private static func isPlain(_ c: UInt8) -> Bool {
        guard c >= 0x20 && c < 0x7F else { return false }
        return !"\\^$.[]|()?*+{}".utf8.contains(c)
    }

    private static func isEscapablePunctuation(_ c: UInt8) -> Bool {
        c > 0x20 && c < 0x7F && !(c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) && !isLetter(c)
    }

    private static func isQuantifier(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "?") || c == UInt8(ascii: "*") || c == UInt8(ascii: "+") || c == UInt8(ascii: "{")
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }

    static func fold(_ c: UInt8) -> UInt8 { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c }

    /// How common a byte is in mail bodies (text, HTML, base64), roughly: lower is rarer.
    static func commonness(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: " "), UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"),
             UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"), UInt8(ascii: "h"),
             UInt8(ascii: "l"):
            return 9
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 8
        case 0x0D, 0x0A: return 7
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return 6
        case UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "="): return 5 // base64 has them
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: ";"),
             UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "_"):
            return 3 // punctuation of text and HTML
        case 0x80...: return 4
        default: return 1
        }
    }
}
