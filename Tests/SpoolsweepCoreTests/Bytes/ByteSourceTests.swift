import Glibc
import Testing
@testable import SpoolsweepCore

/// The error opening `path` raises, or nil when it opens.
private func openError(_ path: String) -> FileReadError? {
    do {
        let source = try ByteSource(path: path)
        _ = source.size
        return nil
    } catch {
        return error
    }
}

@Suite struct ByteSourceTests {
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let dir = try TempFolder("bs-fifo")
        let path = try dir.fifo("2026.11.28-smtpLog.log")
        // No writer ever opens the FIFO: a blocking open would hang here.
        #expect(openError(path) == .notRegularFile(kind: "a FIFO"))
        #expect(FileReadError.notRegularFile(kind: "a FIFO").reason == "not a regular file (a FIFO)")
    }

    @Test func folderIsRefused() throws {
        let dir = try TempFolder("bs-dir")
        let path = try dir.folder("2026.11.28-delivery.log")
        #expect(openError(path) == .notRegularFile(kind: "a folder"))
        #expect(FileReadError.notRegularFile(kind: "a folder").reason == "not a regular file (a folder)")
    }

    @Test func symbolicLinkIsNotFollowed() throws {
        let dir = try TempFolder("bs-link")
        try dir.write("real.log", "10:00:00 x\n")
        let link = try dir.link("alias.log", to: dir.at("real.log"))
        #expect(openError(link) == .symbolicLink)
        #expect(FileReadError.symbolicLink.reason == "is a symbolic link (not followed)")
        #expect(FileSystem.kind(link) == .link)
    }

    @Test func danglingSymbolicLinkIsALinkToo() throws {
        let dir = try TempFolder("bs-dangling")
        let link = try dir.link("gone.hdr", to: dir.at("nowhere.hdr"))
        #expect(openError(link) == .symbolicLink)
    }

    @Test func missingFileHasVanished() throws {
        let dir = try TempFolder("bs-missing")
        #expect(openError(dir.at("12345678.eml")) == .vanished)
        #expect(FileReadError.vanished.reason == "vanished before it could be read")
    }

    @Test func unreadableFileReportsTheSystemError() throws {
        // As root every file is readable: then the file simply opens.
        let dir = try TempFolder("bs-perm")
        let path = try dir.write("secret.log", "x\n")
        chmod(path, 0)
        if getuid() != 0 {
            #expect(openError(path) == .system(operation: "open", errno: EACCES))
            #expect(FileReadError.system(operation: "open", errno: EACCES).reason == "open failed: Permission denied")
        } else {
            #expect(openError(path) == nil)
        }
    }

    @Test func readAllStopsAtTheLimit() throws {
        let dir = try TempFolder("bs-readall")
        let content = Array((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let path = try dir.write("big.eml", content)
        let source = try ByteSource(path: path, allowMapping: false)
        #expect(source.size == 200_000)
        var buffer: [UInt8] = [9, 9, 9]
        let whole = try source.readAll(into: &buffer, limit: 100_000)
        #expect(whole == false)
        #expect(buffer.count == 100_000)
        #expect(buffer == Array(content[0..<100_000]))
    }

    @Test func readAllWithinTheLimitReadsEverything() throws {
        let dir = try TempFolder("bs-readall2")
        let path = try dir.write("small.hdr", "Written \r\na@b.test\r\nc@d.test\r\n\r\n")
        let source = try ByteSource(path: path, allowMapping: false)
        var buffer: [UInt8] = Array("old contents".utf8)
        #expect(try source.readAll(into: &buffer, limit: 64 << 20))
        #expect(buffer == Array("Written \r\na@b.test\r\nc@d.test\r\n\r\n".utf8))
    }

    @Test func readAllOfExactlyTheLimitIsWhole() throws {
        let dir = try TempFolder("bs-readall3")
        let path = try dir.write("ten.hdr", "0123456789")
        let source = try ByteSource(path: path, allowMapping: false)
        var buffer: [UInt8] = []
        #expect(try source.readAll(into: &buffer, limit: 10))
        #expect(buffer.count == 10)
    }

    /// A buffer larger than the file keeps only the file's bytes.
    @Test func readAllIntoALargerBufferKeepsOnlyTheFile() throws {
        let dir = try TempFolder("bs-readall4")
        let path = try dir.write("small.eml", "abc")
        var buffer = [UInt8](repeating: 7, count: 100_000)
        #expect(try ByteSource(path: path, allowMapping: false).readAll(into: &buffer, limit: 1 << 20))
        #expect(buffer == Array("abc".utf8))
    }

    /// A file that grew after it was opened is read to its new end.
    @Test func readAllReadsWhatWasAppendedAfterOpening() throws {
        let dir = try TempFolder("bs-readall5")
        let path = try dir.write("growing.log", "first\n")
        let source = try ByteSource(path: path, allowMapping: false)
        let more = [UInt8](repeating: UInt8(ascii: "x"), count: 150_000)
        let fd = open(path, O_WRONLY | O_APPEND)
        try TempFolder.writeAll(fd, more)
        close(fd)
        var buffer: [UInt8] = []
        #expect(try source.readAll(into: &buffer, limit: 1 << 20))
        #expect(buffer == Array("first\n".utf8) + more)
    }

    /// A file the kernel sizes 0 (procfs) is read to its end, not to its size.
    @Test func readAllOfAProcFileReadsToTheEnd() throws {
        var buffer: [UInt8] = []
        #expect(try ByteSource(path: "/proc/self/maps", allowMapping: false).readAll(into: &buffer, limit: 1 << 24))
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(buffer.count > 4096) // more than one page, which procfs gives per read
        #expect(text.contains("[stack]"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func onlySettledNonEmptyFilesAreMapped() throws {
        let dir = try TempFolder("bs-map")
        let fresh = try dir.write("fresh.log", "x\n")
        let old = try dir.write("old.log", "x\n")
        let empty = try dir.write("empty.log", "")
        try TempFolder.age(old, seconds: 7200)
        try TempFolder.age(empty, seconds: 7200)
        #expect(try ByteSource(path: fresh).isMapped == false)
        #expect(try ByteSource(path: old).isMapped == true)
        #expect(try ByteSource(path: old, allowMapping: false).isMapped == false)
        #expect(try ByteSource(path: empty).isMapped == false)
    }

    @Test func fileSystemKinds() throws {
        let dir = try TempFolder("bs-kinds")
        let file = try dir.write("a.eml", "x")
        let folder = try dir.folder("SubSpool1")
        let fifo = try dir.fifo("pipe")
        let link = try dir.link("loop", to: ".")
        var bytes: [UInt8] = []
        #expect(FileSystem.kind(file) == .file)
        #expect(FileSystem.kind(folder) == .folder)
        #expect(FileSystem.kind(fifo) == .other("a FIFO"))
        #expect(FileSystem.kind(link) == .link)
        #expect(FileSystem.kind(dir.at("none")) == .missing)
        #expect(FileSystem.list(dir.path) == ["SubSpool1", "a.eml", "loop", "pipe"])
        #expect(FileSystem.list(dir.at("none")) == nil)
        #expect(FileSystem.baseName("/var/lib/smartermail/Logs/") == "Logs")
        #expect(FileSystem.folderName("/var/lib/smartermail/Logs/") == "/var/lib/smartermail")
        #expect(FileSystem.folderName("/x.eml") == "/")
        #expect(FileSystem.folderName("x.eml") == ".")
        #expect(FileSystem.Folder(link) == nil) // a link to a folder is not opened as one
        #expect(FileSystem.Folder(file) == nil)
        #expect(FileSystem.Folder(dir.path)?.status("a.eml")?.size == 1)
        #expect(FileSystem.Folder(dir.path)?.status("loop")?.size != nil) // the link itself
        #expect(try ByteSource("a.eml", in: FileSystem.Folder(dir.path)!, path: file).readAll(into: &bytes, limit: 10))
        #expect(bytes == [UInt8(ascii: "x")])
        #expect(FileSystem.join("/a/", "b") == "/a/b")
        #expect(FileSystem.join("/a", "b") == "/a/b")
    }
}
