extension MailLedger {
    /// The `top` addresses with the highest counts (0: all), most first, ties in address order;
    /// only the winners are turned into strings.
    public func topAddresses(_ counts: [Int32], top: Int) -> [(address: Int32, count: Int)] {
        let before = { (a: Int32, b: Int32) -> Bool in
            let ca = counts[Int(a)], cb = counts[Int(b)]
            if ca != cb { return ca > cb }
            return addresses.withBytes(a) { x in addresses.withBytes(b) { y in x.lexicographicallyPrecedes(y) } }
        }
        let seen = counts.indices.lazy.filter { counts[$0] > 0 }.map { Int32($0) }
        guard top > 0 else { return seen.sorted(by: before).map { ($0, Int(counts[Int($0)])) } }
        // Keep the best `top` in order; most candidates lose to the worst kept at once.
        var best: [Int32] = []
        for candidate in seen {
            if best.count == top {
                guard before(candidate, best[top - 1]) else { continue }
                best.removeLast()
            }
            best.insert(candidate, at: best.firstIndex { before(candidate, $0) } ?? best.count)
        }
        return best.map { ($0, Int(counts[Int($0)])) }
    }
}
