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
}
