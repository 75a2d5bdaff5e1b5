/// Charts as inline SVG: no script, no font, no image. Each bar and point carries a `<title>`
/// with its figures (a tooltip); colours are the page's series classes (`s0`...`s3`).
enum SVGChart {
    static let width = 760, height = 240
    static let left = 48, right = 12, top = 12, bottom = 36

    static func render(_ c: ReportChart) -> String {
        let body: String
        switch c.kind {
        case .stackedBars: body = bars(c)
        case .lines: body = lines(c)
        case .ranking: body = ranking(c)
        }
        var out = "<figure>\n<figcaption>\(HTMLRenderer.escape(c.title))</figcaption>\n" + body
        if c.series.count > 1 || c.threshold != nil || !c.marks.isEmpty {
            out += "<div class=\"legend\">"
            for (i, s) in c.series.enumerated() { out += "<span><i class=\"\(tone(s, i))\"></i>\(HTMLRenderer.escape(s.name))</span>" }
            if let t = c.threshold { out += "<span>- - \(HTMLRenderer.escape(t.label))</span>" }
            for m in c.marks { out += "<span class=\"warn\">| \(HTMLRenderer.escape(m.text))</span>" }
            out += "</div>\n"
        }
        return out + "</figure>\n"
    }

    /// A series' colour class.
    static func tone(_ s: ReportChart.Series, _ i: Int) -> String {
        switch s.tone {
        case .plain, .strong: return "s\(i % 4)"
        case .good: return "s3"
        case .warning: return "s1"
        case .bad: return "s4"
        }
    }

    /// The top of the value axis: the largest figure (or the threshold) rounded up to 1, 2 or 5
    /// times a power of ten.
    static func axisTop(_ value: Int) -> Int {
        guard value > 0 else { return 1 }
        var unit = 1
        while unit <= Int.max / 10 && unit * 10 <= value { unit *= 10 }
        for m in [1, 2, 5, 10] {
            let (top, overflow) = unit.multipliedReportingOverflow(by: m)
            if overflow { break }
            if top >= value { return top }
        }
        return value
    }

