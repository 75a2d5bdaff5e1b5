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

    /// Random inserts and removals among few ids (long probe runs that wrap around the table)
    /// agree with Swift's Set at every step.
    @Test func removalsAgreeWithSet() {
        var rng = SystemRandomNumberGenerator()
        var ids = IDSet(), reference = Set<Int32>()
        let removedFromEmpty = ids.remove(3)
        #expect(!removedFromEmpty)
        for _ in 0..<50_000 {
            let id = Int32.random(in: 0...300, using: &rng)
            if Bool.random(using: &rng) {
                let inserted = ids.insert(id)
                #expect(inserted == reference.insert(id).inserted)
            } else {
                let removed = ids.remove(id)
                #expect(removed == (reference.remove(id) != nil))
            }
            #expect(ids.count == reference.count)
        }
        for id: Int32 in 0...300 { #expect(ids.contains(id) == reference.contains(id)) }
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
