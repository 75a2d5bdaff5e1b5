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

    /// `s` in double quotes, escaped; the runs between escapes are appended whole (every byte
    /// escaped is ASCII, so each run ends on a character boundary).
    static func quote(_ s: String, into out: inout String) {
        out += "\""
        var run = s.utf8.startIndex
        for (i, b) in zip(s.utf8.indices, s.utf8) {
            let escaped: String
            switch b {
            case 0x22: escaped = "\\\""
            case 0x5C: escaped = "\\\\"
            case 0x0A: escaped = "\\n"
            case 0x0D: escaped = "\\r"
            case 0x09: escaped = "\\t"
            case _ where b < 0x20 || b == 0x7F:
                let hex = String(b, radix: 16)
                escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: continue
            }
            out += s[run..<i]
            out += escaped
            run = s.utf8.index(after: i)
        }
        out += s[run...]
        out += "\""
    }
}

extension JSON {
    /// A string, or null when absent.
    static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    static func strings(_ items: [String]) -> JSON { .array(items.map(JSON.string)) }
}
