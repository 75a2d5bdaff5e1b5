import Testing
@testable import SpoolsweepCore

/// `<repo>/fixtures/NAME`, found from this file's path (<repo>/Tests/SpoolsweepCoreTests/Ledger/).
private func fixture(_ name: String) -> String {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    parts.removeLast(4)
    return parts.joined(separator: "/") + "/fixtures/" + name
}

/// Every figure `summary --format json` and `suspects --format json` print, from one finished ledger.
private func figures(_ ledger: MailLedger, server: String) -> String {
    let summary = TrafficSummary(ledger: ledger, server: server, top: 0).json().rendered()
    let suspects = SuspectReport(ledger: ledger, server: server, thresholds: SuspectThresholds(), queued: [:],
                                 readQueued: { _, _ in }, top: 0, pathsText: "").json().rendered()
    return summary + "\n" + suspects
}

/// The figures, and the detail sections of `summary --detail` (the ledger keeps its details).
private func figuresWithDetails(_ ledger: MailLedger, server: String) -> String {
    var summary = TrafficSummary(ledger: ledger, server: server, top: 0)
    summary.details = SummaryDetails(ledger, limit: 1000)
    return summary.json().rendered() + "\n" + figures(ledger, server: server)
}

private func ledger(_ facts: ArraySlice<OwnedMailFact>) -> MailLedger {
    var ledger = MailLedger()
    for f in facts { f.replay(into: &ledger) }
    return ledger
}

/// The fixtures' and the corpus's logs: the SmarterMail sample server and the real Postfix and Exim logs.
private let inputs = [("smartermail", fixture("smartermail/Logs")), ("postfix", fixture("postfix/maillog")), ("exim", fixture("exim/log/mainlog"))]

@Suite struct LedgerMergeTests {
    /// For random cuts of each log's facts into chunks, one ledger per chunk merged in order
    /// gives every figure one ledger over the whole gives.
    @Test(arguments: inputs)
    func mergedChunksEqualOneLedger(_ server: String, _ path: String) throws {
        let facts = try Spoolsweep.facts(InputSelection(paths: [path])).facts
        #expect(facts.count > 1000)
        var whole = ledger(facts[...])
        whole.finish()
        let expected = figures(whole, server: server)
        var rng = SplitMix(seed: 20_261_202)
        for round in 0..<25 {
            let chunks = 2 + rng.below(round < 5 ? 3 : 40)
            var cuts = (0..<(chunks - 1)).map { _ in rng.below(facts.count + 1) }.sorted()
            cuts = [0] + cuts + [facts.count]
            var merged = ledger(facts[cuts[0]..<cuts[1]])
            for k in 1..<(cuts.count - 1) { merged.merge(ledger(facts[cuts[k]..<cuts[k + 1]])) }
            merged.finish()
            #expect(figures(merged, server: server) == expected, "round \(round): cuts \(cuts)")
        }
    }

    /// The logs read in 1, 2, 3 or 5 shares (one ledger each, merged) give the same figures, and
    /// the shares hand over each fact exactly once.
    @Test(arguments: inputs)
    func sharesGiveTheSameFigures(_ server: String, _ path: String) throws {
        let (dialect, layout) = try InputSelection(paths: [path]).locate()
        let all = try Spoolsweep.facts(InputSelection(paths: [path])).facts
        var expected: String?
        for parts in [1, 2, 3, 5] {
            let (merged, diagnostics) = LogReading.ledger(parts: parts, template: MailLedger()) { share, ledger, diagnostics in
                dialect.readFacts(layout, range: nil, share: share, into: &ledger, diagnostics: &diagnostics)
            }
            #expect(diagnostics.warnings.isEmpty)
            let got = figures(merged, server: server)
            if let expected { #expect(got == expected, "\(parts) shares") } else { expected = got }
            var count = 0
            for i in 0..<parts {
                var recorder = FactRecorder(), seen = Diagnostics()
                dialect.readFacts(layout, range: nil, share: LogShare(index: i, count: parts), into: &recorder, diagnostics: &seen)
                count += recorder.facts.count
            }
            #expect(count == all.count, "\(parts) shares")
        }
    }

    /// Logs cut into pieces at random bytes (each piece read on a thread of its own, by readers
    /// of its own into a ledger of its own, then taken over in order) give every figure, detail
    /// and warning one reading of the whole gives.
    @Test(arguments: [("postfix", fixture("postfix/maillog"))])
    func piecesGiveTheSameFigures(_ server: String, _ fixturePath: String) throws {
        // A copy stamped a few days old: only a settled file is mapped, and only a mapped file
        // is read in pieces (a fresh checkout stamps the fixtures now).
        let copy = try TempFolder("pieces")
        let path = copy.at(FileSystem.baseName(fixturePath))
        #expect(shellOutput("cp -a '\(fixturePath)' '\(path)' && find '\(path)' -type f -exec touch -d '2026-11-29 12:00' {} + && echo ok") == "ok\n")
        let (dialect, layout) = try InputSelection(paths: [path]).locate()
        var template = MailLedger()
        template.keepsDetails = true
        let (whole, wholeDiagnostics) = LogReading.ledger(parts: 1, template: template) { share, ledger, diagnostics in
            dialect.readFacts(layout, range: nil, share: share, into: &ledger, diagnostics: &diagnostics)
        }
        let expected = figuresWithDetails(whole, server: server)
        #expect(expected.contains("\"clients\""))
        var rng = SplitMix(seed: 20_261_203)
        var cutFiles = 0
        for round in 0..<30 {
            let fractions = (0..<(1 + rng.below(round < 10 ? 3 : 60))).map { _ in Double(rng.below(1_000_001)) / 1_000_000 }.sorted()
            let cut = { (map: UnsafeRawBufferPointer) -> [Range<Int>] in
                let pieces = LogPieces.cut(map, at: fractions.map { Int($0 * Double(map.count)) })
                if pieces.count > 1 { cutFiles += 1 }
                return pieces
            }
            let (merged, diagnostics) = switch dialect {
            case let postfix as PostfixDialect: postfix.readPieces(layout, template: template, threads: 1 + rng.below(4), cut: cut)
            default: { Issue.record("no pieces for \(server)"); return (MailLedger(), Diagnostics()) }()
            }
            #expect(figuresWithDetails(merged, server: server) == expected, "round \(round): cut at \(fractions)")
            #expect(diagnostics.warnings == wholeDiagnostics.warnings, "round \(round)")
        }
        #expect(cutFiles >= 30)
    }

    /// Pieces start at line starts, cover the text after a byte-order mark once, and a file
    /// too small to cut is one piece.
    @Test func piecesAreWholeLines() {
        let text = Array("\u{FEFF}one\ntwo\nthree\n\nfour".utf8)
        text.withUnsafeBytes { map in
            #expect(LogPieces.cut(map, at: [0, 4, 5, 9, 9, 16, 100]) == [3..<7, 7..<11, 11..<17, 17..<22])
            #expect(LogPieces.cut(map, into: 4, minimum: 8) == [3..<17, 17..<22])
            #expect(LogPieces.cut(map, into: 4) == [3..<22])
        }
    }
}
