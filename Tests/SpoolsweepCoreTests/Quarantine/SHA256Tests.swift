import Glibc
import Testing
@testable import SpoolsweepCore

private func digest(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { SHA256.hex($0) } }
private func digest(_ text: String) -> String { digest(Array(text.utf8)) }

/// The first field `/usr/bin/sha256sum <path>` prints, run through popen.
private func sha256sum(_ path: String) -> String? {
    guard let pipe = popen("/usr/bin/sha256sum '\(path)'", "r") else { return nil }
    var out: [UInt8] = []
    var buffer = [CChar](repeating: 0, count: 512)
    while fgets(&buffer, Int32(buffer.count), pipe) != nil {
        out += buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    }
    guard pclose(pipe) == 0 else { return nil }
    return String(decoding: out, as: UTF8.self).split(separator: " ").first.map(String.init)
}

/// Deterministic bytes (a linear congruential generator).
private func pseudoRandom(_ count: Int, seed: UInt32 = 12345) -> [UInt8] {
    var x = seed
    return (0..<count).map { _ in x = x &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: x >> 16) }
}

@Suite struct SHA256Tests {
    @Test func nistVectors() {
        #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionA() {
        #expect(digest([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // The same, fed 1,000 bytes at a time.
        var s = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { s.update(piece) }
        #expect(s.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingInOddPiecesEqualsOneShot() {
        let data = pseudoRandom(20_011)
        let oneShot = digest(data)
        for pieces in [[1], [3, 7], [63, 1, 65], [13, 64, 127, 5], [55, 56, 57], [4096, 1]] {
            var s = SHA256()
            var i = 0, k = 0
            while i < data.count {
                let n = min(pieces[k % pieces.count], data.count - i)
                data[i..<(i + n)].withUnsafeBytes { s.update($0) }
                i += n; k += 1
            }
            #expect(s.finalizeHex() == oneShot, "pieces \(pieces)")
        }
        // Empty updates change nothing.
        var s = SHA256()
        s.update([])
        s.update(Array("ab".utf8))
        s.update([])
        s.update(Array("c".utf8))
        #expect(s.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Lengths around the padding boundaries (55/56/64 bytes), checked against coreutils.
    @Test func paddingBoundariesMatchSha256sum() throws {
        let dir = try TempFolder("sha-bounds")
        for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let data = pseudoRandom(length, seed: UInt32(length))
            let path = try dir.write("f\(length)", data)
            #expect(digest(data) == sha256sum(path), "length \(length)")
        }
    }

    @Test func fixtureFileMatchesSha256sum() throws {
        for name in ["SubSpool1/125862202478.eml", "SubSpool1/125862202478.hdr", "Drop/52141372.eml"] {
            let path = QTest.fixtureSpool + "/" + name
            let expected = try #require(sha256sum(path), "sha256sum \(path)")
            #expect(expected.utf8.count == 64)
            #expect(QTest.sha(path: path) == expected, "\(name)")
            // And through FileFacts, which hashes a file descriptor in 64 KiB reads.
            let folder = try SafeFolder.root(QTest.fixtureSpool + "/" + FileSystem.baseName(String(name.split(separator: "/")[0])))
            let facts = try FileFacts.of(FileSystem.baseName(name), in: folder)
            #expect(facts.sha256 == expected)
        }
    }
}
