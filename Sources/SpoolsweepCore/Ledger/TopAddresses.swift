extension MailLedger {
    /// The `top` addresses with the highest counts (0: all), most first, ties in address order;
    /// only the winners are turned into strings.
    public func topAddresses(_ counts: [Int32], top: Int) -> [(address: Int32, count: Int)] {
        topAddresses(counts.indices.lazy.filter { counts[$0] > 0 }.map { Int32($0) }, top: top) { (Int(counts[Int($0)]), 0) }
            .map { ($0, Int(counts[Int($0)])) }
    }

    /// The `top` of `seen` with the highest `key` (compared as a pair: first, then second; 0:
    /// all), most first, ties in address order.
    func topAddresses(_ seen: some Sequence<Int32>, top: Int, key: (Int32) -> (Int, Int)) -> [Int32] {
        func before(_ a: Int32, _ b: Int32) -> Bool {
            let ka = key(a), kb = key(b)
            if ka != kb { return ka > kb }
            return addresses.withBytes(a) { x in addresses.withBytes(b) { y in x.lexicographicallyPrecedes(y) } }
        }
        guard top > 0 else { return seen.sorted(by: before) }
        // Keep the best `top` in order; most candidates lose to the worst kept at once.
        var best: [Int32] = []
        for candidate in seen {
            if best.count == top {
                guard before(candidate, best[top - 1]) else { continue }
                best.removeLast()
            }
            best.insert(candidate, at: best.firstIndex { before(candidate, $0) } ?? best.count)
        }
        return best
    }
}
