/// One line of a spoolsweep event file (`events`' NDJSON, schema version 1) taken apart in
/// place: each known member's value as a slice of the line, or of a scratch buffer when it held
/// escapes; nothing is allocated per line once the buffers have grown.
struct EventLine {
    /// A member's value.
    enum Value: Equatable {
        case absent, null, bool(Bool), number(Int)
        /// Bytes of the line (`scratch: false`) or of `scratch`, start and end.
        case string(scratch: Bool, start: Int, end: Int)
        /// The `recipients` array: its strings are in `list`.
        case list
    }

    /// The members, by their index in `FactEventWriter.csvHeader` (every field of every type).
    private(set) var values = [Value](repeating: .absent, count: FactEventWriter.csvHeader.count)
    /// Unescaped strings.
    private(set) var scratch: [UInt8] = []
    /// The `recipients` strings, one after the other, and where each ends.
    private(set) var list: [UInt8] = []
    private(set) var listEnds: [Int32] = []

    static let keys: [[UInt8]] = FactEventWriter.csvHeader.map { Array($0.utf8) }
    static func index(_ name: String) -> Int { FactEventWriter.csvHeader.firstIndex(of: name)! }
    private static let recipientsSlot = index("recipients")

    /// Takes `line` apart; false when it is not one flat JSON object of strings, numbers,
    /// booleans, nulls and arrays of strings.
    mutating func parse(_ line: UnsafeRawBufferPointer) -> Bool {
        for i in values.indices { values[i] = .absent }
        scratch.removeAll(keepingCapacity: true)
        list.removeAll(keepingCapacity: true)
        listEnds.removeAll(keepingCapacity: true)
        var p = Cursor(b: line)
        p.space()
        guard p.take(0x7B) else { return false }
        p.space()
        if p.take(0x7D) { return p.atEnd }
        while true {
            p.space()
            guard p.peek == 0x22, let key = p.plainString() else { return false }
            p.space()
            guard p.take(0x3A) else { return false }
            p.space()
            let slot = Self.keys.firstIndex { k in k.count == key.count && k.withUnsafeBytes { $0.elementsEqual(line[key]) } }
            guard let value = value(&p, line: line, intoList: slot == Self.recipientsSlot) else { return false }
            if let slot { values[slot] = value }
            p.space()
            if p.take(0x2C) { continue }
            guard p.take(0x7D) else { return false }
            p.space()
            return p.atEnd
        }
    }

    private mutating func value(_ p: inout Cursor, line: UnsafeRawBufferPointer, intoList: Bool) -> Value? {
        switch p.peek {
        case 0x22:
            return string(&p, line: line)
        case 0x5B:
            p.i += 1
            p.space()
            if p.take(0x5D) { return .list }
            while true {
                p.space()
                guard case .string(let inScratch, let start, let end)? = string(&p, line: line) else { return nil }
                if intoList {
                    if inScratch { list += scratch[start..<end] } else { list += line[start..<end] }
                    listEnds.append(Int32(clamping: list.count))
                }
                p.space()
                if p.take(0x2C) { continue }
                guard p.take(0x5D) else { return nil }
                return .list
            }
        case 0x74: return p.word("true") ? .bool(true) : nil
        case 0x66: return p.word("false") ? .bool(false) : nil
        case 0x6E: return p.word("null") ? .null : nil
        default: return p.integer().map(Value.number)
        }
    }

    /// A JSON string at the cursor: a slice of the line when it holds no escape, else unescaped
    /// into `scratch` (`JSONString.unescape`).
    private mutating func string(_ p: inout Cursor, line: UnsafeRawBufferPointer) -> Value? {
        guard p.take(0x22) else { return nil }
        let start = p.i
        while p.i < line.count, line[p.i] != 0x22, line[p.i] != 0x5C, line[p.i] >= 0x20 { p.i += 1 }
        if p.i < line.count, line[p.i] == 0x22 {
            p.i += 1
            return .string(scratch: false, start: start, end: p.i - 1)
        }
        let from = scratch.count
        guard let end = JSONString.unescape(line, from: start, into: &scratch) else { return nil }
        p.i = end
        return .string(scratch: true, start: from, end: scratch.count)
    }

    /// The bytes of a string value, valid while `line` and this parse are.
    func bytes(_ v: Value, line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer?) -> Void) {
        guard case .string(let inScratch, let start, let end) = v else { return body(nil) }
        if inScratch { scratch.withUnsafeBytes { body($0.slice(start..<end)) } } else { body(line.slice(start..<end)) }
    }
}

/// A read position in a line.
private struct Cursor {
    let b: UnsafeRawBufferPointer
    var i = 0

    var atEnd: Bool { i == b.count }
    var peek: UInt8 { i < b.count ? b[i] : 0 }

    mutating func space() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D { i += 1 } }

    mutating func take(_ c: UInt8) -> Bool {
        guard i < b.count, b[i] == c else { return false }
        i += 1
        return true
    }

    mutating func word(_ w: StaticString) -> Bool {
        guard b.matches(w, at: i) else { return false }
        i += w.utf8CodeUnitCount
        return true
    }

    /// A key: a string without escapes, as a range of the line.
    mutating func plainString() -> Range<Int>? {
        guard take(0x22) else { return nil }
        let start = i
        while i < b.count, b[i] != 0x22 { if b[i] == 0x5C { return nil }; i += 1 }
        guard i < b.count else { return nil }
        i += 1
        return start..<(i - 1)
    }

    /// A JSON integer that fits an Int (a fraction or exponent, or more digits, is refused).
    mutating func integer() -> Int? {
        let negative = take(0x2D)
        let start = i
        var v = 0
        while i < b.count, isDigit(b[i]) {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b[i] - 0x30))
            guard !o1 && !o2 else { return nil }
            v = s
            i += 1
        }
        guard i > start, peek != 0x2E, peek != 0x65, peek != 0x45 else { return nil }
        return negative ? -v : v
    }
}
