import Foundation
import Testing

/// The real Postfix tools (postsuper, postqueue, postcat, postconf), unpacked from Debian's
/// package into `.peers/postfix` by `make peers` (no daemon, no network), working on a copy of
/// the corpus queue in a temporary folder through a config folder of its own.
struct PostfixPeers {
    /// `.peers/postfix`, as `make peers` unpacks it.
    static let root = CLI.root.appendingPathComponent(".peers/postfix")
    static var sbin: URL { root.appendingPathComponent("usr/sbin") }
    /// The tools load Postfix's own shared libraries from the unpacked package.
    static var environment: [String: String] { ["LD_LIBRARY_PATH": root.appendingPathComponent("usr/lib/postfix").path] }

    /// The tools, or a recorded failure saying how to get them (a missing tool is never a pass).
    static func available(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let ok = FileManager.default.isExecutableFile(atPath: sbin.appendingPathComponent("postsuper").path)
        if !ok { Issue.record("the real Postfix tools are missing from \(root.path): run `make peers`", sourceLocation: sourceLocation) }
        return ok
    }

    /// The folder holding `queue/postfix` (the corpus queue), `cfg/main.cf` and `data/`.
    let base: URL
    var queue: URL { base.appendingPathComponent("queue/postfix") }
    var config: URL { base.appendingPathComponent("cfg") }
    /// The options that make spoolsweep act through this postsuper on this queue.
    var toolOptions: [String] { ["--queue-tool", Self.sbin.appendingPathComponent("postsuper").path, "--server-config", config.path] }

    /// A fresh copy of fixtures/postfix/queue, owned by `mail_owner` as postsuper requires,
    /// with every queue folder (git keeps no empty ones) and a main.cf whose queue_directory is it.
    init(_ name: String, queueDirectory: URL? = nil) throws {
        base = try CLI.freshFolder("postsuper-\(name)")
        let fm = FileManager.default
        try fm.createDirectory(at: base.appendingPathComponent("queue"), withIntermediateDirectories: true)
        try fm.copyItem(at: CLI.root.appendingPathComponent("fixtures/postfix/queue/postfix"), to: queue)
        for q in ["incoming", "active", "deferred", "hold", "corrupt", "maildrop", "defer", "bounce"] {
            try fm.createDirectory(at: queue.appendingPathComponent(q), withIntermediateDirectories: true)
        }
        for d in ["cfg", "data"] { try fm.createDirectory(at: base.appendingPathComponent(d), withIntermediateDirectories: true) }
        let mainCF = """
            queue_directory = \((queueDirectory ?? queue).path)
            command_directory = \(Self.sbin.path)
            daemon_directory = \(Self.root.appendingPathComponent("usr/lib/postfix/sbin").path)
            data_directory = \(base.appendingPathComponent("data").path)
            mail_owner = daemon
            setgid_group = mail
            compatibility_level = 3.6
            import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH

            """
        try mainCF.write(to: config.appendingPathComponent("main.cf"), atomically: true, encoding: .utf8)
        try "".write(to: config.appendingPathComponent("master.cf"), atomically: true, encoding: .utf8)
        let chown = try CLI.run(URL(fileURLWithPath: "/bin/chown"), ["-R", "daemon", queue.path], in: base)
        #expect(chown.status == 0, "\(chown.stderr)")
    }

    /// Runs a Postfix tool with `-c` this config.
    func tool(_ name: String, _ args: [String], input: String? = nil) throws -> CLI.Result {
        guard let input else {
            return try CLI.run(Self.sbin.appendingPathComponent(name), ["-c", config.path] + args, in: base, environment: Self.environment)
        }
        let file = base.appendingPathComponent("stdin-\(name)")
        try input.write(to: file, atomically: true, encoding: .utf8)
        return try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" -c \"$1\" \"$@\" < \"$STDIN\"", Self.sbin.appendingPathComponent(name).path, config.path] + args,
                           in: base, environment: Self.environment.merging(["STDIN": file.path]) { $1 })
    }

    /// `postqueue -j` (Postfix down, so it reads the queue directly): queue name per id.
    func postqueue() throws -> [String: [String: Any]] {
        let r = try tool("postqueue", ["-j"])
        #expect(r.status == 0, "\(r.stderr)")
        var out: [String: [String: Any]] = [:]
        for line in r.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            out[try #require(object["queue_id"] as? String)] = object
        }
        return out
    }

    /// A stand-in postsuper (a shell script, with the real postconf beside it, which spoolsweep
    /// asks for the queue directory): the options that make spoolsweep run it on this queue.
    func fakePostsuper(_ script: String) throws -> (path: String, options: [String]) {
        let bin = base.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let postsuper = bin.appendingPathComponent("postsuper")
        try ("#!/bin/sh\n" + script).write(to: postsuper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: postsuper.path)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("postconf"), withDestinationURL: Self.sbin.appendingPathComponent("postconf"))
        return (postsuper.path, ["--queue-tool", postsuper.path, "--server-config", config.path])
    }

    /// Runs spoolsweep in `base` with the tools' environment.
    func spoolsweep(_ args: [String]) throws -> CLI.Result {
        try CLI.run(args, in: base, environment: Self.environment)
    }
}
