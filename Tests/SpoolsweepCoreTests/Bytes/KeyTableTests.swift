import Testing
@testable import SpoolsweepCore

@Suite struct KeyTableTests {
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
        var table = KeyTable<UnsafeRawBufferPointer.QueueID, [Int]>()
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

    /// Int keys (SMTP session ids), negative and huge ones too; entries removed in bulk, as the
    /// SMTP reader's sweep does: each seen once, changed, and gone.
    @Test func intKeysAgreeWithADictionary() {
        var rng = SystemRandomNumberGenerator()
        var table = KeyTable<Int, Int>(), reference: [Int: Int] = [:]
        for round in 0..<40 {
            for _ in 0..<500 {
                let key = Int.random(in: -2_000...(round.isMultiple(of: 2) ? 3_000 : Int.max / 2), using: &rng)
                if table[key] == nil { table[key] = 0 }
                table[key]! += 1
                reference[key, default: 0] += 1
            }
            var seen: [Int: Int] = [:]
            table.removeAll { key, value in
                #expect(seen[key] == nil)
                seen[key] = value
                guard key % 3 == 0 else { return false }
                value = -1
                return true
            }
            #expect(seen == reference)
            reference = reference.filter { $0.key % 3 != 0 }
            #expect(table.count == reference.count)
            for (key, value) in reference { #expect(table[key] == value) }
        }
    }
}
