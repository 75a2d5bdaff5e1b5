import Foundation
import Testing

/// The README's JSON section names each report's members: those are the members the binary
/// writes, no more and no fewer (the nested ones are golden-tested elsewhere), and the keys it
/// names inside Postfix's and Exim's `server_totals` are there.
struct ReadmeSchemaTests {
    static let readme = try! String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)

    /// The text of the README bullet that starts with `prefix` (after it), up to the next bullet
    /// or blank line.
    static func bullet(_ prefix: String) throws -> String {
        let start = try #require(readme.range(of: "\n" + prefix))
        let rest = readme[start.upperBound...]
        let end = [rest.range(of: "\n- "), rest.range(of: "\n\n")].compactMap { $0?.lowerBound }.min() ?? rest.endIndex
        return String(rest[..<end]).replacingOccurrences(of: "\n  ", with: " ")
    }

    /// The members a schema sentence names at its top level: the first word of each backticked
    /// part outside parentheses (`a {...}`, `b`/`c [...]`; a name may hold spaces, as eximstats'
    /// labels do), up to the end of the sentence or a `;`.
    static func members(_ text: String) -> [String] {
        var out: [String] = [], depth = 0, inTicks = false, current = ""
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if c == "`" {
                if inTicks, depth == 0 {
                    // The name ends where its members begin: `totals {…}`, `days [{…}]`.
                    for part in current.split(separator: "/") {
                        out.append(String(part.prefix { $0 != "{" && $0 != "[" }).trimmingCharacters(in: .whitespaces))
                    }
                }
                inTicks.toggle(); current = ""; continue
            }
            if inTicks { current.append(c); continue }
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if depth == 0 && (c == ";" || (c == "." && (chars.first == " " || chars.first == nil))) { break }
        }
        return out
    }

    /// The top-level members of `args`' JSON output, but the `input` every report ends with.
    static func written(_ args: [String], in folder: URL = CLI.root.appendingPathComponent("fixtures")) throws -> [String: Any] {
        let r = try CLI.run(args + ["--format", "json"] + GoldenTests.now, in: folder)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(args): \(r.stderr)")
        object["input"] = nil
        return object
    }

    @Test(arguments: [
        ("- `summary`: ", ["summary", "smartermail"]),
        ("- `suspects`: ", ["suspects", "smartermail"]),
        ("- `spool list`: ", ["spool", "list", "smartermail"]),
        ("- `spool shape`: ", ["spool", "shape", "smartermail"]),
        ("- `spool quarantine`, `purge`, `restore`: ", ["spool", "quarantine", "--all", "--dry-run", "smartermail"]),
        ("- `spool quarantined`: ", ["spool", "quarantined", "smartermail"]),
        ("- `trace`: ", ["trace", "151105393288", "smartermail"]),
    ])
    func eachReportsMembersAreTheREADMEs(_ prefix: String, _ args: [String]) throws {
        let text = try Self.bullet(prefix)
        let named = Self.members(text)
        #expect(Set(named) == Set(try Self.written(args).keys), "README: \(named)")
        #expect(named.count == Set(named).count)
    }

    @Test func serverTotalsKeysAreThere() throws {
        let summary = try Self.bullet("- `summary`: ")
        // Postfix: pflogsumm's labels, as examples, and the tables.
        let postfix = try #require(try Self.written(["summary", "postfix/maillog"], in: PostfixCLITests.copy)["server_totals"] as? [String: Any])
        for key in ["received", "reject warnings", "bytes delivered", "per_hour", "deliveries_by_domain", "received_by_domain"] {
            #expect(postfix[key] != nil, "\(key)")
            #expect(summary.contains("`\"\(key)\"`") || summary.contains("`\(key) ") || summary.contains("`\(key)`"), "README names \(key)")
        }
        // Exim: every key, as the README lists them.
        let eximPart = try #require(summary.range(of: "(`eximstats -nvr`): ")).upperBound
        let listed = Self.members(String(summary[eximPart...]))
        let exim = try #require(try Self.written(["summary", "exim/log/mainlog"])["server_totals"] as? [String: Any])
        #expect(Set(listed) == Set(exim.keys), "README: \(listed)")
    }

    /// The standard locations are listed once in the code; the README and --help say the same.
    @Test func standardLocationsAreListedAlike() throws {
        let text = Self.readme.replacingOccurrences(of: "\n", with: " ")
        let start = try #require(text.range(of: "with no path the standard locations ")).upperBound
        let end = try #require(text[start...].range(of: "), ")).lowerBound
        let listed = text[start..<end].trimmingCharacters(in: CharacterSet(charactersIn: "(")).components(separatedBy: ", ")
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        let help = try CLI.run(["--help"])
        let flat = help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        let fromHelp = try #require(flat.range(of: "standard locations (")).upperBound
        let helpEnd = try #require(flat[fromHelp...].range(of: ").")).lowerBound
        let helpList = flat[fromHelp..<helpEnd].components(separatedBy: ", ")
        #expect(listed == helpList.map { String($0) }, "README \(listed), --help \(helpList)")
        #expect(listed.count == 11)
    }

    /// The CSV layouts the README describes.
    @Test func csvLayoutsAreTheREADMEs() throws {
        #expect(Self.readme.contains("`spool shape` is one table\ntoo, whose first column says which ranking a row belongs to (`table,name,total,5m,…,1280m+`:"))
        let shape = try CLI.run(["spool", "shape", "--format", "csv"] + GoldenTests.now + ["smartermail"])
        let lines = shape.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "table,name,total,5m,10m,20m,40m,80m,160m,320m,640m,1280m,1280m+")
        let tables = lines.dropFirst().filter { !$0.isEmpty }.map { $0.prefix { $0 != "," } }
        #expect(tables.first == "recipient_domain" && tables.last == "sender")
        #expect(tables == tables.sorted { ($0 == "recipient_domain" ? 0 : 1) < ($1 == "recipient_domain" ? 0 : 1) })
        let summary = try CLI.run(["summary", "--format", "csv", "smartermail"])
        let blocks = summary.stdout.components(separatedBy: "\n\n")
        #expect(blocks.count > 1)
        #expect(blocks.allSatisfy { !$0.isEmpty && !$0.hasPrefix("\n") })
    }
}
