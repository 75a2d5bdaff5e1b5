import Testing
@testable import SpoolsweepCore

@Suite struct IntTableTests {
    /// Random updates and bulk removals agree with a Dictionary at every step, through growth and
    /// shrinking; the values stay in insertion order.
    @Test func agreesWithADictionary() {
        var rng = SystemRandomNumberGenerator()
        var table = IntTable<Int>(), reference: [Int: Int] = [:], order: [Int] = []
        for round in 0..<40 {
            for _ in 0..<500 {
                let key = Int.random(in: -2_000...(round.isMultiple(of: 2) ? 3_000 : Int.max / 2), using: &rng)
                let i = table.index(of: key) { 0 }
                if reference[key] == nil { order.append(key) }
                table.values[i] += 1
                reference[key, default: 0] += 1
                #expect(table.keys[i] == key)
            }
            var removed: [Int: Int] = [:]
            table.removeAll { key, value in
                guard key % 3 == 0 else { return false }
                value *= 10
                removed[key] = value
                return true
            }
            #expect(removed == reference.filter { $0.key % 3 == 0 }.mapValues { $0 * 10 })
            reference = reference.filter { $0.key % 3 != 0 }
            order = order.filter { $0 % 3 != 0 }
            #expect(table.keys == order)
            #expect(table.values == order.map { reference[$0]! })
            #expect(table.count == reference.count)
        }
    }
}
