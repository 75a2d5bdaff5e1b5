import Glibc

/// Byte-level helpers for the parsers: memchr/memmem-class searches and small field parsers that
/// never build a `String`.
extension UnsafeRawBufferPointer {
    @inline(__always) func byte(_ i: Int) -> UInt8 { self[i] }

    /// The bytes from `from` to the end.
    @inline(__always) public func dropFirst(_ n: Int) -> UnsafeRawBufferPointer {
        let n = Swift.min(n, count)
        return UnsafeRawBufferPointer(rebasing: self[n...])
    }

    @inline(__always) public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }

    /// Index of the first `byte` at or after `from`.
    @inline(__always) public func index(of byte: UInt8, from: Int = 0) -> Int? {
        guard from < count, let base = baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(byte), count - from) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    // Literals are `StaticString`s: their bytes and length are known when this is compiled, so a
    // comparison is a few loads, with no call and no lazily initialised array.

    /// Whether the bytes at `at` equal `literal` exactly.
    @inline(__always) public func matches(_ literal: StaticString, at: Int = 0) -> Bool {
        guard at >= 0, at + literal.count <= count else { return false }
        return memcmp(baseAddress! + at, literal.utf8Start, literal.count) == 0
    }

    /// Whether these bytes are `literal`, all of them.
    @inline(__always) public func equals(_ literal: StaticString) -> Bool { count == literal.count && matches(literal) }

    /// Index of the first occurrence of `literal` at or after `from`.
    @inline(__always) public func index(of literal: StaticString, from: Int = 0) -> Int? {
        guard from < count, let base = baseAddress else { return nil }
        guard literal.count > 0 else { return from }
        let first = literal.utf8Start.pointee
        var i = from
        while i + literal.count <= count {
            guard let p = memchr(base + i, Int32(first), count - i - literal.count + 1) else { return nil }
            i = UnsafeRawPointer(p) - base
            if matches(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Whether the bytes at `at` equal `literal` ignoring ASCII case (`literal` is lower-case).
    @inline(__always) public func matchesIgnoringCase(_ literal: StaticString, at: Int = 0) -> Bool {
        guard at >= 0, at + literal.count <= count else { return false }
        for i in 0..<literal.count where asciiLower(self[at + i]) != literal.utf8Start[i] { return false }
        return true
    }

    /// Index of the first occurrence of the lower-case `literal` ignoring ASCII case.
    public func indexIgnoringCase(of literal: StaticString, from: Int = 0) -> Int? {
        guard literal.count > 0, literal.count <= count else { return nil }
        let first = literal.utf8Start.pointee
        var i = from
        let upper = first >= 0x61 && first <= 0x7A ? first - 0x20 : first
        while i + literal.count <= count {
            // Jump to the next byte that can start a match, in either case.
            let a = index(of: first, from: i) ?? count
            let b = upper == first ? a : (index(of: upper, from: i) ?? count)
            i = Swift.min(a, b)
            if i + literal.count > count { return nil }
            if matchesIgnoringCase(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// The bytes with ASCII spaces and TABs removed at both ends.
    public var trimmed: UnsafeRawBufferPointer {
        var lo = 0, hi = count
        while lo < hi, isBlank(self[lo]) { lo += 1 }
        while hi > lo, isBlank(self[hi - 1]) || self[hi - 1] == 0x0D { hi -= 1 }
        return slice(lo..<hi)
    }

    /// A non-negative decimal number made of all the bytes, or nil.
    public var decimalValue: Int? {
        guard count > 0, count <= 18 else { return nil }
        var v = 0
        for b in self {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }

    /// The decimal number starting at `at`, and where it ends.
    public func decimal(at: Int) -> (value: Int, end: Int)? {
        var i = at, v = 0
        while i < count, self[i] >= 0x30, self[i] <= 0x39, i - at < 18 {
            v = v * 10 + Int(self[i] - 0x30); i += 1
        }
        return i > at ? (v, i) : nil
    }

    /// A `String` for printing: invalid UTF-8 is replaced, never trusted.
    public var printable: String { String(decoding: self, as: UTF8.self) }
}

/// Whether two byte strings are equal without regard to ASCII case.
func equalIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where asciiLower(a[i]) != asciiLower(b[i]) { return false }
    return true
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
@inline(__always) func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

// Eight bytes at a time (SWAR): the high bit of each byte of a mask says whether that byte
// passed a test. A byte's low seven bits plus (0x80 - c) carry into its high bit, never into the
// next byte, exactly when they are at least c.

private let ones: UInt64 = 0x0101_0101_0101_0101
private let highBits: UInt64 = 0x80 &* ones

/// High bit set in each byte of `low7` (high bits clear) that is at least `c` (1...0x80).
@inline(__always) private func bytesAtLeast(_ low7: UInt64, _ c: UInt64) -> UInt64 { low7 &+ (0x80 - c) &* ones }

/// `asciiLower` of each of the eight bytes.
@inline(__always) func asciiLower(word w: UInt64) -> UInt64 {
    let low7 = w & ~highBits
    let capital = bytesAtLeast(low7, 0x41) & ~bytesAtLeast(low7, 0x5B) & ~w & highBits
    return w | capital >> 2
}

/// Whether each of the eight bytes is an ASCII letter or digit.
@inline(__always) func isAlphanumeric(word w: UInt64) -> Bool {
    let low7 = w & ~highBits, folded = low7 | 0x20 &* ones
    let digit = bytesAtLeast(low7, 0x30) & ~bytesAtLeast(low7, 0x3A)
    let letter = bytesAtLeast(folded, 0x61) & ~bytesAtLeast(folded, 0x7B)
    return (digit | letter) & ~w & highBits == highBits
}

extension StaticString {
    /// Its length in bytes.
    var count: Int { utf8CodeUnitCount }
}
