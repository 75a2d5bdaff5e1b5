import Testing
@testable import SpoolsweepCore

@Suite struct MessageContentTests {
    @Test func theBodyIsFoundWhateverFolderTheFilesAreIn() throws {
        let t = try TempFolder("content")
        _ = try t.folder("SubSpool1")
        _ = try t.folder("SubSpool2")
        let one = try t.write("SubSpool1/1.eml", "Subject: one\r\n\r\nfirst body")
        let two = try t.write("SubSpool2/2.eml", "Subject: two\nX: y\n\nsecond body")
        let three = try t.write("SubSpool1/3.eml", "no empty line")
        let linked = try t.link("Linked", to: t.at("SubSpool2"))
        var folder = MessageContent.OpenFolder(), buffer: [UInt8] = []
        func body(_ path: String) throws -> String {
            var m = QueuedMessage(id: "x", queue: "q", state: "Written")
            m.contentPath = path
            let start = try MessageContent.body(of: m, into: &buffer, folder: &folder)!
            return String(decoding: buffer[start...], as: UTF8.self)
        }
        // From folder to folder and back, through a link to a folder (opened by its whole
        // path), and a file given by its name alone.
        #expect(try body(one) == "first body")
        #expect(try body(two) == "second body")
        #expect(try body(three) == "")
        #expect(try body(linked + "/2.eml") == "second body")
        #expect(try body(linked + "/2.eml") == "second body")
        #expect(try body(one) == "first body")
        #expect(throws: FileReadError.vanished) { try body(t.at("SubSpool1/gone.eml")) }
        #expect(throws: FileReadError.vanished) { try body("gone.eml") }
    }
}
