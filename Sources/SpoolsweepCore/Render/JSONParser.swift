extension JSON {
    /// Parses one JSON text (RFC 8259). Returns nil for anything malformed, including trailing
    /// bytes after the value. Numbers without a fraction or exponent become `.int`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JSON? {
        var p = JSONParser(bytes)
        guard let value = p.value() else { return nil }
        p.skipSpace()
        return p.i == bytes.count ? value : nil
    }

    public static func parse(_ text: String) -> JSON? {
        var t = text
        return t.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// The member `key` of an object.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? { if case .int(let i) = self { return i }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
}

private struct JSONParser {
    let b: UnsafeRawBufferPointer
    var i = 0
    var depth = 0

    init(_ b: UnsafeRawBufferPointer) { self.b = b }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: StaticString, _ value: JSON) -> JSON? {
        guard b.matches(word, at: i) else { return nil }
        i += word.count
        return value
    }

    mutating func value() -> JSON? {
        skipSpace()
        guard i < b.count, depth < 512 else { return nil }
        switch b[i] {
        case 0x7B: return object()
        case 0x5B: return array()
        case 0x22: return string().map(JSON.string)
        case 0x74: return literal("true", .bool(true))
        case 0x66: return literal("false", .bool(false))
        case 0x6E: return literal("null", .null)
        default: return number()
        }
    }

    mutating func object() -> JSON? {
        i += 1; depth += 1; defer { depth -= 1 }
        var members: [(String, JSON)] = []
        skipSpace()
        if i < b.count, b[i] == 0x7D { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == 0x22, let key = string() else { return nil }
            skipSpace()
            guard i < b.count, b[i] == 0x3A else { return nil }
            i += 1
            guard let v = value() else { return nil }
            members.append((key, v))
            skipSpace()
            guard i < b.count else { return nil }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x7D { i += 1; return .object(members) }
            return nil
        }
    }

    mutating func array() -> JSON? {
        i += 1; depth += 1; defer { depth -= 1 }
        var items: [JSON] = []
        skipSpace()
        if i < b.count, b[i] == 0x5D { i += 1; return .array(items) }
        while true {
            guard let v = value() else { return nil }
            items.append(v)
            skipSpace()
            guard i < b.count else { return nil }
            if b[i] == 0x2C { i += 1; continue }
            if b[i] == 0x5D { i += 1; return .array(items) }
            return nil
        }
    }

    mutating func string() -> String? {
        var out: [UInt8] = []
        guard let end = JSONString.unescape(b, from: i + 1, into: &out) else { return nil }
        i = end
        return String(decoding: out, as: UTF8.self)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as RFC 8259 has it.
    mutating func number() -> JSON? {
        let start = i
        func digits() -> Int {
            let from = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            return i - from
        }
        if i < b.count, b[i] == 0x2D { i += 1 }
        guard i < b.count, isDigit(b[i]) else { return nil }
        if b[i] == 0x30 { i += 1 } else { _ = digits() }
        var integral = true
        if i < b.count, b[i] == 0x2E {
            i += 1
            guard digits() > 0 else { return nil }
            integral = false
        }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            guard digits() > 0 else { return nil }
            integral = false
        }
        let text = String(decoding: b.slice(start..<i), as: UTF8.self)
        if integral, let v = Int(text) { return .int(v) }
        return Double(text).map(JSON.double)
    }
}

/// JSON string text (RFC 8259) unescaped: the one reader of `\"`, `\n`, `\uXXXX`... behind
/// `JSON.parse` and the event files' reader.
enum JSONString {
    /// Appends to `out` the string whose text begins at `start` (just after its opening quote),
    /// unescaped; the index just after its closing quote, or nil when it is malformed (a raw
    /// control byte, an unknown escape, a high surrogate whose low half is not a low surrogate,
    /// no closing quote). A lone surrogate becomes U+FFFD.
    static func unescape(_ b: UnsafeRawBufferPointer, from start: Int, into out: inout [UInt8]) -> Int? {
        var i = start
        while i < b.count {
            let c = b[i]
            if c == 0x22 { return i + 1 }
            if c < 0x20 { return nil }
            if c != 0x5C { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { return nil }
            let e = b[i]; i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var u = hex4(b, at: i) else { return nil }
                i += 4
                if (0xD800..<0xDC00).contains(u), b.matches("\\u", at: i) {
                    guard let low = hex4(b, at: i + 2), (0xDC00..<0xE000).contains(low) else { return nil }
                    i += 6
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: String(Unicode.Scalar(u).map(Character.init) ?? "\u{FFFD}").utf8)
            default: return nil
            }
        }
        return nil
    }

    /// The four hex digits at `i`.
    static func hex4(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = b[k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x37)
            case 0x61...0x66: d = UInt32(c - 0x57)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }
}
