import ArgumentParser
import SpoolsweepCore

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow the live logs and alert within seconds when a sender starts spamming.",
        discussion: """
            Follows the server's current logs as tail -F does (SmarterMail: today's and \
            yesterday's smtpLog, delivery and administrative logs in Logs/, a new day's files as \
            they appear; Postfix: mail.log or maillog; Exim: mainlog), through rotation by \
            rename, copy-truncate, deletion and files created later; rotated .gz files are not \
            read again. At the start the current files are read from their beginning, so \
            today's evidence is whole. The evidence is today's (server local time), assessed \
            with the same rules, thresholds and reasons as `suspects --date today`, within a \
            quarter of a second of each new line. A sender newly over a threshold gets one alert \
            (text, or one JSON object a line with --format json) with the reasons, the figures \
            and the next command; then a reminder every --remind while it stays over and keeps \
            sending. The alerts go to standard output; what happens to files, notices and holds \
            to standard error.

            --exec runs a program for each alert and reminder (no shell: the words of CMD split \
            at blanks), the notice as JSON on its standard input and SPOOLSWEEP_EVENT, _TIME, \
            _SERVER, _SENDER, _KIND, _SCORE, _REASONS, _MESSAGES and _NEXT_COMMAND in its \
            environment, with --exec-timeout to finish (then its process group is killed). \
            --mail-to sends the notice through the local sendmail -t. A notice that cannot be \
            delivered is reported and retried (10 s, 20 s, 40 s... at most 10 min apart), kept \
            in the state across restarts, never dropped.

            --hold quarantines an alerted sender's queued messages through the server's own \
            safe action (SmarterMail: journaled move; Postfix: postsuper -h; Exim: exim -Mf), as \
            `spool quarantine --auth '^NAME$'` would (--ip for a relaying IP), one batch a run, \
            and goes on holding its new messages as they are queued, until `watch --release \
            NAME` or a `spool restore` of one of its batches. Senders under every threshold are \
            never held; messages being written or younger than --min-age wait for a later run. \
            --hold-dry-run says what it would hold.

            --state (default: spoolsweep-watch.json beside the quarantine folder) keeps the \
            files followed (device, inode and offset), the senders alerted about today, those \
            held and the notices not delivered, written atomically at most once a second: a \
            restarted watch reads the same files again from their start (each line counted \
            once), finds a file rotated while it was stopped by its inode, and repeats no alert. \
            SIGTERM, SIGINT and SIGHUP stop it cleanly, the state saved.
              spoolsweep watch --mail-to postmaster@example.com /var/lib/smartermail
              spoolsweep watch --format json --exec '/usr/local/bin/page-oncall' /var/log/mail.log /var/spool/postfix
              spoolsweep watch --hold --rate 100/10m /var/log/exim4/mainlog /var/spool/exim4
              spoolsweep watch --release jane@example.com /var/lib/smartermail
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var limits: ThresholdOptions

    @Option(help: "How alerts are printed: text, or json (one object a line).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Remind of a sender still over a threshold and still sending this long after its last notice (0: never).", valueName: "duration"))
    var remind = "15m"

    @Option(help: ArgumentHelp("Run this program for each alert and reminder (no shell; the notice as JSON on its standard input).", valueName: "cmd"))
    var exec: String?

    @Option(name: .customLong("exec-timeout"), help: ArgumentHelp("How long --exec (and sendmail) may run before it is killed.", valueName: "duration"))
    var execTimeout = "30s"

    @Option(name: .customLong("mail-to"), help: ArgumentHelp("Mail each alert and reminder to this address through the local sendmail -t.", valueName: "address"))
    var mailTo: String?

    @Option(help: ArgumentHelp("The sendmail program for --mail-to (default: found in $PATH, /usr/sbin or /usr/lib).", valueName: "path"))
    var sendmail: String?

    @Flag(help: "Quarantine an alerted sender's queued messages, and its new ones as they are queued, until released.")
    var hold = false

    @Flag(name: .customLong("hold-dry-run"), help: "Say what --hold would quarantine; change nothing.")
    var holdDryRun = false

    @Option(name: .customLong("hold-every"), help: ArgumentHelp("How often --hold looks again for a held sender's new messages (when the logs show more of them).", valueName: "duration"))
    var holdEvery = "10s"

    @Option(name: .customLong("min-age"), help: ArgumentHelp("--hold leaves messages with a file modified more recently than this for a later run.", valueName: "age"))
    var minAge = "60s"

    @Flag(help: "--hold on a queue copy no server runs on: move its files instead of acting through the server's command.")
    var offline = false

    @OptionGroup var tools: ServerToolOptions
    @OptionGroup var quarantine: QuarantineOptions

    @Option(help: ArgumentHelp("The state file (default: spoolsweep-watch.json beside the quarantine folder; none when there is no spool).", valueName: "file"))
    var state: String?

    @Option(help: ArgumentHelp("Stop holding this sender (an account or IP, as the alert names it) in the watch that keeps --state, and exit.", valueName: "sender"))
    var release: String?

    @Option(help: ArgumentHelp("The longest wait between two looks at the files when inotify cannot tell.", valueName: "duration"))
    var poll = "1s"

    func run() throws {
        try running {
            guard source.now == nil else { throw SpoolsweepError.badValue("--now: watch follows the logs as they are written, on this machine's clock") }
            guard format == .text || format == .json else { throw SpoolsweepError.badValue("--format \(format.rawValue): watch prints text or json") }
            let input = try source.selection
            let statePath = state ?? Spoolsweep.defaultWatchState(input, quarantineRoot: quarantine.to)
            if let release {
                guard let statePath else { throw SpoolsweepError.badValue("--release: no spool to find the watch's state beside; give --state FILE") }
                try WatchState.requestRelease(release, statePath: statePath)
                print("release of \(release) requested: the watch keeping \(statePath) lets go of it within a second (or at its next start)")
                return
            }
            var cleanup = CleanupOptions(filter: SpoolFilter(), now: LocalTime.now())
            cleanup.offline = offline
            cleanup.tools = tools.settings
            cleanup.quarantineRoot = quarantine.to
            cleanup.minAge = Int(try checkedDuration(minAge, "--min-age"))
            var options = WatchOptions(cleanup: cleanup)
            options.thresholds = try limits.thresholds()
            options.remindEvery = try checkedDuration(remind, "--remind")
            options.json = format == .json
            if let exec {
                let words = exec.split(separator: " ").map(String.init)
                guard let program = words.first else { throw SpoolsweepError.badValue("--exec: give a program") }
                guard program.contains("/") else { throw SpoolsweepError.badValue("--exec \(program): give the program's path (no shell looks it up)") }
                options.exec = words
            }
            options.execTimeout = try SpoolsweepError.checkedDuration(execTimeout, "--exec-timeout", 1...3600)
            options.mailTo = mailTo
            options.sendmail = sendmail
            options.hold = hold
            options.holdDryRun = holdDryRun
            options.holdEvery = try SpoolsweepError.checkedDuration(holdEvery, "--hold-every", 1...86_400)
            options.statePath = statePath
            options.pollMilliseconds = Int32(try SpoolsweepError.checkedDuration(poll, "--poll", 1...60) * 1000)
            options.pathsText = source.pathsText
            var out = try StreamedOutput(to: nil)
            let status = try Spoolsweep.watch(input, options: options, emit: { text in
                out.write(text)
                out.flush()
            }, log: { printError("spoolsweep watch: \($0)") })
            throw ExitCode(status.code)
        }
    }
}

extension SpoolsweepError {
    /// A duration option within `range` seconds.
    static func checkedDuration(_ text: String, _ option: String, _ range: ClosedRange<Int64>) throws(SpoolsweepError) -> Int64 {
        let d = try SpoolsweepCore.checkedDuration(text, option)
        guard range.contains(d) else {
            throw .badValue("\(option): expected a duration from \(range.lowerBound)s to \(range.upperBound)s, got '\(text)'")
        }
        return d
    }
}
