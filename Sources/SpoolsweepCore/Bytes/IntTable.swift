/// Values by `Int` key, in insertion order: open addressing with a multiplicative hash over an
/// array of values, so a lookup costs no `Hasher` and a value is changed in place, without the
/// checks a dictionary's nested mutation makes. Keys are removed in bulk (`removeAll(where:)`).
struct IntTable<Value> {
    private var slots: [Int32] = []           // index into keys and values; -1: empty
    private(set) var keys: [Int] = []
    /// The values, in insertion order; `index(of:orInsert:)` gives a key's place.
    var values: [Value] = []

    var count: Int { keys.count }

    @inline(__always) private static func start(_ key: Int, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The place of `key`'s value in `values`, `make()` added first when the key is new.
    @inline(__always)
    mutating func index(of key: Int, orInsert make: () -> Value) -> Int {
        if (keys.count + 1) * 2 > slots.count { rebuild(slotCount: max(16, slots.count * 2)) }
        let mask = slots.count - 1
        var i = Self.start(key, mask)
        while true {
            let s = slots[i]
            if s < 0 { break }
            if keys[Int(s)] == key { return Int(s) }
            i = (i + 1) & mask
        }
        slots[i] = Int32(keys.count)
        keys.append(key)
        values.append(make())
        return keys.count - 1
    }

    /// Removes the entries `remove` picks (it may change a value before saying so); the others
    /// keep their order.
    mutating func removeAll(where remove: (Int, inout Value) -> Bool) {
        var kept = 0
        for i in keys.indices where !remove(keys[i], &values[i]) {
            if kept != i {
                keys.swapAt(kept, i)
                values.swapAt(kept, i)
            }
            kept += 1
        }
        keys.removeLast(keys.count - kept)
        values.removeLast(values.count - kept)
        var slotCount = 16
        while kept * 2 >= slotCount { slotCount *= 2 }
        rebuild(slotCount: slotCount)
    }

    private mutating func rebuild(slotCount: Int) {
        slots = Array(repeating: -1, count: slotCount)
        let mask = slotCount - 1
        for (n, key) in keys.enumerated() {
            var i = Self.start(key, mask)
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(n)
        }
    }
}
