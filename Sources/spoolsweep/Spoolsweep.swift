import ArgumentParser
import SpoolsweepCore

@main
struct SpoolsweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolsweep",
        abstract: "Spool forensics and spam clean-up for mail servers (SmarterMail, Postfix, Exim).",
        discussion: """
            Point spoolsweep at a server folder (or a copy of it): a SmarterMail root with Logs/ \
            and Spool/, a logs folder, a spool folder, or single files; a Postfix log \
            (mail.log, maillog) and queue directory; or an Exim mainlog (exim_mainlog on \
            cPanel, main.log on Red Hat) and spool directory. With no path it looks in the \
            standard locations (\(Dialects.all.flatMap(\.standardLocations).joined(separator: ", "))).

            A compromised mailbox, step by step:
              spoolsweep suspects /var/lib/smartermail         # who is sending the spam, and why
              spoolsweep spool list --auth '^jane@' /var/lib/smartermail
              spoolsweep spool shape /var/lib/smartermail      # the queue by domain and age
              spoolsweep spool quarantine --auth '^jane@' /var/lib/smartermail   # reversible
              spoolsweep summary --date today /var/lib/smartermail
              spoolsweep trace 244912742955 /var/lib/smartermail  # one message's whole story

            On Postfix, the same commands read the log and the queue directory, and change the \
            live queue through postsuper (quarantine = hold, restore = release, purge = delete):
              spoolsweep suspects /var/log/mail.log /var/spool/postfix
              spoolsweep spool quarantine --auth '^sam@' /var/spool/postfix

            On Exim, the same commands read the mainlog and the spool directory (input/, split \
            or not), and change the live queue through exim (quarantine = freeze -Mf, restore = \
            thaw -Mt, purge = -Mrm; --frozen lists what is frozen):
              spoolsweep suspects /var/log/exim4/mainlog /var/spool/exim4
              spoolsweep spool list --frozen /var/spool/exim4
              spoolsweep spool quarantine --subject '^Invoice overdue' /var/spool/exim4

            Exit status: 0 success (findings such as orphaned spool files included); 1 suspects \
            found (--fail-on-suspect), or trace found no message; 2 some input could not \
            be read, or some message could not be moved (warnings on standard error; the rest \
            was done); 3 both; 64 bad option or pattern; 66 no such path, or not a known server \
            layout; 73 the quarantine cannot be used (damaged or foreign journal), or the output file cannot be written; 75 another \
            spoolsweep run is changing the same spool.
            """,
        version: "0.1.0",
        subcommands: [SummaryCommand.self, SuspectsCommand.self, WatchCommand.self, SpoolCommand.self, TraceCommand.self, EventsCommand.self]
    )
}
