import Testing
@testable import SpoolsweepCore

@Suite struct QueueTableTests {
    static func id(_ n: Int) -> UnsafeRawBufferPointer.QueueID {
        Array(String(n * 7919, radix: 16, uppercase: true).utf8).withUnsafeBytes { s in
            Array(repeating: UInt8(ascii: "0"), count: max(0, 10 - s.count)).withUnsafeBytes { pad in
                (Array(pad) + Array(s)).withUnsafeBytes { UnsafeRawBufferPointer.QueueID($0) }
            }
        }
    }

    /// Inserts, modifies in place, and removes in an order that breaks probe runs; every lookup
    /// agrees with a Dictionary doing the same.
    @Test func agreesWithADictionary() {
        var table = QueueTable<[Int]>()
        var reference: [UnsafeRawBufferPointer.QueueID: [Int]] = [:]
        for n in 0..<5000 {
            let k = Self.id(n)
            #expect(k.isValid)
            table[k] = [n]
            reference[k] = [n]
            if n % 3 == 0 { table[k]!.append(-n); reference[k]!.append(-n) }
            if n % 5 == 2 { #expect(table.removeValue(forKey: Self.id(n / 2)) == reference.removeValue(forKey: Self.id(n / 2))) }
            if n % 7 == 1 { table[Self.id(n - 1)] = nil; reference[Self.id(n - 1)] = nil }
        }
        #expect(table.count == reference.count)
        for n in 0..<5000 { #expect(table[Self.id(n)] == reference[Self.id(n)]) }
        #expect(table.entries.count == reference.count)
        for (k, v) in table.entries { #expect(reference[k] == v) }
    }

    /// Queue ids of eight bytes or more are packed a word at a time: the same key, and the same
    /// validity, as packing them byte by byte.
    @Test func queueIDsPackAsByteByByte() {
        func reference(_ s: [UInt8]) -> (UInt64, UInt64, Bool) {
            var a: UInt64 = 0, b: UInt64 = 0
            var ok = s.count >= 6 && s.count <= 16
            for (i, c) in s.enumerated() where ok {
                guard isDigit(c) || isLetter(c) else { ok = false; break }
                if i < 8 { a = a << 8 | UInt64(c) } else { b = b << 8 | UInt64(c) }
            }
            return (a, b | UInt64(s.count) << 60, ok)
        }
        let alphabet = Array("0123456789ABCDEFabcdefzZ".utf8)
        for length in 1...18 {
            for position in 0..<length {
                for c in 0...255 {
                    var s = (0..<length).map { alphabet[($0 * 7 + length) % alphabet.count] }
                    s[position] = UInt8(c)
                    let id = s.withUnsafeBytes { UnsafeRawBufferPointer.QueueID($0) }
                    let (a, b, ok) = reference(s)
                    #expect(id.a == a && id.b == b && id.isValid == ok)
                }
            }
        }
    }
}
