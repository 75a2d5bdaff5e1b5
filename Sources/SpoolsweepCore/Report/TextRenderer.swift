/// A document as plain text: the title and its lines, then each section after a blank line, its
/// fields aligned in two columns, its tables as `TextTable`s. Charts are not drawn. With
/// `color`, titles are bold and toned fields and rows coloured (ANSI), for a terminal.
struct TextRenderer {
    let color: Bool

    static func render(_ d: ReportDocument, color: Bool = false) -> String {
        let r = TextRenderer(color: color)
        var out = d.titleInText ? r.paint(d.title.terminalSafe, .strong) + "\n" : ""
        for line in d.lines { out += line.terminalSafe + "\n" }
        r.write(d.nodes, indent: 2, into: &out)
        return out
    }

    /// `text` in the tone's colour (nothing added without colour, or for plain).
    func paint(_ text: String, _ tone: ReportTone) -> String {
        guard color, tone != .plain, !text.isEmpty else { return text }
        let code: String
        switch tone {
        case .plain: return text
        case .strong: code = "1"
        case .good: code = "32"
        case .warning: code = "33"
        case .bad: code = "1;31"
        }
        return "\u{1B}[\(code)m" + text + "\u{1B}[0m"
    }

    /// The lines of `rendered` (each ended by a newline), the `i`th painted in `tones[i]`.
    func paint(lines rendered: String, _ tones: [ReportTone]) -> String {
        guard color, tones.contains(where: { $0 != .plain }) else { return rendered }
        var out = "", i = 0
        for line in rendered.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            out += paint(String(line), i < tones.count ? tones[i] : .plain) + "\n"
            i += 1
        }
        return out
    }

    private func write(_ nodes: [ReportNode], indent: Int, into out: inout String) {
        var fields = TextTable([("", .left), ("", .right), ("", .left)])
        var tones: [ReportTone] = []
        func flush() {
            guard !fields.rows.isEmpty else { return }
            out += paint(lines: fields.rendered(indent: indent, header: false), tones)
            fields = TextTable([("", .left), ("", .right), ("", .left)])
            tones = []
        }
        for node in nodes {
            switch node {
            case .field(let f):
                guard f.shown.contains(.text), let label = f.label else { continue }
                if f.inline {
                    flush()
                    out += String(repeating: " ", count: indent) + paint(label + ": " + Self.text(f.value), f.tone) + "\n"
                } else {
                    fields.add([label, Self.text(f.value), f.note?.terminalSafe ?? ""])
                    tones.append(f.tone)
                }
            case .table(let t):
                flush()
                if t.shown.contains(.text) { out += table(t, indent: indent) }
            case .section(let s):
                flush()
                if s.shown.contains(.text) { section(s, into: &out) }
            case .list(_, let items, let shown):
                flush()
                if shown.contains(.text) { for s in items where s.shown.contains(.text) { section(s, into: &out) } }
            case .line(let l), .command(let l):
                flush()
                out += String(repeating: " ", count: indent) + l.terminalSafe + "\n"
            case .chart:
                continue
            }
        }
        flush()
    }

    private func section(_ s: ReportSection, into out: inout String) {
        if s.spacing == .before { out += "\n" }
        if let title = s.title { out += paint(title.terminalSafe, .strong) + "\n" }
        write(s.nodes, indent: s.indent, into: &out)
        if s.spacing == .after { out += "\n" }
    }

    func table(_ t: ReportTable, indent: Int) -> String {
        let columns = t.columns.indices.filter { t.columns[$0].shown.contains(.text) }
        if t.rows.isEmpty, let empty = t.empty { return String(repeating: " ", count: indent) + empty + "\n" }
        var table = TextTable(columns.map { i in
            let c = t.columns[i]
            return (c.title, c.alignRight ?? Self.isNumeric(t.rows.first?[i]) ? .right : .left)
        })
        for row in t.rows { table.add(columns.map { Self.cell(row[$0], t.columns[$0]) }) }
        return paint(lines: table.rendered(indent: indent, header: t.header, gap: t.gap), (t.header ? [.strong] : []) + t.tones)
    }

    private static func isNumeric(_ v: ReportValue?) -> Bool {
        switch v {
        case .count, .bytes, .delay, .percent, .age: return true
        default: return false
        }
    }

    /// A table cell: the column's blank for no value or an empty one, clipped to its width.
    static func cell(_ v: ReportValue, _ c: ReportColumn) -> String {
        if let blank = c.blank, v.isBlank { return blank }
        let s = text(v)
        return c.clip.map { s.clipped($0) } ?? s
    }

    /// A value as text prints it (safe for a terminal).
    static func text(_ v: ReportValue) -> String {
        switch v {
        case .count(let n): return String(n)
        case .bytes(let n): return formatBytes(n)
        case .delay(let s): return formatDelay(s)
        case .time(let t): return t?.description ?? "-"
        case .hour(let h): return pad(h) + ":00"
        case .age(let s): return formatAge(seconds: s)
        case .percent(let p): return "\(p)%"
        case .flag(let b): return b ? "yes" : "no"
        case .text(let s), .address(let s): return s.terminalSafe
        case .list(let items): return items.joined(separator: ", ").terminalSafe
        case .json(let j): return j.compact().terminalSafe
        case .none: return "-"
        case .omitted: return ""
        }
    }
}
