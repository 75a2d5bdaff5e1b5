/// A document as JSON: an object of its fields, tables (arrays of row objects) and lists that
/// have a key; a section with a key is an object, one without merges its members into the object
/// around it.
enum JSONRenderer {
    static func render(_ d: ReportDocument) -> JSON { .object(members(d.nodes)) }

    static func members(_ nodes: [ReportNode]) -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        for node in nodes {
            switch node {
            case .field(let f):
                if f.shown.contains(.json), let key = f.key, !f.value.isOmitted { out.append((key, json(f.value))) }
            case .table(let t):
                if t.shown.contains(.json), let key = t.key { out.append((key, rows(t))) }
            case .section(let s):
                guard s.shown.contains(.json) else { continue }
                if let key = s.key { out.append((key, .object(members(s.nodes)))) } else { out += members(s.nodes) }
            case .list(let key, let items, let shown):
                if shown.contains(.json) { out.append((key, .array(items.map { .object(members($0.nodes)) }))) }
            case .line, .command, .chart:
                continue
            }
        }
        return out
    }

    /// JSON Lines: the rows of the tables marked `lines`, each object compact on its line.
    static func lines(_ d: ReportDocument) -> String {
        func tables(_ nodes: [ReportNode]) -> [ReportTable] {
            nodes.flatMap { node -> [ReportTable] in
                switch node {
                case .table(let t): return t.lines ? [t] : []
                case .section(let s): return tables(s.nodes)
                case .list(_, let items, _): return items.flatMap { tables($0.nodes) }
                case .field, .line, .command, .chart: return []
                }
            }
        }
        return tables(d.nodes).flatMap { t in t.rows.map { object(t.columns, $0).compact() + "\n" } }.joined()
    }

    /// A table's rows as objects of the columns JSON shows.
    static func rows(_ t: ReportTable) -> JSON { .array(t.rows.map { object(t.columns, $0) }) }

    /// One row as an object: the members of the columns JSON shows, but omitted values.
    static func object(_ columns: [ReportColumn], _ row: [ReportValue]) -> JSON {
        .object(columns.indices.filter { columns[$0].shown.contains(.json) && columns[$0].key != nil && !row[$0].isOmitted }
            .map { (columns[$0].key!, json(row[$0])) })
    }

    static func json(_ v: ReportValue) -> JSON {
        switch v {
        case .count(let n), .bytes(let n), .percent(let n), .hour(let n): return .int(n)
        case .age(let s): return .int(Int(s))
        case .delay(let s): return .double(s)
        case .time(let t): return .optional(t?.description)
        case .flag(let b): return .bool(b)
        case .text(let s), .address(let s): return .string(s)
        case .list(let items): return .strings(items)
        case .json(let j): return j
        case .none, .omitted: return .null
        }
    }
}

extension ReportValue {
    var isOmitted: Bool { if case .omitted = self { return true } else { return false } }

    /// No value, or an empty text.
    var isBlank: Bool {
        switch self {
        case .none, .omitted: return true
        case .text(let s), .address(let s): return s.isEmpty
        default: return false
        }
    }
}
