import Testing
@testable import SpoolsweepCore

/// The live readers give what `suspects` gives: each fixture's log lines fed one by one to the
/// dialect's `LiveLogReader` (as `watch` feeds them), assessed by `WatchEngine`, print the same
/// suspects JSON as `Spoolsweep.suspects` over the same files for that day.
@Suite struct LiveReaderTests {
    struct Case: Sendable, CustomStringConvertible {
        let paths: [String], day: String, thresholds: [String: Int]
        var description: String { paths[0] }
    }

    @Test(arguments: [
        Case(paths: ["fixtures/smartermail/Logs"], day: "2026-11-28", thresholds: [:]),
        Case(paths: ["fixtures/smartermail/Logs"], day: "2026-11-27", thresholds: ["domains": 1]),
        Case(paths: ["fixtures/smartermail-lowlevel/Logs"], day: "2026-11-28", thresholds: ["domains": 1]),
        Case(paths: ["fixtures/postfix/maillog"], day: "2026-11-29", thresholds: [:]),
        Case(paths: ["fixtures/postfix/maillog"], day: "2026-11-29", thresholds: ["domains": 1]),
        Case(paths: ["fixtures/exim/log/mainlog"], day: "2026-11-29", thresholds: ["domains": 1]),
    ])
    func liveReadingGivesTheSuspectsOfTheDay(_ c: Case) throws {
        let input = InputSelection(paths: c.paths.map { repositoryRoot + "/" + $0 })
        let (dialect, layout) = try input.locate()
        var thresholds = SuspectThresholds()
        if let d = c.thresholds["domains"] { thresholds.recipientDomains = d }
        let day = try #require(LocalTime.parse(c.day))
        let reader = try #require(dialect.liveReader(layout))
        var engine = WatchEngine(server: dialect.name, reader: reader, thresholds: thresholds, localDomains: [], pathsText: "", day: day.day)
        let lines = LineReader()
        let files = engine.files()
        #expect(!files.isEmpty)
        for path in files {
            _ = try lines.forEachLine(path: path) { line in engine.take(line.bytes, of: path) }
        }
        let live = engine.report()
        let (batch, _) = try Spoolsweep.suspects(input, range: TimeRange(day: day), thresholds: thresholds, top: 0, pathsText: "")
        #expect(live.json().rendered() == batch.json().rendered())
        #expect(!batch.suspects.isEmpty || c.thresholds.isEmpty)
    }
}
