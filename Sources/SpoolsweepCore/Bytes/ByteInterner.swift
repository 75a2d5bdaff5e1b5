import Glibc

/// Gives every distinct byte string (an address, a domain, an IP, a subject) a small integer id,
/// so aggregation tables key on `Int32` and a lookup never allocates.
///
/// Keys are stored once in one growing arena. With `foldCase`, ASCII letters are lower-cased
/// before hashing and storing: mail addresses and domains compare case-insensitively.
public struct ByteInterner: Sendable {
    public let foldCase: Bool
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]          // key i is arena[offsets[i]..<offsets[i+1]]
    private var hashes: [UInt64] = []
    private var slots: [Int32]                // -1 empty, else key id
    private var mask: Int

    public init(foldCase: Bool) {
        self.foldCase = foldCase
        slots = Array(repeating: -1, count: 64)
        mask = 63
    }

    public var count: Int { hashes.count }

    /// The id of `key`, adding it when new.
    @inline(__always)
    public mutating func id(_ key: UnsafeRawBufferPointer) -> Int32 {
        let h = hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[Int(s)] == h && equal(Int(s), key) { return s }
            i = (i + 1) & mask
        }
        let id = Int32(hashes.count)
        hashes.append(h)
        if foldCase {
            for b in key { arena.append(asciiLower(b)) }
        } else {
            arena.append(contentsOf: key)
        }
        offsets.append(arena.count)
        slots[i] = id
        if hashes.count * 2 > slots.count { grow() }
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
            if s < 0 { return nil }
            if hashes[Int(s)] == h && equal(Int(s), key) { return s }
            i = (i + 1) & mask
        }
    }

    /// The stored bytes of `id` (case-folded when the interner folds case).
    public func withBytes<R>(_ id: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let lo = offsets[Int(id)], hi = offsets[Int(id) + 1]
        return arena.withUnsafeBytes { body($0.slice(lo..<hi)) }
    }

    public func string(_ id: Int32) -> String { withBytes(id) { $0.printable } }

    // MARK: - Internals

    @inline(__always)
    private func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        // FNV-1a, over case-folded bytes when folding.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if foldCase {
            for b in key { h = (h ^ UInt64(asciiLower(b))) &* 0x100_0000_01b3 }
        } else {
            for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return h ^ (h >> 29)
    }

    @inline(__always)
    private func equal(_ id: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let lo = offsets[id], hi = offsets[id + 1]
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
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for (id, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }
}
