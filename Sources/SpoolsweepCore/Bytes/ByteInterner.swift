import Glibc

/// Gives every distinct byte string (an address, a domain, an IP, a subject) a small integer id,
/// so aggregation tables key on `Int32` and a lookup never allocates.
///
/// Keys are stored once in one growing arena. With `foldCase`, ASCII letters are lower-cased
/// before hashing and storing: mail addresses and domains compare case-insensitively.
///
/// A slot holds the key's hash beside its id, so a lookup of a known key touches three places
/// in memory (its slot, its offsets, its bytes): with millions of keys, each is a cache miss.
public struct ByteInterner: Sendable {
    public let foldCase: Bool
    private var arena: [UInt8] = []
    private var offsets: [UInt32] = [0]       // key i is arena[offsets[i]..<offsets[i+1]]
    private var slots: [Slot]
    private var mask: Int

    private struct Slot {
        var hash: UInt32 = 0
        var id: Int32 = -1                    // -1: empty
    }

    public init(foldCase: Bool) {
        self.foldCase = foldCase
        slots = Array(repeating: Slot(), count: 64)
        mask = 63
    }

    public var count: Int { offsets.count - 1 }

    /// The id of `key`, adding it when new.
    @inline(__always)
    public mutating func id(_ key: UnsafeRawBufferPointer) -> Int32 {
        let h = hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s.id < 0 { break }
            if s.hash == h && equal(Int(s.id), key) { return s.id }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        if foldCase {
            for b in key { arena.append(asciiLower(b)) }
        } else {
            arena.append(contentsOf: key)
        }
        precondition(arena.count <= Int(UInt32.max), "interned keys exceed 4 GiB")
        offsets.append(UInt32(arena.count))
        slots[i] = Slot(hash: h, id: id)
        if count * 2 > slots.count { grow() }
        return id
    }

    public mutating func id(_ key: String) -> Int32 {
        var s = key
        return s.withUTF8 { id(UnsafeRawBufferPointer($0)) }
    }

    /// The id of `key` if it was added before.
    public func existingID(_ key: UnsafeRawBufferPointer) -> Int32? {
        let h = hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s.id < 0 { return nil }
            if s.hash == h && equal(Int(s.id), key) { return s.id }
            i = (i + 1) & mask
        }
    }

    /// The stored bytes of `id` (case-folded when the interner folds case).
    public func withBytes<R>(_ id: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let lo = Int(offsets[Int(id)]), hi = Int(offsets[Int(id) + 1])
        return arena.withUnsafeBytes { body($0.slice(lo..<hi)) }
    }

    public func string(_ id: Int32) -> String { withBytes(id) { $0.printable } }

    // MARK: - Internals

    @inline(__always)
    private func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        // FNV-1a, over case-folded bytes when folding.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if foldCase {
            for b in key { h = (h ^ UInt64(asciiLower(b))) &* 0x100_0000_01b3 }
        } else {
            for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        h ^= h >> 29
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    @inline(__always)
    private func equal(_ id: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let lo = Int(offsets[id]), hi = Int(offsets[id + 1])
        guard hi - lo == key.count else { return false }
        return arena.withUnsafeBytes { stored in
            if foldCase {
                for j in 0..<key.count where stored[lo + j] != asciiLower(key[j]) { return false }
                return true
            }
            return key.count == 0 || memcmp(stored.baseAddress! + lo, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
        for s in old where s.id >= 0 {
            var i = Int(truncatingIfNeeded: s.hash) & mask
            while slots[i].id >= 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
