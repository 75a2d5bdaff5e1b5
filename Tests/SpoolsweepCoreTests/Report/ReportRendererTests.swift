import Testing
@testable import SpoolsweepCore

/// The generic renderers on one small document: each format shows what its nodes say it shows.
struct ReportRendererTests {
    static let document = ReportDocument(title: "Report (test): 2026-11-28", lines: ["Under the title."], nodes: [
        .json("server", .string("test")),
        .section(ReportSection("Totals", key: "totals", [
            .value("accepted", "messages accepted", .count(12)),
            .value("bytes", "message bytes", .bytes(3_500_000)),
            .value(nil, "remote attempts", .count(9), note: "(delivered 7, deferred 2)", shown: .read),
            .value("delivered", nil, .count(7), shown: .json),
        ])),
        .chart(ReportChart("Per hour", .stackedBars, labels: ["00", "01"], series: [.init("in", [3, 9])])),
        .section(ReportSection("Senders", [
            .table(ReportTable(key: "senders", columns: [
                ReportColumn("sender", key: "address"), ReportColumn("messages", key: "messages"),
                ReportColumn("delay", key: "delay_seconds", shown: [.json, .html]),
            ], rows: [[.address("a@x.test"), .count(10), .delay(90)], [.address("<b>\"@x.test"), .count(2), .delay(0.5)]])),
        ])),
        .table(ReportTable(key: nil, columns: [ReportColumn("sender", key: "sender"), ReportColumn("messages", key: "messages")],
                           rows: [[.text("a@x.test"), .count(10)], [.text("=cmd|' /C calc'!A0"), .count(2)]], shown: .csv)),
        .section(ReportSection("Next", shown: .read, [.command("spoolsweep spool list --auth '^a@x\\.test$'")])),
    ])

    @Test func text() {
        #expect(Self.document.rendered(.text) == """
            Report (test): 2026-11-28
            Under the title.

            Totals
              messages accepted       12
              message bytes      3.3 MiB
              remote attempts          9  (delivered 7, deferred 2)

            Senders
              sender       messages
              a@x.test           10
              <b>"@x.test         2

            Next
              spoolsweep spool list --auth '^a@x\\.test$'

            """)
    }

    @Test func json() {
        #expect(Self.document.rendered(.json) == """
            {
              "server": "test",
              "totals": {
                "accepted": 12,
                "bytes": 3500000,
                "delivered": 7
              },
              "senders": [
                {
                  "address": "a@x.test",
                  "messages": 10,
                  "delay_seconds": 90.0
                },
                {
                  "address": "<b>\\"@x.test",
                  "messages": 2,
                  "delay_seconds": 0.5
                }
              ]
            }

            """)
    }

    /// Only the tables made for CSV, formulas defused.
    @Test func csv() {
        #expect(Self.document.rendered(.csv) == "sender,messages\na@x.test,10\n'=cmd|' /C calc'!A0,2\n")
    }

    @Test func html() {
        let html = Self.document.rendered(.html)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n"))
        #expect(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\""))
        #expect(html.contains("<h1>Report (test): 2026-11-28</h1>\n<p class=\"lead\">Under the title.</p>\n"))
        #expect(html.contains("<tr><th scope=\"row\">remote attempts</th><td class=\"num\" data-v=\"9\">9</td><td>(delivered 7, deferred 2)</td></tr>"))
        #expect(!html.contains("delivered</th>"), "a JSON-only field is not shown")
        #expect(html.contains("<thead><tr><th scope=\"col\">sender</th><th scope=\"col\">messages</th><th scope=\"col\">delay</th></tr></thead>"))
        #expect(html.contains("<tr><td class=\"addr\">&lt;b&gt;&quot;@x.test</td><td class=\"num\" data-v=\"2\">2</td><td class=\"num\" data-v=\"0.5\">0.5 s</td></tr>"))
        #expect(html.contains("<code>spoolsweep spool list --auth &#39;^a@x\\.test$&#39;</code> <button type=\"button\" class=\"copy\" hidden data-copy=\"spoolsweep spool list --auth &#39;^a@x\\.test$&#39;\">copy</button>"))
        #expect(!html.contains("calc"), "a CSV-only table is not shown")
        // The chart: two bars on an axis to 10, each with its figures as a tooltip.
        #expect(html.contains("<figcaption>Per hour</figcaption>"))
        #expect(html.contains("<title>00: in 3</title></rect>") && html.contains("<title>01: in 9</title></rect>"))
        #expect(html.contains(">10</text>"))
        #expect(html.hasSuffix("</script>\n</body>\n</html>\n"))
    }

    @Test func escaping() {
        #expect(HTMLRenderer.escape("<script>alert('x')</script>\"&") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;")
        #expect(HTMLRenderer.escape("a\u{1B}[31mb\u{85}c\td") == "a\u{FFFD}[31mb\u{FFFD}c\td")
    }

    @Test func axisTopsAreRound() {
        #expect([0, 1, 3, 10, 11, 59, 120, 451, 1000, 1001].map(SVGChart.axisTop) == [1, 1, 5, 10, 20, 100, 200, 500, 1000, 2000])
        #expect(SVGChart.axisTop(Int.max) == Int.max)
    }

    /// A suspect's activity: messages per window, widened to keep at most 288 bars.
    @Test func activityBuckets() {
        let t: [Int64] = [600_000, 650_000, 1_250_000, 3_000_000]
        let a = Suspect.Activity(sortedTimes: t, window: 600)
        #expect(a.start == LocalTime(milliseconds: 600_000) && a.step == 600_000 && a.counts == [2, 1, 0, 0, 1])
        let wide = Suspect.Activity(sortedTimes: [0, 86_400_000 * 3], window: 600)
        #expect(wide.counts.count <= 288 && wide.counts.reduce(0, +) == 2 && wide.step == 600_000 * 2)
        #expect(Suspect.Activity(sortedTimes: [], window: 600).counts.isEmpty)
    }
}
