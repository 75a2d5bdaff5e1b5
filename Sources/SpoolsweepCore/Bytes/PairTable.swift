/// A table keyed by pairs of interned ids (an account and an IP, say), each
/// pair packed in one word, its value beside it: open addressing with a multiplicative hash,
/// like `IDSet`, so an entry costs 8 bytes plus its value (at most 4/3 of that in slots), and no
/// `Hasher` runs.
struct PairTable<Value: Sendable>: Sendable {
    private var keys: [UInt64] = []           // .max: empty
    private var values: [Value] = []
    private let empty: Value
    private(set) var count = 0

    /// `empty` fills the value slots of empty entries.
    init(empty: Value) { self.empty = empty }

    @inline(__always) private static func pack(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) private static func start(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The value of the pair, or nil.
    subscript(a: Int32, b: Int32) -> Value? {
        guard !keys.isEmpty else { return nil }
        let key = PairTable.pack(a, b), mask = keys.count - 1
        var i = PairTable.start(key, mask)
        while true {
            if keys[i] == key { return values[i] }
            if keys[i] == .max { return nil }
            i = (i + 1) & mask
        }
    }

    /// Changes the pair's value in place (`new` when the pair is new); whether it was new.
    @discardableResult @inline(__always)
    mutating func update(_ a: Int32, _ b: Int32, new: Value, _ change: (inout Value) -> Void) -> Bool {
        if (count + 1) * 4 > keys.count * 3 { grow() }
        let key = PairTable.pack(a, b), mask = keys.count - 1
        var i = PairTable.start(key, mask)
        while true {
            let k = keys[i]
            if k == key { change(&values[i]); return false }
            if k == .max { break }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = new
        count += 1
        return true
    }

    /// Every pair with its value, in no particular order.
    func forEach(_ body: (Int32, Int32, Value) -> Void) {
        for (i, k) in keys.enumerated() where k != .max {
            body(Int32(bitPattern: UInt32(truncatingIfNeeded: k >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: k)), values[i])
        }
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = Array(repeating: .max, count: max(64, oldKeys.count * 2))
        values = Array(repeating: empty, count: keys.count)
        count = 0
        for (i, k) in oldKeys.enumerated() where k != .max {
            update(Int32(bitPattern: UInt32(truncatingIfNeeded: k >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: k)),
                   new: oldValues[i]) { _ in }
        }
    }
}
