/// A set of interned ids (non-negative `Int32`s): open addressing with a multiplicative hash,
/// no per-insert hashing of Swift's `Hasher`, and no storage until the first insert. The
/// per-message sets (a sender's recipient domains) are hit once per recipient.
public struct IDSet: Sendable, Equatable {
    private var slots: [Int32] = []           // -1: empty
    public private(set) var count = 0

    public init() {}

    @inline(__always) private static func start(_ id: Int32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: id)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always) public func contains(_ id: Int32) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var i = IDSet.start(id, mask)
        while true {
            let s = slots[i]
            if s == id { return true }
            if s < 0 { return false }
            i = (i + 1) & mask
        }
    }

    /// Adds `id`; whether it was new.
    @discardableResult @inline(__always)
    public mutating func insert(_ id: Int32) -> Bool {
        precondition(id >= 0)
        if (count + 1) * 4 > slots.count * 3 { grow() } // at most 3/4 full
        let mask = slots.count - 1
        var i = IDSet.start(id, mask)
        while true {
            let s = slots[i]
            if s == id { return false }
            if s < 0 { break }
            i = (i + 1) & mask
        }
        slots[i] = id
        count += 1
        return true
    }

    /// Removes `id`; whether it was there. The ids after it in its probe run move back to keep
    /// every id reachable from its start slot.
    @discardableResult
    public mutating func remove(_ id: Int32) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var hole = IDSet.start(id, mask)
        while slots[hole] != id {
            if slots[hole] < 0 { return false }
            hole = (hole + 1) & mask
        }
        var j = hole
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s < 0 { break }
            if mayFillHole(home: IDSet.start(s, mask), hole: hole, from: j) {
                slots[hole] = s
                hole = j
            }
        }
        slots[hole] = -1
        count -= 1
        return true
    }

    /// The ids, in no particular order.
    public var elements: [Int32] { slots.filter { $0 >= 0 } }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: -1, count: max(8, old.count * 2))
        let mask = slots.count - 1
        for id in old where id >= 0 {
            var i = IDSet.start(id, mask)
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = id
        }
    }

    public static func == (a: IDSet, b: IDSet) -> Bool {
        a.count == b.count && a.elements.allSatisfy(b.contains)
    }
}
