import Glibc

/// Gives every distinct byte string (an address, a domain, an IP, a subject) a small integer id,
/// so aggregation tables key on `Int32` and a lookup never allocates.
///
/// Keys are stored once in one growing arena. With `foldCase`, ASCII letters are lower-cased
/// before hashing and storing: mail addresses and domains compare case-insensitively.
///
/// Each key is a record in the arena: its id and length (four bytes each), then its bytes. A
/// slot holds the key's hash beside where its record starts, so a lookup of a known key touches
/// two places in memory (its slot, its record): with millions of keys, each is a cache miss.
public struct ByteInterner: Sendable {
    public let foldCase: Bool
    private var arena: [UInt8] = []
    private var records: [UInt32] = []        // key i's record starts at arena[records[i]]
    private var slots: [Slot]
    private var mask: Int

    private struct Slot {
        var hash: UInt32 = 0
        var record: UInt32 = .max             // .max: empty
    }

    public init(foldCase: Bool) {
        self.foldCase = foldCase
        slots = Array(repeating: Slot(), count: 64)
        mask = 63
    }

    public var count: Int { records.count }

    /// The id of `key`, adding it when new.
    @inline(__always)
    public mutating func id(_ key: UnsafeRawBufferPointer) -> Int32 {
        let h = hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s.record == .max { break }
            if s.hash == h, let id = match(s.record, key) { return id }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        let start = arena.count
        precondition(start + 8 + key.count < Int(UInt32.max), "interned keys exceed 4 GiB")
        let header = UInt64(UInt32(bitPattern: id)) | UInt64(key.count) << 32   // id, then length
        withUnsafeBytes(of: header.littleEndian) { arena.append(contentsOf: $0) }
        if foldCase {
            for b in key { arena.append(asciiLower(b)) }
        } else {
            arena.append(contentsOf: key)
        }
        records.append(UInt32(start))
        slots[i] = Slot(hash: h, record: UInt32(start))
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
            if s.record == .max { return nil }
            if s.hash == h, let id = match(s.record, key) { return id }
            i = (i + 1) & mask
        }
    }

    /// The stored bytes of `id` (case-folded when the interner folds case).
    public func withBytes<R>(_ id: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withUnsafeBytes { body(ByteInterner.key(in: $0, record: Int(records[Int(id)]))) }
    }

    public func string(_ id: Int32) -> String { withBytes(id) { $0.printable } }

    // MARK: - Internals

    // Keys are hashed and compared eight bytes at a time: word k of a key is its bytes
    // 8k..<8k+8, the last word its last eight bytes (overlapping the word before); a key shorter
    // than eight is one word of its bytes.

    @inline(__always)
    private static func wordCount(_ n: Int) -> Int { n <= 8 ? 1 : (n + 7) / 8 }

    @inline(__always)
    private static func word(_ s: UnsafeRawBufferPointer, _ k: Int) -> UInt64 {
        let n = s.count
        guard n >= 8 else {
            var w: UInt64 = 0
            for j in 0..<n { w |= UInt64(s[j]) << (8 * j) }
            return w
        }
        return s.loadUnaligned(fromByteOffset: Swift.min(8 * k, n - 8), as: UInt64.self)
    }

    /// Word k of `key` as stored: case-folded when folding.
    @inline(__always)
    private func keyWord(_ key: UnsafeRawBufferPointer, _ k: Int) -> UInt64 {
        let w = ByteInterner.word(key, k)
        return foldCase ? asciiLower(word: w) : w
    }

    @inline(__always)
    private func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        let h = ByteInterner.hash(key, foldCase: foldCase)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// A hash of `key` eight bytes at a time (ASCII case folded when `foldCase`): the interner's,
    /// and the one other byte keys use (a log share's key, a delivery's id and recipient).
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, foldCase: Bool) -> UInt64 {
        var h = UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15
        for k in 0..<wordCount(key.count) {
            let w = word(key, k)
            h = (h ^ (foldCase ? asciiLower(word: w) : w)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
        }
        return h ^ (h >> 29)
    }

    /// The bytes of the record at `start`.
    @inline(__always)
    private static func key(in arena: UnsafeRawBufferPointer, record start: Int) -> UnsafeRawBufferPointer {
        let length = Int(UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self)))
        return arena.slice((start + 8)..<(start + 8 + length))
    }

    /// The id of the record at `start` if its key is `key`.
    @inline(__always)
    private func match(_ start: UInt32, _ key: UnsafeRawBufferPointer) -> Int32? {
        arena.withUnsafeBytes { arena in
            let stored = ByteInterner.key(in: arena, record: Int(start))
            guard stored.count == key.count else { return nil }
            for k in 0..<ByteInterner.wordCount(key.count) where ByteInterner.word(stored, k) != keyWord(key, k) { return nil }
            return Int32(littleEndian: arena.loadUnaligned(fromByteOffset: Int(start), as: Int32.self))
        }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
        for s in old where s.record != .max {
            var i = Int(truncatingIfNeeded: s.hash) & mask
            while slots[i].record != .max { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
