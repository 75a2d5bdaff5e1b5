import Testing
@testable import SpoolsweepCore

private func existing(_ interner: ByteInterner, _ key: String) -> Int32? {
    var k = key
    return k.withUTF8 { interner.existingID(UnsafeRawBufferPointer($0)) }
}

@Suite struct ByteInternerTests {
    @Test func idsAreDenseAndStable() {
        var interner = ByteInterner(foldCase: false)
        #expect(interner.id("203.0.113.77") == 0)
        #expect(interner.id("198.51.100.80") == 1)
        #expect(interner.id("203.0.113.77") == 0)
        #expect(interner.id("") == 2)
        #expect(interner.id("") == 2)
        #expect(interner.count == 3)
        #expect(interner.string(0) == "203.0.113.77")
        #expect(interner.string(1) == "198.51.100.80")
        #expect(interner.string(2) == "")
    }

    @Test func caseFoldingMakesAddressesEqualAndStoresLowerCase() {
        var interner = ByteInterner(foldCase: true)
        let a = interner.id("Jane@NorthWind.TEST")
        #expect(interner.id("jane@northwind.test") == a)
        #expect(interner.id("JANE@NORTHWIND.TEST") == a)
        #expect(interner.count == 1)
        #expect(interner.string(a) == "jane@northwind.test")
        #expect(existing(interner, "jAnE@northwind.test") == a)
    }

    @Test func withoutFoldingCaseMatters() {
        var interner = ByteInterner(foldCase: false)
        let upper = interner.id("Delivered")
        let lower = interner.id("delivered")
        #expect(upper != lower)
        #expect(interner.string(upper) == "Delivered")
        #expect(existing(interner, "DELIVERED") == nil)
    }

    @Test func foldingLeavesNonASCIIBytesAlone() {
        var interner = ByteInterner(foldCase: true)
        let a = interner.id("müller@EXAMPLE.test")
        let b = interner.id("MÜLLER@example.test")
        #expect(a != b)
        #expect(interner.string(a) == "müller@example.test")
        #expect(interner.string(b) == "mÜller@example.test")
    }

    /// Keys are hashed and compared eight bytes at a time: every byte value folds as
    /// `asciiLower` folds it, at any position of keys of any length, and keys differing in one
    /// byte anywhere stay apart.
    @Test func wordAtATimeFoldingAndComparison() {
        for foldCase in [true, false] {
            var interner = ByteInterner(foldCase: foldCase)
            var ids: [[UInt8]: Int32] = [:]
            for length in 1...20 {
                for position in 0..<length {
                    for b in 0...255 {
                        var key = [UInt8](repeating: 0x61, count: length)
                        key[position] = UInt8(b)
                        let id = key.withUnsafeBytes { interner.id($0) }
                        let stored = foldCase ? key.map(asciiLower) : key
                        if let seen = ids[stored] { #expect(seen == id) } else { ids[stored] = id }
                        #expect(interner.withBytes(id) { Array($0) } == stored)
                        #expect(stored.withUnsafeBytes { interner.existingID($0) } == id)
                    }
                }
            }
            #expect(interner.count == ids.count)
        }
    }

    @Test func growsPastTenThousandKeysKeepingEveryID() {
        var interner = ByteInterner(foldCase: true)
        for i in 0..<25_000 {
            #expect(interner.id("user\(i)@domain\(i % 97).test") == Int32(i))
        }
        #expect(interner.count == 25_000)
        for i in stride(from: 0, to: 25_000, by: 7) {
            #expect(interner.id("USER\(i)@DOMAIN\(i % 97).TEST") == Int32(i))
            #expect(existing(interner, "user\(i)@domain\(i % 97).test") == Int32(i))
        }
        #expect(interner.count == 25_000)
        #expect(interner.string(24_999) == "user24999@domain70.test")
    }

    @Test func existingIDDoesNotAdd() {
        var interner = ByteInterner(foldCase: true)
        #expect(existing(interner, "nobody@nowhere.test") == nil)
        #expect(interner.count == 0)
        let id = interner.id("somebody@nowhere.test")
        #expect(existing(interner, "somebody@nowhere.test") == id)
        #expect(existing(interner, "somebody@nowhere.tes") == nil)
        #expect(existing(interner, "") == nil)
        #expect(interner.count == 1)
    }

    @Test func keysWithEmbeddedNULAndInvalidUTF8AreKeptExactly() {
        var interner = ByteInterner(foldCase: false)
        let raw: [UInt8] = [0x61, 0x00, 0xFF, 0x62]
        let id = raw.withUnsafeBytes { interner.id($0) }
        let again = raw.withUnsafeBytes { interner.id($0) }
        #expect(id == again)
        let prefix: [UInt8] = [0x61, 0x00]
        #expect(prefix.withUnsafeBytes { interner.existingID($0) } == nil)
        #expect(interner.withBytes(id) { Array($0) } == raw)
    }
}