    private static func open(_ c: ReportChart, h: Int = height) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(h)\" role=\"img\" aria-label=\"\(HTMLRenderer.escape(c.title))\">\n"
    }

    /// The value axis: 0, half and the top, with grid lines.
    private static func axis(top maxValue: Int, plotHeight: Int) -> String {
        var out = ""
        for (value, y) in [(0, top + plotHeight), (maxValue / 2, top + plotHeight / 2), (maxValue, top)] where value > 0 || y == top + plotHeight {
            out += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - right)\" y2=\"\(y)\"/>"
            out += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(value)</text>\n"
        }
        return out
    }

    /// Labels under the plot: at most about 12, evenly spaced.
    private static func labels(_ c: ReportChart, x: (Int) -> Double) -> String {
        guard !c.labels.isEmpty else { return "" }
        let every = max(1, (c.labels.count + 11) / 12)
        var out = ""
        for i in stride(from: 0, to: c.labels.count, by: every) {
            let anchor = c.kind == .lines && c.labels.count > 1 ? (i == 0 ? "start" : i == c.labels.count - 1 ? "end" : "middle") : "middle"
            out += "<text x=\"\(format(x(i)))\" y=\"\(height - bottom + 16)\" text-anchor=\"\(anchor)\">\(HTMLRenderer.escape(shortLabel(c.labels[i])))</text>\n"
        }
        return out
    }

    /// A time label's clock part when it has one (`2026-11-28 14:20:00` → `14:20`).
    private static func shortLabel(_ s: String) -> String {
        let parts = s.split(separator: " ")
        if parts.count == 2, parts[1].count >= 5 { return String(parts[1].prefix(5)) }
        return s
    }

    private static func bars(_ c: ReportChart) -> String {
        let n = max(1, c.labels.count)
        let totals = (0..<n).map { i in c.series.reduce(0) { $0 + (i < $1.values.count ? max(0, $1.values[i]) : 0) } }
        let maxValue = axisTop(max(totals.max() ?? 0, c.threshold?.value ?? 0))
        let plotW = Double(width - left - right), plotH = height - top - bottom
        let slot = plotW / Double(n), barW = max(1, slot * 0.8)
        func x(_ i: Int) -> Double { Double(left) + slot * Double(i) + slot / 2 }
        func y(_ v: Int) -> Double { Double(top + plotH) - Double(plotH) * Double(v) / Double(maxValue) }
        var out = open(c) + axis(top: maxValue, plotHeight: plotH)
        for i in 0..<n {
            var base = 0
            for (k, s) in c.series.enumerated() {
                let v = i < s.values.count ? max(0, s.values[i]) : 0
                guard v > 0 else { continue }
                let y0 = y(base), y1 = y(base + v)
                out += "<rect class=\"\(tone(s, k))\" x=\"\(format(x(i) - barW / 2))\" y=\"\(format(y1))\" width=\"\(format(barW))\" height=\"\(format(max(0.5, y0 - y1)))\">"
                out += "<title>\(HTMLRenderer.escape(c.labels[i])): \(HTMLRenderer.escape(s.name)) \(v)</title></rect>\n"
                base += v
            }
        }
        if let t = c.threshold {
            let ty = format(y(t.value))
            out += "<line class=\"threshold\" x1=\"\(left)\" y1=\"\(ty)\" x2=\"\(width - right)\" y2=\"\(ty)\"><title>\(HTMLRenderer.escape(t.label))</title></line>\n"
        }
        for m in c.marks where m.index >= 0 && m.index < n {
            out += "<line class=\"mark\" x1=\"\(format(x(m.index)))\" y1=\"\(top)\" x2=\"\(format(x(m.index)))\" y2=\"\(top + plotH)\"><title>\(HTMLRenderer.escape(m.text))</title></line>\n"
        }
        return out + labels(c, x: x) + "</svg>\n"
    }

    private static func lines(_ c: ReportChart) -> String {
        let n = max(1, c.labels.count)
        let maxValue = axisTop(c.series.flatMap(\.values).max() ?? 0)
        let plotW = Double(width - left - right), plotH = height - top - bottom
        func x(_ i: Int) -> Double { n == 1 ? Double(left) + plotW / 2 : Double(left) + plotW * Double(i) / Double(n - 1) }
        func y(_ v: Int) -> Double { Double(top + plotH) - Double(plotH) * Double(max(0, v)) / Double(maxValue) }
        var out = open(c) + axis(top: maxValue, plotHeight: plotH)
        for (k, s) in c.series.enumerated() {
            let points = s.values.indices.map { "\(format(x($0))),\(format(y(s.values[$0])))" }.joined(separator: " ")
            out += "<polyline class=\"\(tone(s, k))\" points=\"\(points)\"/>\n"
            for (i, v) in s.values.enumerated() where i < c.labels.count {
                out += "<circle class=\"\(tone(s, k))\" cx=\"\(format(x(i)))\" cy=\"\(format(y(v)))\" r=\"3\"><title>\(HTMLRenderer.escape(c.labels[i])): \(HTMLRenderer.escape(s.name)) \(v)</title></circle>\n"
            }
        }
        return out + labels(c, x: x) + "</svg>\n"
    }

    /// One row per label (the first 15), its series stacked, the total at the end.
    private static func ranking(_ c: ReportChart) -> String {
        let n = min(15, c.labels.count)
        guard n > 0 else { return "" }
        let rowH = 20, labelW = 260
        let h = n * rowH + 8
        let totals = (0..<n).map { i in c.series.reduce(0) { $0 + (i < $1.values.count ? max(0, $1.values[i]) : 0) } }
        let maxValue = max(1, totals.max() ?? 1)
        let plotW = Double(width - labelW - 60)
        var out = open(c, h: h)
        for i in 0..<n {
            let y = 4 + i * rowH
            out += "<text x=\"\(labelW - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(HTMLRenderer.escape(c.labels[i].clipped(40)))</text>"
            var x0 = Double(labelW)
            for (k, s) in c.series.enumerated() {
                let v = i < s.values.count ? max(0, s.values[i]) : 0
                guard v > 0 else { continue }
                let w = plotW * Double(v) / Double(maxValue)
                out += "<rect class=\"\(tone(s, k))\" x=\"\(format(x0))\" y=\"\(y + 3)\" width=\"\(format(max(0.5, w)))\" height=\"\(rowH - 6)\"><title>\(HTMLRenderer.escape(c.labels[i])): \(HTMLRenderer.escape(s.name)) \(v)</title></rect>"
                x0 += w
            }
            out += "<text x=\"\(format(x0 + 6))\" y=\"\(y + 14)\">\(totals[i])</text>\n"
        }
        return out + "</svg>\n"
    }

    /// A coordinate with at most one decimal.
    static func format(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }
}
