import Testing
@testable import SpoolsweepCore

/// The outcome with the prefilter and with PCRE2 alone, on the same bytes.
private func outcomes(_ pattern: String, caseless: Bool = false, _ subject: [UInt8]) throws -> (MatchOutcome, MatchOutcome) {
    let fast = try Pattern(pattern, caseless: caseless)
    let plain = try Pattern(pattern, caseless: caseless, matchLimit: Pattern.defaultMatchLimit, prefiltered: false)
    return subject.withUnsafeBytes { (fast.match($0), plain.match($0)) }
}

private func prefix(_ pattern: String, caseless: Bool = false) -> String? {
    LiteralPrefilter.requiredPrefix(of: Array(pattern.utf8), caseless: caseless).map { String(decoding: $0, as: UTF8.self) }
}

/// A small deterministic generator (the same subjects on every run).
private struct Scramble {
    var state: UInt64
    mutating func next(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
}

@Suite struct LiteralPrefilterTests {
    @Test func theLiteralIsThePatternsPlainStart() {
        #expect(prefix("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}") == "gift-claim.promo-rewards.test/c/")
        #expect(prefix("gift card") == "gift card")
        #expect(prefix("\\$500 gift") == "$500 gift")
        #expect(prefix("gift\\\\x") == "gift\\x")                 // an escaped backslash
        #expect(prefix("gift@northwind\\.test$") == "gift@northwind.test")
        // A quantified character is not required (or not only once): the literal ends before it.
        #expect(prefix("gifts*") == "gift")
        #expect(prefix("gift?") == "gif")
        #expect(prefix("gift{2}") == "gif")
        #expect(prefix("gift+x") == "gif")
        // It ends at anything that is not plain text; before a group or an escape, one character
        // earlier (a comment or a stray \E is nothing to PCRE2: a quantifier after it applies to
        // the character before).
        #expect(prefix("gift.card") == "gift")
        #expect(prefix("gift[ ]card") == "gift")
        #expect(prefix("gift(card)") == "gif")
        #expect(prefix("gift(?#note)?") == "gif")
        #expect(prefix("gift\\E?") == "gif")
        #expect(prefix("gift\\scard") == "gif")
        #expect(prefix("café") == "caf")
        #expect(prefix("caf\u{E9}?") == "caf")                      // the quantifier is on é
        #expect(prefix("^gift") == "")
        #expect(prefix("(?i)gift") == "")
        #expect(prefix("\\d+ gift") == "")
        #expect(prefix("[g]ift") == "")
        // Caseless, before k and s (their case partners KELVIN SIGN and LONG S are not ASCII).
        #expect(prefix("Gift-Desk", caseless: true) == "Gift-De")
        #expect(prefix("kelvin", caseless: true) == "")
    }

    @Test func patternsThatMightStartElsewhereHaveNone() throws {
        #expect(prefix("gift|card") == nil)
        #expect(prefix("gift(card|cert)") == nil)
        #expect(prefix("gift[|]") == nil)                           // unsure: no prefilter
        #expect(prefix("\\Qgift\\E") == nil)
        #expect(prefix("gift(?<=\\Ggift)") == nil)
        #expect(prefix("gift\\|card") == "gift|card")               // an escaped bar is text
        #expect(try Pattern("gift|card").prefilter == nil)
        #expect(try Pattern("(?i)gift-card").prefilter == nil)
        #expect(try Pattern("g.ft").prefilter == nil)               // one character: PCRE2's own search
        #expect(try Pattern("gift-card").prefilter?.literal == Array("gift-card".utf8))
        #expect(try Pattern("GIFT-CARD", caseless: true).prefilter?.literal == Array("gift-card".utf8))
        #expect(try Pattern("gift-card").copy().prefilter != nil)
    }

