import Glibc
import Testing
@testable import SpoolsweepCore

/// The filter's own rules: sizes in the units they say, id lists as other tools print them,
/// negated conditions that select only what they prove unmatched.
@Suite struct SpoolSelectionTests {
    @Test(arguments: [
        ("500", 500), ("500B", 500), ("10k", 10_240), ("10K", 10_240), ("10KiB", 10_240), ("2M", 2_097_152),
        ("2MiB", 2_097_152), ("1G", 1_073_741_824), ("1GiB", 1_073_741_824), ("10kB", 10_000), ("10KB", 10_000),
        ("2MB", 2_000_000), ("1GB", 1_000_000_000), ("1TB", 1_000_000_000_000), ("1T", 1 << 40),
    ])
    func sizesAreTheUnitsTheySay(_ text: String, _ bytes: Int) {
        #expect(parseSize(text) == bytes)
    }

    @Test(arguments: ["", "k", "-1k", "+1", "2TiB", "1.5M", "10 MB", "3X"])
    func malformedOrTooLargeSizesAreRefused(_ text: String) {
        #expect(parseSize(text) == nil)
    }

    /// `--ids-from`: the first word of a line, postqueue's `*`/`!` marks dropped, comments and
    /// blank lines skipped.
    @Test func idListsAsOtherToolsPrintThem() throws {
        let folder = try TempFolder("ids")
        let path = try folder.write("ids", "# from postqueue -p\n4F1A2B3C4D*    1234 Mon Nov 30 10:00:00  a@b.test\n\n  1vnYk1-0033BQ-1E\r\n20324046!\n")
        #expect(try SpoolFilter.ids(from: path) == ["4F1A2B3C4D", "1vnYk1-0033BQ-1E", "20324046"])
    }

    @Test func anIDListThatIsNotThereIsNoInput() {
        #expect(throws: SpoolsweepError.noInput(LayoutError("--ids-from /nonexistent/ids: no such file"))) {
            try SpoolFilter.ids(from: "/nonexistent/ids")
        }
        #expect(throws: SpoolsweepError.badValue("--ids-from: no id in it (one queued-message id a line)")) {
            try SpoolFilter(ids: [])
        }
    }

    /// A negated pattern that gives up (match limit) cannot prove the message unmatched: not selected.
    @Test func aNegatedPatternThatGivesUpDoesNotSelect() throws {
        let filter = try SpoolFilter(exclude: [(.sender, "^(a+)+$")], matchLimit: 1000)
        var message = QueuedMessage(id: "1", queue: "q", state: "Written")
        message.sender = String(repeating: "a", count: 5000) + "b"
        var selector = SpoolSelector(filter: filter, now: LocalTime.now(), wantsSubject: false)
        var diagnostics = Diagnostics()
        #expect(selector.select(message, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.warnings.map(\.reason) == ["--not-sender: match limit exceeded (pattern too costly on this message); counted as not selected"])
        message.sender = "b@example.test"
        #expect(selector.select(message, diagnostics: &diagnostics)?.message.id == "1")
    }

    /// `--state` compares the state word: a Postfix message being written is still `incoming`.
    @Test func theStateWordIsComparedWithoutItsNote() throws {
        let filter = try SpoolFilter(states: ["Incoming"])
        var selector = SpoolSelector(filter: filter, now: LocalTime.now(), wantsSubject: false)
        var diagnostics = Diagnostics()
        #expect(selector.select(QueuedMessage(id: "A", queue: "incoming", state: "incoming (being written)"), diagnostics: &diagnostics) != nil)
        #expect(selector.select(QueuedMessage(id: "B", queue: "hold", state: "hold"), diagnostics: &diagnostics) == nil)
        #expect(throws: SpoolsweepError.badValue("--state: 'queued' is not a state of postfix queued messages; the states are incoming, active, deferred, hold, corrupt, maildrop")) {
            try SpoolFilter(states: ["queued"]).checkStates(of: PostfixDialect())
        }
        try SpoolFilter(states: ["frozen"]).checkStates(of: EximDialect())
    }
}
