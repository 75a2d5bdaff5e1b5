import Testing
@testable import SpoolsweepCore

@Suite struct FileSystemListingTests {
    /// A folder read a run at a time: every name once, each run sorted and at most the limit,
    /// and only the last said to be last.
    @Test func aFolderIsListedARunAtATime() throws {
        let dir = try TempFolder("listing-runs")
        let names = (0..<10).map { "m\(9 - $0).eml" }
        for n in names { try dir.write(n, "") }
        let folder = try #require(FileSystem.Folder(dir.path))
        for (limit, sizes) in [(3, [3, 3, 3, 1]), (5, [5, 5]), (10, [10]), (Int.max, [10])] {
            var runs: [[String]] = [], lasts: [Bool] = []
            #expect(FileSystem.listing(folder, runsOf: limit) { run, last in
                runs.append(run.entries.map(run.name))
                lasts.append(last)
            })
            #expect(runs.map(\.count) == sizes, "runs of \(limit)")
            #expect(lasts == sizes.indices.map { $0 == sizes.count - 1 }, "runs of \(limit)")
            #expect(runs.allSatisfy { $0 == $0.sorted() }, "runs of \(limit)")
            #expect(runs.flatMap { $0 }.sorted() == names.sorted(), "runs of \(limit)")
        }
        #expect(FileSystem.listing(folder)?.entries.count == 10)
    }

    @Test func anEmptyFolderIsOneEmptyLastRun() throws {
        let dir = try TempFolder("listing-empty")
        var runs: [(Int, Bool)] = []
        #expect(FileSystem.listing(try #require(FileSystem.Folder(dir.path)), runsOf: 4) { runs.append(($0.entries.count, $1)) })
        #expect(runs.map(\.0) == [0] && runs.map(\.1) == [true])
    }
}
