/// A key of a `KeyTable`: a word or two, compared whole, hashed by multiplication.
protocol TableKey: Equatable {
    /// A key that fills empty slots (never looked up).
    static var unused: Self { get }
    /// The key mixed into one word; its high bits pick the slot.
    var tableHash: UInt64 { get }
}

/// What a reader remembers per key, looked up on most lines (Postfix queue ids, SmarterMail
/// SMTP sessions): open addressing with linear probing (no `Hasher`), values changed in place,
/// removal by shifting the probe run back.
struct KeyTable<Key: TableKey, Value> {
    /// Parallel arrays; a slot is empty when its value is nil.
    private var keys: [Key]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init() {
        keys = Array(repeating: Key.unused, count: 64)
        values = Array(repeating: nil, count: 64)
        mask = 63
    }

    /// The value of `key`; setting nil removes it. Modified in place (no copy of the value).
    subscript(key: Key) -> Value? {
        get {
            let (i, found) = slot(key)
            return found ? values[i] : nil
        }
        _modify {
            let (i, found) = slot(key)
            if found {
                yield &values[i]
                if values[i] == nil { remove(at: i) }
            } else {
                var new: Value? = nil
                yield &new
                if new != nil { insert(key, new.take()!, at: i) }
            }
        }
    }

    mutating func removeValue(forKey key: Key) -> Value? {
        let (i, found) = slot(key)
        guard found else { return nil }
        let v = values[i].take()
        remove(at: i)
        return v
    }

    /// Removes, in place, the entries `shouldRemove` picks; it sees each entry once and may
    /// change a value before saying yes (the value then goes).
    mutating func removeAll(where shouldRemove: (Key, inout Value) -> Bool) {
        guard count > 0, let empty = values.firstIndex(where: { $0 == nil }) else { return }
        // From an empty slot round to it: no probe run crosses it, so an entry moved back by a
        // removal lands in the slot just examined, which is examined again.
        var step = 1
        while step < values.count {
            let i = (empty + step) & mask
            if values[i] != nil, shouldRemove(keys[i], &values[i]!) {
                remove(at: i)
            } else {
                step += 1
            }
        }
    }

    /// Every key and value, in no particular order.
    var entries: [(key: Key, value: Value)] {
        values.indices.compactMap { i in values[i].map { (keys[i], $0) } }
    }

    // MARK: - Internals

    @inline(__always) private static func home(_ key: Key, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: key.tableHash >> 32) & mask
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always) private func slot(_ key: Key) -> (Int, found: Bool) {
        var i = Self.home(key, mask)
        while values[i] != nil {
            if keys[i] == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    private mutating func insert(_ key: Key, _ value: consuming Value, at i: Int) {
        keys[i] = key
        values[i] = consume value
        count += 1
        if count * 2 > values.count { grow() }
    }

    /// Empties slot `hole`, moving later entries of its probe run back so that none is left
    /// behind an empty slot before its home.
    private mutating func remove(at hole: Int) {
        var hole = hole
        var j = hole
        while true {
            j = (j + 1) & mask
            guard values[j] != nil else { break }
            if mayFillHole(home: Self.home(keys[j], mask), hole: hole, from: j) {
                keys[hole] = keys[j]
                values.withUnsafeMutableBufferPointer { v in
                    // Moved, not copied: no value is retained or released on the way.
                    let p = v.baseAddress!, removed = (p + hole).move()
                    (p + hole).moveInitialize(from: p + j, count: 1)
                    (p + j).initialize(to: removed)
                }
                hole = j
            }
        }
        values[hole] = nil
        count -= 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = values.count * 2
        keys = Array(repeating: Key.unused, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
        for (k, v) in zip(oldKeys, oldValues) {
            guard let v else { continue }
            var i = Self.home(k, mask)
            while values[i] != nil { i = (i + 1) & mask }
            keys[i] = k
            values[i] = v
        }
    }
}

/// In linear probing, whether the entry at slot `j`, whose probe starts at `home`, may move back
/// into the emptied slot `hole` (before it in the same run): unless `home` lies cyclically in
/// (hole, j], where the entry would no longer be found. Removal by shifting back uses it.
@inline(__always) func mayFillHole(home: Int, hole: Int, from j: Int) -> Bool {
    let between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
    return !between
}

extension Int: TableKey {
    static var unused: Int { 0 }
    var tableHash: UInt64 { UInt64(bitPattern: Int64(self)) &* 0x9E37_79B9_7F4A_7C15 }
}
