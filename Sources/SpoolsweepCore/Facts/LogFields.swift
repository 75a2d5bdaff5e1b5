/// Field shapes more than one server's logs share: the time of day, `[...]` groups, envelope
/// addresses. One reading of each, for every dialect.
enum LogFields {
    /// `HH:mm:ss` with an optional fraction at `at`: milliseconds of the day and the index after it.
    static func timeOfDay(_ s: UnsafeRawBufferPointer, at i: Int) -> (Int64, Int)? {
        guard i >= 0, i + 8 <= s.count, s[i + 2] == 0x3A, s[i + 5] == 0x3A,
              let h = twoDigits(s, i), let m = twoDigits(s, i + 3), let sec = twoDigits(s, i + 6),
              h < 24, m < 60, sec < 61 else { return nil }
        var end = i + 8
        var fraction = 0, scale = 1000
        if end < s.count, s[end] == 0x2E {
            end += 1
            while end < s.count, isDigit(s[end]) {
                if scale > 1 { scale /= 10; fraction += Int(s[end] - 0x30) * scale }
                end += 1
            }
        }
        return (Int64((h * 3600 + m * 60 + min(sec, 59)) * 1000 + fraction), end)
    }

    @inline(__always) private static func twoDigits(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        let a = s[i] &- 0x30, b = s[i + 1] &- 0x30
        return a < 10 && b < 10 ? Int(a) * 10 + Int(b) : nil
    }

    /// A Message-ID as logged (`<id@host>`, or bare), without its angle brackets and blanks.
    static func bareMessageID(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var id = s.trimmed
        if id.first == 0x3C, let close = id.index(of: 0x3E) { id = id.slice(1..<close) }
        return id
    }

    /// A `[...]` group at `at`: its contents and the index after the `]`.
    static func bracketGroup(_ s: UnsafeRawBufferPointer, at: Int) -> (UnsafeRawBufferPointer, Int)? {
        guard at < s.count, s[at] == 0x5B, let close = s.index(of: 0x5D, from: at + 1) else { return nil }
        return (s.slice((at + 1)..<close), close + 1)
    }

    /// The contents of the first `[...]` in `s`: the client's IP in Postfix's `host[ip]` (the
    /// host name before it is the client's to choose, the IP is not).
    static func firstBracketed(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let open = s.index(of: 0x5B), let close = s.index(of: 0x5D, from: open + 1) else { return nil }
        return s.slice((open + 1)..<close)
    }

    /// The largest message size a log may give: 1 TiB (no mail server takes a message near it).
    /// A larger figure is a corrupt field, read as absent, so that no total can overflow.
    static let largestMessageSize = 1 << 40

    /// A message size in bytes at `at` (decimal digits): nil when there are none, or when it
    /// exceeds `largestMessageSize`; and where the digits end.
    static func messageSize(_ s: UnsafeRawBufferPointer, at: Int) -> (value: Int?, end: Int)? {
        var i = at, v = 0
        while i < s.count, isDigit(s[i]) {
            if v <= largestMessageSize { v = v * 10 + Int(s[i] - 0x30) }
            i += 1
        }
        guard i > at else { return nil }
        return (v <= largestMessageSize ? v : nil, i)
    }

    /// Where `needle` last occurs in `s`.
    static func lastIndex(of needle: StaticString, in s: UnsafeRawBufferPointer) -> Int? {
        var found: Int?
        var from = 0
        while let i = s.index(of: needle, from: from) { found = i; from = i + 1 }
        return found
    }
}

/// Log files as syslog-style servers keep them (Postfix, Exim): rotated copies, compressed ones.
enum LogFiles {
    /// The first 4 KiB of the file (decompressed for a `.gz` or a `.zip`), to tell whose log it
    /// is; nil when it cannot be read or is empty.
    static func head(_ path: String) -> ArraySlice<UInt8>? {
        guard let source = try? ByteSource(path: path, allowMapping: false) else { return nil }
        var head = [UInt8](repeating: 0, count: 4096)
        let compression = Compression(path: path)
        let gzip = compression == .gzip ? GzipReader() : nil
        let zip = compression == .zip ? try? ZipReader(source) : nil
        if compression == .zip && zip == nil { return nil }
        let n = (try? head.withUnsafeMutableBytes { b throws(FileReadError) -> Int in
            if let gzip { return try gzip.read(from: source, into: b) }
            if let zip { return try zip.read(into: b) }
            return try source.read(into: b)
        }) ?? 0
        return n > 0 ? head[0..<n] : nil
    }

    /// A regular file of no bytes (a log just rotated).
    static func isEmpty(_ path: String) -> Bool { FileSystem.status(path)?.size == 0 }

    /// `mail.log.3`, `mail.log.2`, `mail.log.1`, `mail.log` (or `mainlog.N`...): oldest first,
    /// so that queue and message ids are followed across rotation in time order.
    static func rotationOrder(_ files: [String]) -> [String] {
        files.sorted { (generation($1), $0) < (generation($0), $1) }
    }

    /// The rotation number of `mail.log.3` (or `mail.log.3.gz`): 3; 0 for the current log.
    static func generation(_ path: String) -> Int {
        let name = Compression.stripped(FileSystem.baseName(path))
        guard let dot = name.lastIndex(of: "."), let n = Int(name[name.index(after: dot)...]) else { return 0 }
        return n
    }

    /// Whether `path` is a log the server still writes: not compressed, not numbered
    /// (`mail.log.1`), not dated by logrotate's `dateext` (`exim_mainlog-20261201`).
    static func isCurrent(_ path: String) -> Bool {
        let name = FileSystem.baseName(path)
        guard Compression(path: name) == nil, generation(name) == 0 else { return false }
        if let dash = name.lastIndex(of: "-") {
            let tail = name[name.index(after: dash)...].prefix { $0 != "." }
            if tail.count == 8 && tail.allSatisfy(\.isNumber) { return false }
        }
        return true
    }
}

/// The one normaliser of envelope addresses, for every reader and the ledger.
public enum EnvelopeAddress {
    /// The address inside `<...>` in `s` (up to the `>`, or the end), trimmed; without angle
    /// brackets, the first word (a blank inside a quoted local part, `"a b"@x`, is not the end).
    /// `<>` (the null sender) is empty.
    public static func normalised(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let t = s.trimmed
        if let lt = t.index(of: 0x3C) {
            let gt = t.index(of: 0x3E, from: lt + 1) ?? t.count
            return t.slice((lt + 1)..<gt).trimmed
        }
        if t.index(of: 0x22) == nil { // no quoted local part: up to the first blank
            return t.slice(0..<min(t.index(of: 0x20) ?? t.count, t.index(of: 0x09) ?? t.count))
        }
        var end = 0, quoted = false
        while end < t.count {
            let c = t[end]
            if c == 0x22 { quoted.toggle() } else if !quoted && (c == 0x20 || c == 0x09) { break }
            end += 1
        }
        return t.slice(0..<end)
    }

    /// `normalised` of a header value.
    public static func normalised(_ s: String) -> String {
        var s = s
        return s.withUTF8 { normalised(UnsafeRawBufferPointer($0)).printable }
    }

    /// The part after the last `@` (all of it when there is none).
    static func domain(_ address: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var i = address.count - 1
        while i >= 0, address[i] != 0x40 { i -= 1 }
        return address.dropFirst(i + 1)
    }
}

@inline(__always) func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
