/// A plain-text table: a header row and aligned columns separated by two spaces. Numbers align
/// right, text left; the last column is never padded.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }
    public let headers: [String]
    public let alignments: [Alignment]
    public private(set) var rows: [[String]] = []

    public init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    public mutating func add(_ row: [String]) {
        precondition(row.count == headers.count, "row width")
        rows.append(row)
    }

    /// The table, each line indented by `indent` spaces and ended by a newline, its columns
    /// `gap` spaces apart.
    public func rendered(indent: Int = 2, header: Bool = true, gap: Int = 2) -> String {
        var widths = headers.map(\.displayWidth)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.displayWidth) }
        }
        var out = ""
        for row in header ? [headers] + rows : rows {
            var line = String(repeating: " ", count: indent)
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.displayWidth)
                let last = i == row.count - 1
                if alignments[i] == .right { line += pad + cell } else { line += last ? cell : cell + pad }
                if !last { line += String(repeating: " ", count: gap) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

extension String {
    /// Width on a terminal, counting each Unicode scalar (not byte) as one column; control
    /// characters are replaced before printing anyway.
    var displayWidth: Int { unicodeScalars.count }

    /// Safe to print on one terminal line: control characters (an attacker's escape sequences
    /// in a subject, say) become `?`.
    public var terminalSafe: String {
        var out = ""
        for u in unicodeScalars {
            out.unicodeScalars.append(u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0) ? "?" : u)
        }
        return out
    }

    /// Cut to `width` scalars with an ellipsis.
    func clipped(_ width: Int) -> String {
        guard unicodeScalars.count > width, width > 1 else { return self }
        var out = ""
        for u in unicodeScalars.prefix(width - 1) { out.unicodeScalars.append(u) }
        return out + "…"
    }
}

/// CSV (RFC 4180 quoting, LF line ends): a field is quoted when it holds a comma or a quote.
///
/// Fields are attacker text (subjects, addresses, HELOs) bound for a spreadsheet: a field that
/// begins with `=`, `+`, `-` or `@` (a formula: `=HYPERLINK(...)`) gets a leading `'`, unless it
/// is a plain number; control bytes (line breaks and TABs included) are written `\xNN`, so that
/// every record is one line.
public enum CSV {
    public static func render(header: [String], rows: [[String]]) -> String {
        var out = line(header)
        for r in rows { out += line(r) }
        return out
    }

    /// One CSV line of `fields`, newline included (the rows `render` writes).
    public static func line(_ fields: [String]) -> String {
        fields.map { field in
            let f = neutralised(field)
            return f.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + f.replacingAll("\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\n"
    }

    /// `field` with its control bytes escaped and a formula's first character defused.
    static func neutralised(_ field: String) -> String {
        var out = ""
        for u in field.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        guard let first = out.unicodeScalars.first, "=+-@".unicodeScalars.contains(first) else { return out }
        let number = out.dropFirst().allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && out.count > 1 && first != "="
        return number ? out : "'" + out
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// `1 message`, `2 messages`: a count with its noun.
public func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// Human-readable sizes: `512 B`, `3.1 KiB`, `12.4 MiB` (powers of 1024, named as such).
public func formatBytes(_ n: Int) -> String {
    if n < 1024 { return "\(n) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var v = Double(n) / 1024
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[u])"
}

/// Ages as admins say them: `45s`, `12m`, `3h05m`, `2d04h`.
public func formatAge(seconds: Int64) -> String {
    let s = max(0, seconds)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86_400 { return "\(s / 3600)h\(pad(Int(s % 3600 / 60)))m" }
    return "\(s / 86_400)d\(pad(Int(s % 86_400 / 3600)))h"
}
