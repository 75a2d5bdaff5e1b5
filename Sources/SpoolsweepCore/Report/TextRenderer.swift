/// A document as plain text: the title and its lines, then each section after a blank line, its
/// fields aligned in two columns, its tables as `TextTable`s. Charts are not drawn.
enum TextRenderer {
    static func render(_ d: ReportDocument) -> String {
        var out = d.title + "\n"
        for line in d.lines { out += line + "\n" }
        write(d.nodes, indent: 2, into: &out)
        return out
    }

    private static func write(_ nodes: [ReportNode], indent: Int, into out: inout String) {
        var fields = TextTable([("", .left), ("", .right), ("", .left)])
        func flush() {
            guard !fields.rows.isEmpty else { return }
            out += fields.rendered(indent: indent, header: false)
            fields = TextTable([("", .left), ("", .right), ("", .left)])
        }
        for node in nodes {
            switch node {
            case .field(let f):
                guard f.shown.contains(.text), let label = f.label else { continue }
                if f.inline {
                    flush()
                    out += String(repeating: " ", count: indent) + label + ": " + text(f.value) + "\n"
                } else {
                    fields.add([label, text(f.value), f.note?.terminalSafe ?? ""])
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

    private static func section(_ s: ReportSection, into out: inout String) {
        if s.spacing == .before { out += "\n" }
        if let title = s.title { out += title.terminalSafe + "\n" }
        write(s.nodes, indent: s.indent, into: &out)
        if s.spacing == .after { out += "\n" }
    }

    static func table(_ t: ReportTable, indent: Int) -> String {
        let columns = t.columns.indices.filter { t.columns[$0].shown.contains(.text) }
        if t.rows.isEmpty, let empty = t.empty { return String(repeating: " ", count: indent) + empty + "\n" }
        var table = TextTable(columns.map { i in
            let c = t.columns[i]
            return (c.title, c.alignRight ?? isNumeric(t.rows.first?[i]) ? .right : .left)
        })
        for row in t.rows { table.add(columns.map { text(row[$0]) }) }
        return table.rendered(indent: indent, header: t.header, gap: t.gap)
    }

    private static func isNumeric(_ v: ReportValue?) -> Bool {
        switch v {
        case .count, .bytes, .delay, .percent: return true
        default: return false
        }
    }

    /// A value as text prints it (safe for a terminal).
    static func text(_ v: ReportValue) -> String {
        switch v {
        case .count(let n): return String(n)
        case .bytes(let n): return formatBytes(n)
        case .delay(let s): return formatDelay(s)
        case .time(let t): return t?.description ?? "-"
        case .hour(let h): return pad(h) + ":00"
        case .percent(let p): return "\(p)%"
        case .flag(let b): return b ? "yes" : "no"
        case .text(let s), .address(let s): return s.terminalSafe
        case .list(let items): return items.joined(separator: ", ").terminalSafe
        case .json(let j): return j.compact().terminalSafe
        case .none: return "-"
        }
    }
}