    @Test func theSearchFindsTheFirstOccurrenceAtEveryOffset() {
        // Every length and position around the 16-byte steps, the literal last in the buffer too.
        for literal in ["ab", "gift-claim.test/c/", "a-a-a-a", "xyzzyxyzzyxyzzyxyzzy!"] {
            for caseless in [false, true] {
                let filter = LiteralPrefilter(literal: Array(literal.utf8), caseless: caseless)
                for length in 0..<80 {
                    for at in stride(from: 0, through: length - literal.utf8.count, by: 1) {
                        var hay = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                        let text = caseless ? Array(literal.uppercased().utf8) : Array(literal.utf8)
                        hay.replaceSubrange(at..<(at + text.count), with: text)
                        let naive = (0...(length - text.count)).first { i in
                            filter.literal.indices.allSatisfy { k in
                                (caseless ? LiteralPrefilter.fold(hay[i + k]) : hay[i + k]) == filter.literal[k]
                            }
                        }
                        let found = hay.withUnsafeBytes { filter.firstOccurrence(in: $0) }
                        #expect(found == naive, "\(literal) caseless \(caseless) length \(length) at \(at)")
                    }
                    // Absent, or cut off by the end of the buffer.
                    let cut = Array(literal.utf8.dropLast())
                    let hay = [UInt8](repeating: UInt8(ascii: "."), count: max(0, length - cut.count)) + (length >= cut.count ? cut : [])
                    #expect(hay.withUnsafeBytes { filter.firstOccurrence(in: $0) } == nil, "\(literal) cut, length \(length)")
                }
            }
        }
        #expect(LiteralPrefilter(literal: Array("ab".utf8), caseless: false).firstOccurrence(in: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test func outcomesAreThoseOfPCRE2AloneOnTrickyCases() throws {
        let tail = Array("… Claim it: https://gift-claim.promo-rewards.test/c/b29c6a7f".utf8)
        let cases: [(String, Bool, [UInt8])] = [
            ("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}", false, tail),                  // at the very end
            ("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}", false, Array(tail.dropLast())),   // one hex digit short
            ("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}", false, Array(tail.suffix(40))),   // at the very start
            ("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}", false, Array(tail.suffix(40).dropLast(9))),
            // The first occurrence does not match, a later one does.
            ("gift-claim/c/[0-9]{3}", false, Array("gift-claim/c/12x gift-claim/c/123".utf8)),
            ("GIFT-CLAIM", true, Array("a Gift-Claim here".utf8)),
            ("gift-claim", false, Array("a Gift-Claim here".utf8)),
            ("Gift-Desk", true, Array("GIFT-DE\u{17F}K".utf8)),                                      // LONG S
            ("gift-de\u{17F}k", true, Array("GIFT-DESK".utf8)),
            ("kelvin-test", true, Array("\u{212A}ELVIN-TEST".utf8)),                                // KELVIN SIGN
            ("gift|card", false, Array("a card".utf8)),
            ("gift (card|cert)", false, Array("gift cert".utf8)),
            ("gift-card(?<=\\ba gift-card)", false, Array("not a gift-card".utf8)),                 // lookbehind before the literal
            ("gift-card(?<=xgift-card)", false, Array("a gift-card, xgift-card".utf8)),
            ("gift-card$", false, Array("gift-card\nnext".utf8)),
            ("(?m)gift-card$", false, Array("gift-card\nnext".utf8)),
            ("gift-card\\n^claim", false, Array("gift-card\nclaim".utf8)),
            ("(?m)gift-card\\n^claim", false, Array("gift-card\nclaim".utf8)),
            ("gift-card(?s).*claim", false, Array("gift-card\r\n\r\nclaim".utf8)),
            ("gift-card\\b", false, Array("gift-cards gift-card.".utf8)),
            ("gift-card", false, [0xFF, 0xC3] + Array("gift-card".utf8) + [0xC3]),                 // invalid UTF-8 around it
            ("gift-card", false, Array("gift-".utf8) + [0xFF] + Array("card".utf8)),               // and inside
            ("gift-c.rd", false, Array("gift-c".utf8) + [0xFF] + Array("rd".utf8)),
            ("gift-c.rd", false, Array("gift-c".utf8) + [0xC3, 0xA9] + Array("rd".utf8)),
            ("gift-card", false, []),
            ("gift-car(?#note)?d", false, Array("a gift-cad".utf8)),                                 // the quantifier skips the comment
            ("gift-car\\E?d", false, Array("a gift-cad".utf8)),
            ("g.ft", false, Array("a gift".utf8)),                                                  // no literal
            ("\\d{3}-gift", false, Array("call 555-gift".utf8)),
        ]
        for (pattern, caseless, subject) in cases {
            let (fast, plain) = try outcomes(pattern, caseless: caseless, subject)
            #expect(fast == plain, "\(pattern) caseless \(caseless) on \(String(decoding: subject, as: UTF8.self))")
        }
        #expect(try outcomes("gift-claim\\.promo-rewards\\.test/c/[0-9a-f]{8}", tail).0 == .match)
        #expect(try outcomes("GIFT-CLAIM", caseless: true, Array("a Gift-Claim here".utf8)).0 == .match)
    }

    @Test func outcomesAreThoseOfPCRE2AloneOnScrambledSubjects() throws {
        let patterns: [(String, Bool)] = [
            ("gi-ft", false), ("gi-ft", true), ("gi-f+t", false), ("gi-ft?x", false), ("gi-\\.ft\\b", false),
            ("gi-ft(?=\\.)", false), ("gi-f[tT]\\r?\\n", false), ("gi-ft(?<=.gi-ft)", false), ("GI-FT..gi", true),
            ("gi-ft$", false), ("(?m)gi-ft$", false), ("gi-ft.*gi-ft", false), ("gi-ft|ft", false), ("gi-(ft|gi)", false),
        ]
        // Pieces of the literal, whole or cut, in either case, among other text and invalid UTF-8.
        let pieces: [[UInt8]] = ["gi-ft", "gi-ft", "gi-", "ft", "GI-FT", "Gi-fT", "g", "i", "-", "t", ".", "\r\n", "\n", " ", "x"]
            .map { Array($0.utf8) } + [[0xFF], [0xC3], [0xA9], [0x80], [0xC3, 0xA9]]
        var random = Scramble(state: 15)
        for (pattern, caseless) in patterns {
            let fast = try Pattern(pattern, caseless: caseless)
            let plain = try Pattern(pattern, caseless: caseless, matchLimit: Pattern.defaultMatchLimit, prefiltered: false)
            var matches = 0
            for _ in 0..<3000 {
                let subject = (0..<random.next(16)).flatMap { _ in pieces[random.next(pieces.count)] }
                let (a, b) = subject.withUnsafeBytes { (fast.match($0), plain.match($0)) }
                #expect(a == b, "\(pattern) on \(subject)")
                if a == .match { matches += 1 }
            }
            #expect(matches > 0, "\(pattern): the subjects never matched, so this tested little")
        }
    }

    @Test func aHostilePatternWithALiteralStillHitsTheLimit() throws {
        let p = try Pattern("gift-(a+)+$")
        #expect(p.prefilter != nil)
        #expect(p.match("gift-" + String(repeating: "a", count: 30_000) + "b") == .limitExceeded)
        #expect(p.match("gift-aaa") == .match)
        // Without the literal there is nothing to match: no match, without PCRE2 running.
        #expect(p.match(String(repeating: "a", count: 30_000) + "b") == .noMatch)
    }
}
