/// What the log readers remember per queue id, looked up on most lines: open addressing with
/// linear probing on the packed id (no `Hasher`), removal by shifting the probe run back.
/// Only valid ids are keys.
struct QueueTable<Value> {
    private typealias QueueID = UnsafeRawBufferPointer.QueueID
    /// Parallel arrays; a slot is empty when its value is nil.
    private var keys: [QueueID]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init() {
        keys = Array(repeating: QueueID.none, count: 64)
        values = Array(repeating: nil, count: 64)
        mask = 63
    }

    /// The value of `key`; setting nil removes it. Modified in place (no copy of the value).
    subscript(key: UnsafeRawBufferPointer.QueueID) -> Value? {
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
                if let new { insert(key, new, at: i) }
            }
        }
    }

    mutating func removeValue(forKey key: UnsafeRawBufferPointer.QueueID) -> Value? {
        let (i, found) = slot(key)
        guard found else { return nil }
        let v = values[i]
        remove(at: i)
        return v
    }

    /// Every key and value, in no particular order.
    var entries: [(key: UnsafeRawBufferPointer.QueueID, value: Value)] {
        values.indices.compactMap { i in values[i].map { (keys[i], $0) } }
    }

    // MARK: - Internals

    @inline(__always) private static func home(_ key: QueueID, _ mask: Int) -> Int {
        // Fibonacci hashing of the two words mixed: the high bits are the best mixed.
        let h = (key.a ^ (key.b &* 0x9E37_79B9_7F4A_7C15)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> 32) & mask
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always) private func slot(_ key: QueueID) -> (Int, found: Bool) {
        precondition(key.isValid)
        var i = Self.home(key, mask)
        while values[i] != nil {
            if keys[i] == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    private mutating func insert(_ key: QueueID, _ value: Value, at i: Int) {
        keys[i] = key
        values[i] = value
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
            let home = Self.home(keys[j], mask)
            // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
            let stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if !stays {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
        }
        values[hole] = nil
        count -= 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = values.count * 2
        keys = Array(repeating: QueueID.none, count: size)
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
