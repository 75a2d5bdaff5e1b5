import Glibc
import Testing
@testable import SpoolsweepCore

/// The follower on real files changed as a server and logrotate change them.
@Suite struct LogFollowerTests {
    /// Follows `paths`, returns the lines the next poll reads (as "name: text") and the events.
    final class Follow {
        let follower: LogFollower
        var events: [FollowEvent] = []
        init(_ paths: [String], maxLineLength: Int = 1 << 20, resume: [FileMark] = []) {
            follower = LogFollower(maxLineLength: maxLineLength)
            follower.retiredQuiet = 0
            follower.follow(paths, resume: resume, events: &events)
        }
        func poll() -> [String] {
            var lines: [String] = []
            follower.poll(events: &events) { path, line in lines.append("\(FileSystem.baseName(path)): \(String(decoding: line, as: UTF8.self))") }
            return lines
        }
        var kinds: [FollowEvent.Kind] { events.map(\.kind) }
    }

    static func append(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw SetupError("open") }
        try TempFolder.writeAll(fd, Array(text.utf8))
        close(fd)
    }

    @Test func linesAsTheyAreWrittenEachOnce() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log")
        try Self.append(log, "\u{FEFF}one\r\ntw")
        let f = Follow([log])
        #expect(f.poll() == ["mail.log: one"])
        #expect(f.poll() == [])
        try Self.append(log, "o\nthree\n")
        #expect(f.poll() == ["mail.log: two", "mail.log: three"])
        #expect(f.follower.marks.map(\.offset) == [18])
        #expect(f.kinds == [.opened])
    }

    @Test func rotationByRenameReadsTheOldFileToItsEndThenTheNew() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log")
        try Self.append(log, "a\n")
        let f = Follow([log])
        #expect(f.poll() == ["mail.log: a"])
        // The server still writes to the renamed file until it reopens its log.
        let old = open(log, O_WRONLY | O_APPEND)
        #expect(rename(log, log + ".1") == 0)
        try Self.append(log, "c\n")
        try TempFolder.writeAll(old, Array("b\n".utf8))
        close(old)
        #expect(f.poll() == ["mail.log: b", "mail.log: c"])
        #expect(f.kinds == [.opened, .rotated, .opened])
        #expect(f.poll() == [])
        // Both files are in the marks (a restart reads both again), the renamed one by its inode.
        #expect(Set(f.follower.marks.map(\.offset)) == [2, 4])
    }

    @Test func copyTruncateIsReadAgainFromTheStartAndItsCopyFound() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log")
        try Self.append(log, "first\nsecond\n")
        let f = Follow([log])
        #expect(f.poll().count == 2)
        let copy = try t.write("mail.log.1", Array("first\nsecond\n".utf8))
        #expect(truncate(log, 0) == 0)
        try Self.append(log, "x\n")
        #expect(f.poll() == ["mail.log: x"])
        #expect(f.kinds == [.opened, .truncated])
        #expect(f.events.last?.detail == "now 2 bytes, was read to 13: read again from its start; its copy is mail.log.1")
        var st = stat()
        stat(copy, &st)
        #expect(f.follower.marks.contains { $0.inode == UInt64(st.st_ino) && $0.offset == 13 })
    }

    @Test func aFileDeletedThenCreatedAgainAndOneThatAppearsLater() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log"), later = t.at("later.log")
        try Self.append(log, "a\n")
        let f = Follow([log, later])
        #expect(f.poll() == ["mail.log: a"])
        #expect(unlink(log) == 0)
        #expect(f.poll() == [])
        #expect(f.kinds == [.opened, .vanished])
        try Self.append(log, "b\n")
        try Self.append(later, "c\n")
        #expect(f.poll() == ["mail.log: b", "later.log: c"])
    }

    @Test func aLineOverTheLimitIsCutAndTheRestSkipped() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log")
        try Self.append(log, "0123456789abcdef")
        let f = Follow([log], maxLineLength: 8)
        #expect(f.poll() == ["mail.log: 01234567"])
        try Self.append(log, "more of it\nnext\n")
        #expect(f.poll() == ["mail.log: next"])
        #expect(f.kinds == [.opened, .lineCut])
    }

    @Test func aFolderOrAFIFOWhereTheLogShouldBeIsReportedOnce() throws {
        let t = try TempFolder("follow")
        let fifo = try t.fifo("mail.log")
        let f = Follow([fifo])
        #expect(f.poll() == [])
        #expect(f.poll() == [])
        #expect(f.events.map(\.detail) == ["not a regular file"])
    }

    /// After a restart: a file read before, renamed while stopped, is found by its inode and
    /// read again from its start, before the new file at the name.
    @Test func aRestartFindsTheRotatedFileByItsInode() throws {
        let t = try TempFolder("follow")
        let log = t.at("mail.log")
        try Self.append(log, "a\n")
        let before = Follow([log])
        _ = before.poll()
        let marks = before.follower.marks
        #expect(rename(log, log + ".1") == 0)
        try Self.append(log + ".1", "b\n")
        try Self.append(log, "c\n")
        let after = Follow([log], resume: marks)
        #expect(Set(after.poll()) == ["mail.log.1: a", "mail.log.1: b", "mail.log: c"])
    }
}
