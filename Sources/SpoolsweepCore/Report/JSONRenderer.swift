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
                if f.shown.contains(.json), let key = f.key { out.append((key, json(f.value))) }
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

    /// A table's rows as objects of the columns JSON shows.
    static func rows(_ t: ReportTable) -> JSON {
        let columns = t.columns.indices.filter { t.columns[$0].shown.contains(.json) && t.columns[$0].key != nil }
        return .array(t.rows.map { row in .object(columns.map { (t.columns[$0].key!, json(row[$0])) }) })
    }

    static func json(_ v: ReportValue) -> JSON {
        switch v {
        case .count(let n), .bytes(let n), .percent(let n), .hour(let n): return .int(n)
        case .delay(let s): return .double(s)
        case .time(let t): return .optional(t?.description)
        case .flag(let b): return .bool(b)
        case .text(let s), .address(let s): return .string(s)
        case .list(let items): return .strings(items)
        case .json(let j): return j
        case .none: return .null
        }
    }
}
