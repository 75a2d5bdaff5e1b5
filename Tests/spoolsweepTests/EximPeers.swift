import Foundation
import Testing

/// The real exim (4.96, Debian's exim4-daemon-light), unpacked into `.peers/exim` by
/// `make peers` (no daemon, no network), working on a copy of the corpus spool in a temporary
/// folder through a minimal configuration file of its own.
///
/// exim resolves its compiled-in user (`Debian-exim`) before reading any configuration, and
/// aborts when the system has no such user. Rather than adding a system user, the tools run
/// with nss_wrapper (unpacked beside exim): `LD_PRELOAD=libnss_wrapper.so` with a passwd and a
/// group file of the test's own that hold `Debian-exim`, so nothing on the machine changes.
struct EximPeers {
    /// `.peers/exim`, as `make peers` unpacks it.
    static let root = CLI.root.appendingPathComponent(".peers/exim")
    static var exim: URL { root.appendingPathComponent("usr/sbin/exim4") }
    static var libraries: URL { root.appendingPathComponent("usr/lib/x86_64-linux-gnu") }
    /// The ids the spool files are owned by (those of the corpus's Debian-exim).
    static let uid = 105, gid = 109

    /// exim and nss_wrapper, or a recorded failure saying how to get them (never a silent pass).
    static func available(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let fm = FileManager.default
        let ok = fm.isExecutableFile(atPath: exim.path) && fm.fileExists(atPath: libraries.appendingPathComponent("libnss_wrapper.so").path)
        if !ok { Issue.record("the real exim (or nss_wrapper) is missing from \(root.path): run `make peers`", sourceLocation: sourceLocation) }
        return ok
    }

    /// The folder holding `exim4/` (the corpus spool), `exim.conf`, `log/`, `passwd`, `group`.
    let base: URL
    var spool: URL { base.appendingPathComponent("exim4") }
    var config: URL { base.appendingPathComponent("exim.conf") }
    /// The options that make spoolsweep act through this exim on this spool.
    var toolOptions: [String] { ["--queue-tool", Self.exim.path, "--server-config", config.path] }

    var environment: [String: String] {
        ["LD_LIBRARY_PATH": Self.libraries.path,
         "LD_PRELOAD": Self.libraries.appendingPathComponent("libnss_wrapper.so").path,
         "NSS_WRAPPER_PASSWD": base.appendingPathComponent("passwd").path,
         "NSS_WRAPPER_GROUP": base.appendingPathComponent("group").path]
    }

    /// A fresh copy of fixtures/exim/spool/exim4 owned by Debian-exim, and a configuration whose
    /// spool_directory is it (or `spoolDirectory`).
    init(_ name: String, spoolDirectory: URL? = nil) throws {
        base = try CLI.freshFolder("exim-\(name)")
        let fm = FileManager.default
        try fm.createDirectory(at: base.appendingPathComponent("log"), withIntermediateDirectories: true)
        try fm.copyItem(at: CLI.root.appendingPathComponent("fixtures/exim/spool/exim4"), to: spool)
        try "root:x:0:0:root:/root:/bin/sh\nDebian-exim:x:\(Self.uid):\(Self.gid)::\(base.path):/bin/false\n"
            .write(to: base.appendingPathComponent("passwd"), atomically: true, encoding: .utf8)
        try "root:x:0:\nDebian-exim:x:\(Self.gid):\n".write(to: base.appendingPathComponent("group"), atomically: true, encoding: .utf8)
        let conf = """
            spool_directory = \((spoolDirectory ?? spool).path)
            exim_user = Debian-exim
            exim_group = Debian-exim
            split_spool_directory = true
            log_file_path = \(base.appendingPathComponent("log").path)/%slog
            keep_environment =
            begin routers
            begin transports

            """
        try conf.write(to: config, atomically: true, encoding: .utf8)
        let chown = try CLI.run(URL(fileURLWithPath: "/bin/chown"), ["-R", "\(Self.uid):\(Self.gid)", spool.path, base.appendingPathComponent("log").path], in: base)
        #expect(chown.status == 0, "\(chown.stderr)")
    }

    /// Runs exim with `-C` this configuration.
    func run(_ args: [String]) throws -> CLI.Result {
        try CLI.run(Self.exim, ["-C", config.path] + args, in: base, environment: environment)
    }

    /// `exim -bp`: each message's line (age, size, id, <sender>, frozen) and its pending
    /// recipients (those without a `D`), by id.
    func queue() throws -> [String: (line: String, frozen: Bool, recipients: [String])] {
        let r = try run(["-bp"])
        #expect(r.status == 0, "\(r.stderr)")
        var out: [String: (line: String, frozen: Bool, recipients: [String])] = [:]
        var current: String?
        for line in r.stdout.split(separator: "\n").map(String.init) {
            let words = line.split(separator: " ").map(String.init)
            if line.hasPrefix("          "), let id = current { out[id]!.recipients.append(words[0]); continue }
            if line.hasPrefix("        D ") { continue }
            guard words.count >= 4 else { continue }
            current = words[2]
            out[words[2]] = (line, line.hasSuffix("*** frozen ***"), [])
        }
        return out
    }

    /// `exim -bpc`.
    func count() throws -> Int? {
        Int(try run(["-bpc"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A stand-in exim (a shell script) that answers `-bP` with the real one and runs `body`
    /// for everything else: the options that make spoolsweep run it on this spool.
    func fakeExim(_ body: String) throws -> (path: String, options: [String]) {
        let bin = base.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let exim = bin.appendingPathComponent("exim")
        let script = "#!/bin/sh\ncase \" $* \" in *\" -bP \"*) exec \"\(Self.exim.path)\" \"$@\";; esac\n" + body
        try script.write(to: exim, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exim.path)
        return (exim.path, ["--queue-tool", exim.path, "--server-config", config.path])
    }

    /// Runs spoolsweep in `base` with the tools' environment.
    func spoolsweep(_ args: [String]) throws -> CLI.Result {
        try CLI.run(args, in: base, environment: environment)
    }
}
