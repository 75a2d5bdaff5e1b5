/// A document as CSV: each table CSV shows, as a block with its header row, the blocks separated
/// by an empty line. Fields and prose are not in it.
enum CSVRenderer {
    static func render(_ d: ReportDocument) -> String {
        tables(d.nodes).map(block).joined(separator: "\n")
    }

    private static func tables(_ nodes: [ReportNode]) -> [ReportTable] {
        nodes.flatMap { node -> [ReportTable] in
            switch node {
            case .table(let t): return t.shown.contains(.csv) ? [t] : []
            case .section(let s): return s.shown.contains(.csv) ? tables(s.nodes) : []
            case .list(_, let items, let shown): return shown.contains(.csv) ? items.flatMap { tables($0.nodes) } : []
            case .field, .line, .command, .chart: return []
            }
        }
    }

    private static func block(_ t: ReportTable) -> String {
        CSV.line(header(t)) + t.rows.map { line(t, $0) }.joined()
    }

    /// A table's CSV header row.
    static func header(_ t: ReportTable) -> [String] {
        t.columns.filter { $0.shown.contains(.csv) }.map { $0.csvKey ?? $0.key ?? $0.title }
    }

    /// One row of `t` as a CSV line (newline included).
    static func line(_ t: ReportTable, _ row: [ReportValue]) -> String {
        CSV.line(t.columns.indices.filter { t.columns[$0].shown.contains(.csv) }.map { text(row[$0]) })
    }

    static func text(_ v: ReportValue) -> String {
        switch v {
        case .count(let n), .bytes(let n), .percent(let n): return String(n)
        case .delay(let s): return String(s)
        case .time(let t): return t?.description ?? ""
        case .hour(let h): return "hour " + pad(h)
        case .age(let s): return String(s)
        case .flag(let b): return b ? "true" : "false"
        case .text(let s), .address(let s): return s
        case .list(let items): return items.joined(separator: " ")
        case .json(let j): return j.compact()
        case .none, .omitted: return ""
        }
    }
}
