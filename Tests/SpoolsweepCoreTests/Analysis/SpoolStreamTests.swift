import Glibc
import Testing
@testable import SpoolsweepCore

/// Issue #14, memory that does not grow with the spool: a streamed selection hands every message
/// on as its window is selected, and never holds more than a window of them; the parallel read of
/// a folder holds at most a window of messages read and not yet visited.
@Suite struct SpoolStreamTests {
    private let now = LocalTime(year: 2026, month: 11, day: 28, hour: 18, minute: 0, second: 0)

    private func message(_ i: Int) -> QueuedMessage {
        var m = QueuedMessage(id: "m\(i)", queue: "SubSpool1", state: "Written")
        m.size = i % 1000
        m.sender = "user\(i % 7)@northwind.test"
        return m
    }

    /// Every one of N messages reaches the sink, in the order given, while the stream holds at
    /// most a window of them (given and not yet handed on).
    @Test(arguments: [(1, 1), (255, 1), (256, 2), (10_000, 2), (10_001, 3)])
    func everyMessageReachesTheSinkWithAWindowAlive(_ n: Int, _ threads: Int) throws {
        let window = 256
        var stream = SpoolStream(filter: SpoolFilter(), now: now, wantsSubject: false, threads: threads, window: window)
        var given = 0, sunk: [String] = [], mostAlive = 0
        let sink = { (s: SelectedMessage) in
            sunk.append(s.message.id)
            mostAlive = max(mostAlive, given - sunk.count + 1)
        }
        for i in 0..<n {
            given += 1
            stream.add(message(i), to: sink)
            #expect(stream.held <= window)
            #expect(given - sunk.count == stream.held) // nothing kept beyond the window
        }
        stream.finish(to: sink)
        #expect(sunk.count == n)
        #expect(sunk == (0..<n).map { "m\($0)" })
        #expect(mostAlive <= window)
        #expect((stream.seen, stream.selected, stream.held) == (n, n, 0))
    }

    /// A filter streamed selects what it selects on all the messages at once, in that order.
    @Test func aStreamedFilterSelectsWhatTheWholeSelectionDoes() throws {
        let filter = try SpoolFilter(sender: "user[135]@", minSize: "100")
        let messages = (0..<5_000).map(message)
        var whole = Diagnostics()
        let want = SpoolSelector.select(messages, filter: filter, now: now, wantsSubject: false, threads: 2, diagnostics: &whole)
        var stream = SpoolStream(filter: filter, now: now, wantsSubject: false, threads: 2, window: 100)
        var got: [String] = []
        for m in messages { stream.add(m) { got.append($0.message.id) } }
        stream.finish { got.append($0.message.id) }
        #expect(got == want.map(\.message.id))
        #expect(got.count == 1_929)
        #expect(stream.selected == got.count)
    }

    /// A folder's messages are read a window at a time: when a message is visited, at most a
    /// window of messages have been read and not yet visited, and they come in the items' order.
    @Test(arguments: [1, 2, 4])
    func aParallelReadHoldsAWindowOfMessages(_ threads: Int) {
        final class Counter: @unchecked Sendable {
            private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
            private var n = 0
            init() { pthread_mutex_init(lock, nil) }
            func add() { pthread_mutex_lock(lock); n += 1; pthread_mutex_unlock(lock) }
            var value: Int { pthread_mutex_lock(lock); defer { pthread_mutex_unlock(lock) }; return n }
        }
        let read = Counter(), items = Array(0..<5_000), window = 100
        var visited: [String] = [], mostAhead = 0
        var diagnostics = Diagnostics()
        Parallel.readMessages(items, threads: threads, window: window, diagnostics: &diagnostics, visit: { m in
            visited.append(m.id)
            mostAhead = max(mostAhead, read.value - visited.count + 1)
        }) { slice, found in
            for i in slice {
                read.add()
                found(QueuedMessage(id: "\(i)", queue: "", state: ""))
            }
            return Diagnostics()
        }
        #expect(visited == items.map(String.init))
        #expect(mostAhead <= window)
        #expect(mostAhead > 1) // (a window is read before it is visited)
    }

    /// On a generated SmarterMail spool of N pairs, `streamSpool` calls the sink N times, in the
    /// order the dialect visits them (that of `readSpool`), and still says what became of the ids
    /// `--id` asked for.
    @Test func aGeneratedSpoolIsStreamedInTheDialectsOrder() throws {
        let folder = try TempFolder("stream")
        let n = 1_500
        try folder.folder("Spool")
        for s in 1...3 { try folder.folder("Spool/SubSpool\(s)") }
        for i in 0..<n {
            let base = "Spool/SubSpool\(i % 3 + 1)/\(100_000 + i * 7919 % n)"
            let sender = i % 5 == 0 ? "jane@northwind.test" : "user\(i)@northwind.test"
            try folder.write(base + ".hdr", "Written \r\n\(sender)\r\nr\(i)@d.example\r\nfrom: \(sender)\r\nauth: \(sender)\r\n"
                             + "creationdate: 11/28/2026 10:00:00\r\n\r\n")
            try folder.write(base + ".eml", "From: \(sender)\r\nSubject: number \(i)\r\n\r\nbody \(i)\r\n")
        }
        var input = InputSelection(paths: [folder.at("Spool")])
        input.threads = 2
        let (all, _) = try Spoolsweep.readSpool(input)
        #expect(all.count == n)

        var ids: [String] = [], subjects = 0
        let diagnostics = try Spoolsweep.streamSpool(input, filter: SpoolFilter(), now: now, wantsSubject: true, window: 64) { s in
            ids.append(s.message.id)
            if s.subject.hasPrefix("number ") { subjects += 1 }
        }
        #expect(ids == all.map(\.id))
        #expect(subjects == n)
        #expect(diagnostics.filesRead == n && !diagnostics.isPartial)

        // --id: one selected, one queued but excluded, one not queued.
        let jane = try #require(all.first { $0.sender == "jane@northwind.test" }).id
        let other = try #require(all.first { $0.sender != "jane@northwind.test" }).id
        let filter = try SpoolFilter(sender: "^jane@", ids: [jane, other, "999"])
        var chosen: [String] = []
        let notes = try Spoolsweep.streamSpool(input, filter: filter, now: now, wantsSubject: false, window: 64) { chosen.append($0.message.id) }
        #expect(chosen == [jane])
        #expect(notes.findings.map { "\($0.path): \($0.reason)" } == [other, "999"].sorted().map { id in
            "\(id): " + (id == other ? "--id: queued, but another condition excludes it"
                                     : "--id: no queued message has this id (delivered or removed since?)")
        })
    }
}
