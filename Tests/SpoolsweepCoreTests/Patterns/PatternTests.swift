import Testing
@testable import SpoolsweepCore

private func match(_ p: Pattern, _ bytes: [UInt8]) -> MatchOutcome {
    bytes.withUnsafeBytes { p.match($0) }
}

@Suite struct PatternTests {
    @Test func unbalancedParenthesisIsAPatternError() {
        do {
            _ = try Pattern("(")
            Issue.record("'(' compiled")
        } catch {
            #expect(error == PatternError(message: "missing closing parenthesis", offset: 1))
            #expect(error.description == "missing closing parenthesis at offset 1")
        }
    }

    @Test func badPatternInAFilterNamesTheOption() {
        do {
            _ = try SpoolFilter(subject: "gift(")
            Issue.record("'gift(' compiled")
        } catch {
            #expect(error == .badPattern(option: "--subject", PatternError(message: "missing closing parenthesis", offset: 5)))
            #expect(error.description == "--subject: missing closing parenthesis at offset 5")
        }
    }

    @Test func literalAndAnchoredMatches() throws {
        let p = try Pattern("^jane@northwind\\.test$")
        #expect(p.match("jane@northwind.test") == .match)
        #expect(p.match("Jane@northwind.test") == .noMatch)
        #expect(p.match("jane@northwindXtest") == .noMatch)
        #expect(p.match("xjane@northwind.test") == .noMatch)
        #expect(p.match("") == .noMatch)
        #expect(p.source == "^jane@northwind\\.test$")
        #expect(p.caseless == false)
    }

    @Test func caselessMatchesAnyCaseIncludingNonASCII() throws {
        let p = try Pattern("^jane@northwind\\.test$", caseless: true)
        #expect(p.match("JANE@NorthWind.Test") == .match)
        let u = try Pattern("büromöbel", caseless: true)
        #expect(u.match("Angebot für BÜROMÖBEL") == .match)
        #expect(try Pattern("büromöbel").match("BÜROMÖBEL") == .noMatch)
    }

    @Test func invalidUTF8SubjectIsNoErrorAndDoesNotMatchALiteral() throws {
        let p = try Pattern("gift")
        #expect(match(p, [0xFF, 0xFE, 0xC3, 0x28, 0x80]) == .noMatch)
        #expect(match(p, [0x67, 0x69, 0xFF, 0x66, 0x74]) == .noMatch)
        // Valid stretches around invalid bytes still match.
        #expect(match(p, [0xFF, 0x00] + Array("a gift".utf8) + [0xC0]) == .match)
        #expect(match(try Pattern("."), [0xFF, 0xFE]) == .noMatch)
        #expect(match(p, []) == .noMatch)
    }

    @Test func catastrophicBacktrackingHitsTheLimit() throws {
        // 2^30000 ways to split the a's: without the match limit this never finishes.
        let p = try Pattern("^(a+)+$")
        #expect(p.matchLimit == 1_000_000)
        #expect(p.match(String(repeating: "a", count: 30_000) + "b") == .limitExceeded)
        // The pattern still works on an ordinary subject afterwards.
        #expect(p.match("aaa") == .match)
    }

    @Test func catastrophicPatternOnAMessageIsAWarningNotAMatch() throws {
        let filter = try SpoolFilter(sender: "^(a+)+$")
        var selector = SpoolSelector(filter: filter, now: LocalTime(year: 2026, month: 11, day: 28), wantsSubject: false)
        var m = QueuedMessage(id: "12345678", queue: "SubSpool1", state: "Written")
        m.sender = String(repeating: "a", count: 30_000) + "b"
        m.envelopePath = "/spool/SubSpool1/12345678.hdr"
        var diagnostics = Diagnostics()
        #expect(selector.select(m, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.warnings == [InputWarning(
            path: "/spool/SubSpool1/12345678.hdr",
            reason: "--sender: match limit exceeded (pattern too costly on this message); counted as not selected")])
    }

    @Test func jitIsAvailableOnThisMachine() throws {
        #expect(try Pattern("claim\\.gift-card-prize").isJIT)
    }

    @Test func copyMatchesTheSame() throws {
        let p = try Pattern("^(?:web|shop)@fabrikam\\.test$", caseless: true, matchLimit: 5000)
        let q = p.copy()
        #expect(q.source == p.source)
        #expect(q.caseless)
        #expect(q.matchLimit == 5000)
        #expect(q.match("WEB@fabrikam.test") == .match)
        #expect(q.match("webform@fabrikam.test") == .noMatch)
    }
}
