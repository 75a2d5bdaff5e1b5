import Foundation
import Testing

/// `man/spoolsweep.1` is generated from the command definitions (`make man`); this test fails
/// when the binary's help has changed and the page was not regenerated.
struct ManPageTests {
    /// Text as the generator writes it into the page: a backslash is roff's `\e`.
    func roff(_ text: String) -> String { text.replacingOccurrences(of: "\\", with: "\\e") }

    @Test func manPageMatchesTheBinarysHelp() throws {
        let page = try String(contentsOf: CLI.root.appendingPathComponent("man/spoolsweep.1"), encoding: .utf8)
        let dump = try CLI.run(["--experimental-dump-help"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let optionLines = page.split(separator: "\n").filter { $0.hasPrefix(".It Fl") }
        var missing: [String] = []
        func visit(_ command: [String: Any]) {
            for key in ["abstract", "discussion"] {
                // The generator writes each paragraph of a discussion on its own.
                for paragraph in ((command[key] as? String) ?? "").components(separatedBy: "\n\n") where !paragraph.isEmpty {
                    if !page.contains(roff(paragraph)) { missing.append(paragraph) }
                }
            }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                if let abstract = argument["abstract"] as? String, !page.contains(roff(abstract)) { missing.append(abstract) }
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    // `.It Fl -name` or, with a short name too, `.It Fl i , -name`.
                    let long = "-\(name["name"] as! String)"
                    if !optionLines.contains(where: { $0.hasSuffix(" \(long)") || $0.contains(" \(long) ") }) { missing.append(long) }
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { visit(sub) }
        }
        visit(try #require(json["command"] as? [String: Any]))
        #expect(missing.isEmpty, "man/spoolsweep.1 is out of date (run `make man`); missing: \(missing)")
    }

    /// `man spoolsweep` renders without a warning from groff's mdoc macros (all warnings on).
    @Test func manPageHasNoMdocWarnings() throws {
        let groff = URL(fileURLWithPath: "/usr/bin/groff")
        guard FileManager.default.isExecutableFile(atPath: groff.path) else {
            Issue.record("groff not found: the man page is checked with it; install it with `apt-get install groff-base`")
            return
        }
        let r = try CLI.run(groff, ["-mandoc", "-ww", "-z", "man/spoolsweep.1"], in: CLI.root)
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }
}

/// `make install` installs the completions the binary generates (ArgumentParser): each shell's
/// script generates, names every command and option, and bash's parses.
struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptGenerates(_ shell: String) throws {
        let r = try CLI.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        for word in ["summary", "suspects", "watch", "quarantine", "quarantined", "restore", "mail-to", "format", "min-age"] {
            #expect(r.stdout.contains(word), "\(shell): \(word)")
        }
        if shell == "bash" {
            let script = try CLI.freshFolder("completion").appendingPathComponent("spoolsweep.bash")
            try r.stdout.write(to: script, atomically: true, encoding: .utf8)
            let check = try CLI.run(URL(fileURLWithPath: "/bin/bash"), ["-n", script.path], in: script.deletingLastPathComponent())
            #expect(check.status == 0, "\(check.stderr)")
        }
        let makefile = try String(contentsOf: CLI.root.appendingPathComponent("Makefile"), encoding: .utf8)
        #expect(makefile.contains("$(RELEASE_BIN) --generate-completion-script \(shell) > "), "make install installs the \(shell) completion")
    }
}
