/// A set of pairs of interned ids (a mailbox and a domain, say), each packed in one word with a
/// flag beside it that, once set, stays set: open addressing with a multiplicative hash, like
/// `IDSet`, so a pair costs 9 bytes (at most 4/3 of that in slots) however many there are.
struct PairSet: Sendable {
    private var slots: [UInt64] = []          // .max: empty
    private var flags: [Bool] = []
    private(set) var count = 0

    @inline(__always) private static func pack(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always) private static func start(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Adds the pair, setting its flag when `flag`; whether the pair was new.
    @discardableResult @inline(__always)
    mutating func insert(_ a: Int32, _ b: Int32, flag: Bool = false) -> Bool {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let key = PairSet.pack(a, b), mask = slots.count - 1
        var i = PairSet.start(key, mask)
        while true {
            let s = slots[i]
            if s == key {
                if flag { flags[i] = true }
                return false
            }
            if s == .max { break }
            i = (i + 1) & mask
        }
        slots[i] = key
        flags[i] = flag
        count += 1
        return true
    }

    /// Every pair with its flag, in no particular order.
    func forEach(_ body: (Int32, Int32, Bool) -> Void) {
        for (i, s) in slots.enumerated() where s != .max {
            body(Int32(bitPattern: UInt32(truncatingIfNeeded: s >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: s)), flags[i])
        }
    }

    private mutating func grow() {
        let (old, oldFlags) = (slots, flags)
        slots = Array(repeating: .max, count: max(64, old.count * 2))
        flags = Array(repeating: false, count: slots.count)
        count = 0
        for (i, s) in old.enumerated() where s != .max {
            insert(Int32(bitPattern: UInt32(truncatingIfNeeded: s >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: s)), flag: oldFlags[i])
        }
    }
}
