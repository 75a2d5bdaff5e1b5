import Foundation
import Testing

/// The README says what the binary does: the commands of its walkthroughs are run, in order, on
/// copies of the fixtures (a SmarterMail server, and a Postfix queue and an Exim spool changed
/// through their real tools), and every output line the README quotes (`#    → ...`) is a line
/// of what they print. `…` in a quoted line stands for any text; batch ids are the run's own.
@Suite(.serialized) struct ReadmeTests {
    /// One command of a README `sh` block and the output lines quoted under it.
    struct Step {
        var command: String
        var quoted: [String] = []
    }

    /// The `sh` blocks of the README section headed `heading`, as steps.
    static func steps(under heading: String) throws -> [Step] {
        let text = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        var steps: [Step] = [], section = "", inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("#"), !inBlock { section = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("```") { inBlock = line == "```sh"; continue }
            guard inBlock, section == heading else { continue }
            if line.hasPrefix("spoolsweep ") {
                let command = line.components(separatedBy: "   #").first!.trimmingCharacters(in: .whitespaces)
                steps.append(Step(command: command))
            } else if line.hasPrefix("#    → ") || line.hasPrefix("#      "), !steps.isEmpty {
                steps[steps.count - 1].quoted.append(String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            }
        }
        return steps
    }

    /// A batch id as spoolsweep prints it, `q-YYYYMMDD-HHMMSS-xxxx`, at `i` in `s`.
    static func batchID(in s: String) -> String? {
        let chars = Array(s)
        for i in chars.indices where chars[i] == "q" && i + 22 <= chars.count && chars[i + 1] == "-" {
            let id = String(chars[i..<(i + 22)])
            let parts = id.split(separator: "-")
            if parts.count == 4, parts[1].count == 8, parts[2].count == 6, parts[3].count == 4,
               parts[1].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber) { return id }
        }
        return nil
    }

    /// Whether an output line shows the quoted line: equal, with `…` for any text and batch ids
    /// for any batch id.
    static func shows(_ output: String, _ quoted: String) -> Bool {
        var q = quoted
        while let id = batchID(in: q) { q = q.replacingOccurrences(of: id, with: "…") }
        q = q.replacingOccurrences(of: "q-…", with: "…")
        let parts = q.components(separatedBy: "…")
        return output.split(separator: "\n").contains { line in
            var rest = Substring(line.trimmingCharacters(in: .whitespaces))
            for (i, part) in parts.enumerated() {
                if part.isEmpty { continue }
                if i == 0 {
                    guard rest.hasPrefix(part) else { return false }
                    rest = rest.dropFirst(part.count)
                } else if let r = rest.range(of: part) {
                    rest = rest[r.upperBound...]
                } else { return false }
            }
            return parts.count == 1 ? rest.isEmpty : (parts.last!.isEmpty || rest.isEmpty)
        }
    }

    /// Runs the steps through `/bin/sh` in `folder`, `spoolsweep` being the built binary and each
    /// README path replaced; a `q-…` batch id in a command is the last one printed.
    func walk(_ steps: [Step], in folder: URL, paths: [(String, String)], extra: (String) -> String = { _ in "" },
              environment: [String: String] = [:]) throws {
        #expect(!steps.isEmpty)
        // Files older than --min-age, as on a server whose mail waits in the queue.
        let touch = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "find . -exec touch -h -d '2026-11-28 12:00:00' {} +"], in: folder)
        #expect(touch.status == 0, "\(touch.stderr)")
        var lastBatch = "none"
        for step in steps {
            var command = step.command
            for (readme, here) in paths { command = command.replacingOccurrences(of: readme, with: here) }
            if let id = Self.batchID(in: command) { command = command.replacingOccurrences(of: id, with: "q-…") }
            command = command.replacingOccurrences(of: "q-…", with: lastBatch)
            command = "'\(CLI.binary.path)'" + command.dropFirst("spoolsweep".count) + extra(command)
            let r = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", command], in: folder, environment: environment)
            let output = r.stdout + r.stderr
            #expect([0, 1].contains(r.status), "\(step.command) exited \(r.status): \(r.stderr)")
            for quoted in step.quoted {
                #expect(Self.shows(output, quoted), "`\(step.command)` does not print «\(quoted)»; it printed:\n\(output)")
            }
            if let id = Self.batchID(in: output.components(separatedBy: "Quarantined").dropFirst().first ?? "") { lastBatch = id }
        }
    }

    @Test func theQuotedLinesMatchWithWildcards() {
        #expect(Self.shows("  Quarantined 72 messages (218.7 KB) into batch q-20261202-104146-e206\n", "Quarantined 72 messages (218.7 KB) into batch q-20261128-180312-4f2a"))
        #expect(Self.shows("Quarantined 172 messages (400 KB) into batch q-20261202-104146-e206: put on hold", "Quarantined 172 messages (…) into batch q-…: put on hold"))
        #expect(!Self.shows("Quarantined 176 messages (400 KB) into batch q-20261202-104146-e206: put on hold", "Quarantined 172 messages (…) into batch q-…: put on hold"))
        #expect(!Self.shows("! 59 messages in 10m from x", "! 59 messages in 10m"))
    }

    @Test func smarterMailWalkthrough() throws {
        let folder = try CLI.freshFolder("readme-smartermail")
        try FileManager.default.copyItem(at: CLI.sampleCopy.appendingPathComponent("smartermail"), to: folder.appendingPathComponent("smartermail"))
        try walk(try Self.steps(under: "Cleaning up after a compromised mailbox"), in: folder,
                 paths: [("/var/lib/smartermail", "smartermail")],
                 extra: { $0.contains(" suspects ") || $0.hasPrefix("spoolsweep suspects") ? " --now 2026-11-28T18:00:00" : "" })
    }

    @Test func postfixWalkthrough() throws {
        guard PostfixPeers.available() else { return }
        let peers = try PostfixPeers("readme")
        let log = CLI.root.appendingPathComponent("fixtures/postfix/maillog").path
        try walk(try Self.steps(under: "On Postfix"), in: peers.base,
                 paths: [("/var/log/mail.log", log), ("/var/spool/postfix", peers.queue.path)],
                 extra: { $0.contains(" suspects ") ? "" : " " + peers.toolOptions.map { "'\($0)'" }.joined(separator: " ") },
                 environment: PostfixPeers.environment)
    }

    @Test func eximWalkthrough() throws {
        guard EximPeers.available() else { return }
        let peers = try EximPeers("readme")
        let log = CLI.root.appendingPathComponent("fixtures/exim/log").path
        try walk(try Self.steps(under: "On Exim"), in: peers.base,
                 paths: [("/var/log/exim4/mainlog.1 /var/log/exim4/mainlog", log), ("/var/log/exim4/mainlog", log),
                         ("/var/spool/exim4", peers.spool.path)],
                 extra: { $0.contains(" suspects ") || $0.contains(" summary ") || $0.contains(" list ") ? ""
                     : " " + peers.toolOptions.map { "'\($0)'" }.joined(separator: " ") },
                 environment: peers.environment)
    }
}
