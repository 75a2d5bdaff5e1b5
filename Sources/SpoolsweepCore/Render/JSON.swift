/// A JSON value with object keys kept in the order they were added, so output is stable and
/// reads in the same order as the text report.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.rendered() == b.rendered() }

    /// Pretty-printed with two-space indentation and a final newline.
    public func rendered() -> String {
        var out = ""
        write(to: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(to: &out, indent: indent + 2)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                JSON.quote(key, into: &out)
                out += ": "
                value.write(to: &out, indent: indent + 2)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// `s` in double quotes, escaped (`quote(bytes:into:)`).
    static func quote(_ s: String, into out: inout String) {
        var s = s, quoted: [UInt8] = []
        s.withUTF8 { quote(bytes: UnsafeRawBufferPointer($0), into: &quoted) }
        out += String(decoding: quoted, as: UTF8.self)
    }

    /// `bytes` in double quotes, escaped: `"` and `\`, control bytes as `\n`, `\u0001`...;
    /// bytes that are not UTF-8 become U+FFFD, as in `String(decoding:as:)`. With `lowercased`,
    /// ASCII letters are lower-cased (addresses). Text without escapes is copied as it is.
    static func quote(bytes: UnsafeRawBufferPointer, lowercased: Bool = false, into out: inout [UInt8]) {
        out.append(0x22)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x80 {
                // A run of non-ASCII bytes holds whole UTF-8 sequences, or bytes that are none.
                var j = i + 1
                while j < bytes.count, bytes[j] >= 0x80 { j += 1 }
                out += String(decoding: bytes.slice(i..<j), as: UTF8.self).utf8
                i = j
                continue
            }
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case _ where b < 0x20 || b == 0x7F:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(lowercased ? asciiLower(b) : b)
            }
            i += 1
        }
        out.append(0x22)
    }
}

extension JSON {
    /// A string, or null when absent.
    static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    static func strings(_ items: [String]) -> JSON { .array(items.map(JSON.string)) }
}
