import Testing
@testable import SpoolsweepCore

@Suite struct IDSetTests {
    /// Random inserts and lookups agree with Swift's Set at every step, through many grows.
    @Test func agreesWithSetThroughGrowth() {
        var rng = SystemRandomNumberGenerator()
        var ids = IDSet(), reference = Set<Int32>()
        #expect(!ids.contains(0))
        for step in 0..<20_000 {
            let id = Int32.random(in: 0...(step < 10_000 ? 5_000 : Int32.max), using: &rng)
            #expect(ids.insert(id) == reference.insert(id).inserted)
            let probe = Int32.random(in: 0...6_000, using: &rng)
            #expect(ids.contains(probe) == reference.contains(probe))
        }
        #expect(ids.count == reference.count)
        #expect(Set(ids.elements) == reference)
    }

    @Test func equalityIgnoresInsertionOrder() {
        var a = IDSet(), b = IDSet()
        for id: Int32 in [5, 1, 9, 1] { a.insert(id) }
        for id: Int32 in [9, 5, 1] { b.insert(id) }
        #expect(a == b)
        b.insert(2)
        #expect(a != b)
    }
}
