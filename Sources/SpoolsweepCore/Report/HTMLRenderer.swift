/// A document as one self-contained HTML page: inline CSS and SVG charts, a policy that forbids
/// every request (`default-src 'none'`), readable with scripts off (a small inline script only
/// sorts the tables and adds copy buttons), light and dark, printable. Every text from a log or
/// a spool is escaped.
enum HTMLRenderer {
    static func render(_ d: ReportDocument) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <meta name="color-scheme" content="light dark">
            <meta name="generator" content="spoolsweep">
            <title>\(escape(d.title))</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            <h1>\(escape(d.title))</h1>

            """
        for line in d.lines where !line.isEmpty { out += "<p class=\"lead\">\(escape(line))</p>\n" }
        write(d.nodes, depth: 2, into: &out)
        out += "</main>\n<script>\(script)</script>\n</body>\n</html>\n"
        return out
    }

    private static func write(_ nodes: [ReportNode], depth: Int, into out: inout String) {
        var fields: [ReportField] = []
        func flush() {
            guard !fields.isEmpty else { return }
            out += "<table class=\"fields\">\n"
            for f in fields {
                out += "<tr\(toneClass(f.tone))><th scope=\"row\">\(escape(f.label!.trimmingLeadingSpace))</th>\(cell(f.value))<td>\(escape(f.note ?? ""))</td></tr>\n"
            }
            out += "</table>\n"
            fields = []
        }
        for node in nodes {
            switch node {
            case .field(let f):
                guard f.shown.contains(.html), let label = f.label else { continue }
                if f.inline {
                    flush()
                    let value = TextRenderer.text(f.value)
                    out += "<p class=\"command\"><span class=\"label\">\(escape(label))</span> <code>\(escape(value))</code>\(copyButton(value))</p>\n"
                } else {
                    fields.append(f)
                }
            case .table(let t):
                flush()
                if t.shown.contains(.html) { table(t, into: &out) }
            case .section(let s):
                flush()
                if s.shown.contains(.html) { section(s, depth: depth, into: &out) }
            case .list(_, let items, let shown):
                flush()
                if shown.contains(.html) { for s in items where s.shown.contains(.html) { section(s, depth: depth, into: &out) } }
            case .line(let l):
                flush()
                out += "<p>\(escape(l))</p>\n"
            case .command(let c):
                flush()
                out += "<p class=\"command\"><code>\(escape(c))</code>\(copyButton(c))</p>\n"
            case .chart(let c):
                flush()
                out += SVGChart.render(c)
            }
        }
        flush()
    }

    private static func section(_ s: ReportSection, depth: Int, into out: inout String) {
        out += s.spacing == .after ? "<section class=\"item\">\n" : "<section>\n"
        if let title = s.title {
            let h = min(depth, 6)
            out += "<h\(h)>\(escape(title))</h\(h)>\n"
        }
        write(s.nodes, depth: depth + 1, into: &out)
        out += "</section>\n"
    }

    private static func table(_ t: ReportTable, into out: inout String) {
        let columns = t.columns.indices.filter { t.columns[$0].shown.contains(.html) }
        if t.rows.isEmpty {
            if let empty = t.empty { out += "<p class=\"none\">\(escape(empty))</p>\n" }
            return
        }
        out += "<table class=\"data\">\n"
        if t.header {
            out += "<thead><tr>" + columns.map { "<th scope=\"col\">\(escape(t.columns[$0].title))</th>" }.joined() + "</tr></thead>\n"
        }
        out += "<tbody>\n"
        for (i, row) in t.rows.enumerated() {
            let cells = columns.map { c -> String in
                if let blank = t.columns[c].blank, row[c].isBlank { return "<td>\(escape(blank))</td>" }
                return cell(row[c])
            }
            out += "<tr\(toneClass(i < t.tones.count ? t.tones[i] : .plain))>" + cells.joined() + "</tr>\n"
        }
        out += "</tbody>\n</table>\n"
    }

    /// A cell: numbers right-aligned with their exact value to sort by, addresses in a
    /// fixed-width font.
    private static func cell(_ v: ReportValue) -> String {
        let shown = escape(TextRenderer.text(v))
        switch v {
        case .count(let n), .bytes(let n), .percent(let n), .hour(let n):
            return "<td class=\"num\" data-v=\"\(n)\">\(shown)</td>"
        case .age(let s):
            return "<td class=\"num\" data-v=\"\(s)\">\(shown)</td>"
        case .delay(let s):
            return "<td class=\"num\" data-v=\"\(s.isFinite ? String(s) : "0")\">\(shown)</td>"
        case .address:
            return "<td class=\"addr\">\(shown)</td>"
        default:
            return "<td>\(shown)</td>"
        }
    }

    /// A row's class for its tone (nothing when plain).
    private static func toneClass(_ tone: ReportTone) -> String {
        switch tone {
        case .plain: return ""
        case .strong: return " class=\"strong\""
        case .good: return " class=\"good\""
        case .warning: return " class=\"warning\""
        case .bad: return " class=\"bad\""
        }
    }

    private static func copyButton(_ text: String) -> String {
        " <button type=\"button\" class=\"copy\" hidden data-copy=\"\(escape(text))\">copy</button>"
    }

    /// `s` safe in HTML text and in a quoted attribute: `& < > " '` as entities, control
    /// characters as U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if (u.value < 0x20 && u.value != 0x09) || (u.value >= 0x7F && u.value < 0xA0) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    private static let style = """
        :root{color-scheme:light dark;--fg:#1d232a;--bg:#fff;--muted:#5b6673;--line:#d8dde3;--head:#f2f4f7;\
        --s0:#2f6fb3;--s1:#e0893a;--s2:#8c5bb8;--s3:#3a9e6a;--s4:#c8443a;--warn:#c0392b}
        @media (prefers-color-scheme:dark){:root{--fg:#e4e8ed;--bg:#15191e;--muted:#9aa5b1;--line:#323a44;--head:#1f252c;\
        --s0:#6aa7e6;--s1:#f0a563;--s2:#b48be0;--s3:#66c695;--s4:#ef6a5e;--warn:#ff7b6b}}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
        main{max-width:1100px;margin:0 auto;padding:1.5rem}
        h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
        h3,h4,h5,h6{font-size:1.05rem;margin:1.2rem 0 .4rem}
        .lead{color:var(--muted);margin:.2rem 0}
        table{border-collapse:collapse;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums}
        th,td{padding:.2rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        thead th{background:var(--head);position:sticky;top:0;cursor:default}
        table.sortable thead th{cursor:pointer}
        td.num{text-align:right}td.addr,code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
        table.fields th{font-weight:normal;color:var(--muted)}
        .none{color:var(--muted)}tr.strong td{font-weight:600}tr.bad td{color:var(--s4);font-weight:600}
        tr.warning td{color:var(--s1)}tr.good td{color:var(--s3)}
        section.item{border:1px solid var(--line);border-radius:6px;padding:.2rem 1rem;margin:1rem 0}
        p.command code{background:var(--head);padding:.15rem .35rem;border-radius:4px}
        .label{color:var(--muted)}
        button.copy{font:inherit;font-size:.8em;margin-left:.4rem;padding:0 .4rem;cursor:pointer}
        figure{margin:.6rem 0 1.2rem}figcaption{font-weight:600;margin-bottom:.2rem}
        svg{max-width:100%;height:auto;display:block}
        svg text{fill:var(--muted);font-size:11px}svg .axis{stroke:var(--line)}
        svg .s0{fill:var(--s0);stroke:var(--s0)}svg .s1{fill:var(--s1);stroke:var(--s1)}
        svg .s2{fill:var(--s2);stroke:var(--s2)}svg .s3{fill:var(--s3);stroke:var(--s3)}svg .s4{fill:var(--s4);stroke:var(--s4)}
        svg polyline{fill:none;stroke-width:2}svg .threshold{stroke:var(--warn);stroke-dasharray:5 4;fill:none}
        svg .mark{stroke:var(--warn);stroke-width:2}svg text.warn{fill:var(--warn)}
        .legend{display:flex;gap:1rem;font-size:.85em;color:var(--muted);flex-wrap:wrap}
        .legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-.1em}
        .legend .s0{background:var(--s0)}.legend .s1{background:var(--s1)}.legend .s2{background:var(--s2)}.legend .s3{background:var(--s3)}.legend .s4{background:var(--s4)}
        @media print{main{max-width:none;padding:0}thead th{position:static}button.copy{display:none}section.item{break-inside:avoid}}
        """

    /// Sorting by a click on a header (numbers by their exact value), and copy buttons: nothing
    /// else, and nothing the page needs to be read.
    private static let script = """
        for(const t of document.querySelectorAll('table.data')){const h=t.tHead;if(!h)continue;t.classList.add('sortable');\
        h.querySelectorAll('th').forEach((th,i)=>{th.title='sort';th.addEventListener('click',()=>{const b=t.tBodies[0];\
        const up=th.dataset.dir!=='up';h.querySelectorAll('th').forEach(x=>delete x.dataset.dir);th.dataset.dir=up?'up':'down';\
        const key=r=>{const c=r.cells[i];return c.dataset.v!==undefined?Number(c.dataset.v):c.textContent};\
        const rows=[...b.rows].sort((x,y)=>{const a=key(x),c=key(y);const o=typeof a==='number'?a-c:String(a).localeCompare(c);return up?o:-o});\
        rows.forEach(r=>b.appendChild(r))})})}
        for(const b of document.querySelectorAll('button.copy')){b.hidden=false;b.addEventListener('click',()=>{\
        navigator.clipboard.writeText(b.dataset.copy).then(()=>{b.textContent='copied';setTimeout(()=>b.textContent='copy',1500)},()=>{})})}
        """
}

extension String {
    fileprivate var trimmingLeadingSpace: String { String(drop { $0 == " " }) }
}
