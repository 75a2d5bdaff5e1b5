import Testing
@testable import SpoolsweepCore

/// Line shapes of Exim's main log (formats.md §3.1), read through the library entry point.
@Suite struct EximLogTests {
    func facts(_ text: String, name: String = "mainlog") throws -> ([OwnedMailFact], Diagnostics) {
        let dir = try TempFolder("eximlog")
        let path = try dir.write(name, text)
        let (facts, diagnostics) = try Spoolsweep.facts(InputSelection(paths: [path]))
        return (facts, diagnostics)
    }

    static func at(_ m: Int, _ s: Int, ms: Int64 = 0) -> LocalTime {
        LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: 29, hour: 3, minute: m, second: s).milliseconds + ms)
    }

    /// An arrival with its recipients logged is accepted at once (its time, IP, account, size,
    /// protocol); the account's login too; each delivery with the address as received, the
    /// sender from `F=`, local when no `H=`; `Completed` removes it.
    @Test func factsOfOneMessage() throws {
        let (facts, diagnostics) = try facts("""
            2026-11-29 03:24:38.931 1xXVWo-0007N7-2z <= olivia@acme-corp.test H=(OLIVIA-T14.acme-corp.test) [127.0.0.21]:56209 P=esmtpa A=login:olivia@acme-corp.test S=711 id=E2F1FA49FBC0.vimn24ty9m@acme-corp.test T="Q2 roadmap kick-off" for liam@acme-corp.test x@far.test
            2026-11-29 03:24:38.942 1xXVWo-0007N7-2z => liam <liam@acme-corp.test> F=<olivia@acme-corp.test> P=<olivia@acme-corp.test> R=local_user T=mail_spool QT=0.011s DT=0.002s
            2026-11-29 03:24:39.000 1xXVWo-0007N7-2z H=127.0.0.1 [127.0.0.1]:2599 Connection refused
            2026-11-29 03:24:39.401 1xXVWo-0007N7-2z == x@far.test R=smarthost T=remote_smtp_smarthost defer (111): Connection refused DT=0.000s
            2026-11-29 03:25:00.000 1xXVWo-0007N7-2z => x@far.test F=<olivia@acme-corp.test> R=dnslookup T=remote_smtp H=mx.far.test [192.0.2.7]:25 X=TLS1.3 C="250 OK id=1abc" QT=21s DT=0.3s
            2026-11-29 03:25:00.001 1xXVWo-0007N7-2z Completed

            """)
        #expect(diagnostics.warnings.isEmpty)
        #expect(facts == [
            .login(time: Self.at(24, 38, ms: 931), ip: "127.0.0.21", protocolName: "SMTP AUTH", account: "olivia@acme-corp.test", success: true),
            .accepted(time: Self.at(24, 38, ms: 931), key: "1xXVWo-0007N7-2z", clientIP: "127.0.0.21", account: "olivia@acme-corp.test",
                      sender: "olivia@acme-corp.test", recipients: ["liam@acme-corp.test", "x@far.test"], size: 711,
                      protocolName: "esmtpa", spoolName: nil, helo: "OLIVIA-T14.acme-corp.test",
                      messageID: "E2F1FA49FBC0.vimn24ty9m@acme-corp.test"),
            .delivery(time: Self.at(24, 38, ms: 942), key: "1xXVWo-0007N7-2z", sender: "olivia@acme-corp.test", recipient: "liam@acme-corp.test",
                      isLocal: true, outcome: .delivered, word: "delivered", detail: "delivered", attempt: 0),
            .delivery(time: Self.at(24, 39, ms: 401), key: "1xXVWo-0007N7-2z", sender: "olivia@acme-corp.test", recipient: "x@far.test",
                      isLocal: false, outcome: .deferred, word: "deferred", detail: "Connection refused", attempt: 0),
            .delivery(time: Self.at(25, 0), key: "1xXVWo-0007N7-2z", sender: "olivia@acme-corp.test", recipient: "x@far.test",
                      isLocal: false, outcome: .delivered, word: "delivered", detail: "delivered", attempt: 0),
            .removed(time: Self.at(25, 0, ms: 1), key: "1xXVWo-0007N7-2z"),
        ])
    }

    /// Exim's default log_selector logs no recipients on `<=`: they come from the delivery lines
    /// (`=>`, `->`, `**`, `==`; once each) and the message is reported at `Completed`, with the
    /// arrival's time. Also: `[pid]`, a time-zone suffix, the 23-character id form, `<>`.
    @Test func recipientsFromDeliveriesWhenTheArrivalHasNone() throws {
        let (facts, _) = try facts("""
            2026-11-29 03:24:35 +0100 [1234] 1vnYk1-000000033BQ-1E0a <= <> H=mx.remote.test [192.0.2.9] P=esmtp S=1200 id=x@y
            2026-11-29 03:24:36 +0100 [1235] 1vnYk1-000000033BQ-1E0a => a@far.test R=dnslookup T=remote_smtp H=mx.far.test [192.0.2.7]
            2026-11-29 03:24:36 +0100 [1235] 1vnYk1-000000033BQ-1E0a -> b@far.test R=dnslookup T=remote_smtp H=mx.far.test [192.0.2.7]
            2026-11-29 03:24:37 +0100 [1235] 1vnYk1-000000033BQ-1E0a ** c@acme.test <alias@acme.test>: Unrouteable address
            2026-11-29 03:24:37 +0100 [1235] 1vnYk1-000000033BQ-1E0a == a@far.test R=dnslookup T=remote_smtp defer (-44): retry time not reached
            2026-11-29 03:24:38 +0100 [1235] 1vnYk1-000000033BQ-1E0a Completed

            """)
        let accepted = facts.filter { if case .accepted = $0 { return true } else { return false } }
        #expect(accepted == [
            .accepted(time: Self.at(24, 35), key: "1vnYk1-000000033BQ-1E0a", clientIP: "192.0.2.9", account: nil, sender: "",
                      recipients: ["a@far.test", "b@far.test", "alias@acme.test"], size: 1200, protocolName: "esmtp", spoolName: nil,
                      messageID: "x@y"),
        ])
        #expect(facts.last == .removed(time: Self.at(24, 38), key: "1vnYk1-000000033BQ-1E0a"))
        #expect(facts.contains(.delivery(time: Self.at(24, 37), key: "1vnYk1-000000033BQ-1E0a", sender: "", recipient: "alias@acme.test",
                                         isLocal: false, outcome: .bounced, word: "failed", detail: "Unrouteable address", attempt: 0)))
    }

    /// The HELO and the subject are the sender's text: ` A=`, ` S=`, ` P=` or `for ` inside them
    /// change neither the account, the size, the protocol, the IP nor the recipients (the HELO is
    /// kept whole, the Message-ID up to its blank).
    @Test func fieldsTheSenderWritesDelimitNothing() throws {
        let (facts, _) = try facts(#"""
            2026-11-29 03:24:35 1xXVWl-0007Mm-1F <= a@acme.test H=fake.name (evil A=plain:boss@acme.test S=99999 P=esmtpa [6.6.6.6]:25) [127.0.0.9]:4000 P=esmtp S=668 id=<x A=plain:ceo> T="Hi \" A=plain:ceo@acme.test S=1 for victim@acme.test" for customer@far.test

            """#)
        #expect(facts == [
            .accepted(time: Self.at(24, 35), key: "1xXVWl-0007Mm-1F", clientIP: "127.0.0.9", account: nil, sender: "a@acme.test",
                      recipients: ["customer@far.test"], size: 668, protocolName: "esmtp", spoolName: nil,
                      helo: "evil A=plain:boss@acme.test S=99999 P=esmtpa [6.6.6.6]:25", messageID: "<x"),
        ])
    }

    /// Logins: `authenticator failed` (the set_id is a name tried, not an account), a login
    /// that sent nothing (`no MAIL ... A=`), refusals with their reasons: RCPT (550, temporarily
    /// 450), MAIL, a synchronisation error; and connections.
    @Test func loginsAndRefusals() throws {
        let (facts, diagnostics) = try facts("""
            2026-11-29 03:27:41.477 login authenticator failed for (ylmf-pc) [127.0.0.44]:47747: 535 Incorrect authentication data (set_id=sam@acme-corp.test)
            2026-11-29 03:27:42.000 plain authenticator failed for H=(test.host) [10.0.0.1] U=CALLER: 535 Incorrect authentication data
            2026-11-29 03:28:19.000 no MAIL in SMTP connection from (ylmf-pc) [127.0.0.44]:59781 D=0.202s A=plain:sam@acme-corp.test C=EHLO,AUTH,QUIT
            2026-11-29 03:28:20.000 no MAIL in SMTP connection from (ylmf-pc) [127.0.0.44]:59782 D=0.202s C=EHLO,AUTH,QUIT
            2026-11-29 03:24:48.595 H=(probe-7.relaycheck.test) [127.0.0.99]:57343 F=<> rejected RCPT <bounce-check@remote-site.test>: relay not permitted
            2026-11-29 03:24:49.000 H=mx.x.test [192.0.2.1]:1 F=<a@x.test> temporarily rejected RCPT <b@acme.test>: greylisted
            2026-11-29 03:24:50.000 H=(x) [192.0.2.2]:1 rejected MAIL <spam@x.test>: Sender verify failed
            2026-11-29 03:24:51.000 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.3]:4 input="EHLO x"
            2026-11-29 03:24:52.000 SMTP connection from [127.0.0.24]:46715 (TCP/IP connection count = 1)
            2026-11-29 03:24:53.000 SMTP connection from (emma-desktop.widgets-store.test) [127.0.0.24]:46715 closed by QUIT
            2026-11-29 03:24:54.000 SMTP connection from mx.far.test [192.0.2.4]:2525 (TCP/IP connection count = 2)
            2026-11-29 03:24:55.000 SMTP connection from [192.0.2.5]:2525 refused: too many connections

            """)
        #expect(diagnostics.warnings.isEmpty)
        #expect(facts == [
            .login(time: Self.at(27, 41, ms: 477), ip: "127.0.0.44", protocolName: "SMTP AUTH", account: "sam@acme-corp.test", success: false),
            .login(time: Self.at(27, 42), ip: "10.0.0.1", protocolName: "SMTP AUTH", account: nil, success: false),
            .login(time: Self.at(28, 19), ip: "127.0.0.44", protocolName: "SMTP AUTH", account: "sam@acme-corp.test", success: true),
            .recipientRejected(time: Self.at(24, 48, ms: 595), clientIP: "127.0.0.99", recipient: "bounce-check@remote-site.test", code: 550,
                               reason: "relay not permitted"),
            .recipientRejected(time: Self.at(24, 49), clientIP: "192.0.2.1", recipient: "b@acme.test", code: 450, reason: "greylisted"),
            .rejection(time: Self.at(24, 50), clientIP: "192.0.2.2", code: 550, reason: "Sender verify failed"),
            .rejection(time: Self.at(24, 51), clientIP: "192.0.2.3", code: 554),
            // A connection is its opening line (log_selector +smtp_connection), not its close or a refusal.
            .connection(time: Self.at(24, 52), clientIP: "127.0.0.24"),
            .connection(time: Self.at(24, 54), clientIP: "192.0.2.4"),
        ])
    }

    /// A local submission names no client: the script folder cPanel logged just before it
    /// (`cwd=`, same process) stands for one, else the local user; an unqualified recipient
    /// takes the sender's domain (Exim qualified both with qualify_domain).
    @Test func localSubmissions() throws {
        let (facts, _) = try facts("""
            2026-11-29 03:26:20 [4001] cwd=/home/shop/public_html/forms 3 args: /usr/sbin/sendmail -t -i
            2026-11-29 03:26:21 [4001] 1xXVYT-0007W4-0O <= shop@widgets.test U=shop P=local S=540 for a@far.test
            2026-11-29 03:26:22 [4002] 1xXVYU-0007WS-37 <= root@acme.test U=root P=local S=546 T="Cron <root@mail> backup" for root

            """)
        #expect(facts == [
            .accepted(time: Self.at(26, 21), key: "1xXVYT-0007W4-0O", clientIP: "cwd=/home/shop/public_html/forms", account: nil,
                      sender: "shop@widgets.test", recipients: ["a@far.test"], size: 540, protocolName: "local", spoolName: nil),
            .accepted(time: Self.at(26, 22), key: "1xXVYU-0007WS-37", clientIP: "U=root", account: nil,
                      sender: "root@acme.test", recipients: ["root@acme.test"], size: 546, protocolName: "local", spoolName: nil),
        ])
    }

    /// An out-of-range size is a warning naming the file, and the message still counts.
    @Test func anOutOfRangeSizeIsAWarning() throws {
        let (facts, diagnostics) = try facts("""
            2026-11-29 03:24:35 1xXVWl-0007Mm-1F <= a@acme.test H=[192.0.2.9] P=esmtp S=9223372036854775807 for b@far.test

            """)
        #expect(facts.count == 1)
        #expect(diagnostics.warnings.map(\.reason) == ["1 line(s) with a message size over 1 TiB (S=), read as 0"])
    }

    /// The corpus log of a real Exim 4.96 (fixtures/exim/GROUND_TRUTH.md): 257 arrivals, per
    /// sender and per account as the answer key counts them from the log; 11 failed logins from
    /// 127.0.0.44; 6 recipients refused at RCPT (4 relay, 2 unrouteable).
    @Test func theCorpusLogAgreesWithItsAnswerKey() throws {
        let (facts, diagnostics) = try Spoolsweep.facts(InputSelection(paths: [repositoryRoot + "/fixtures/exim/log/mainlog"]))
        #expect(diagnostics.warnings.isEmpty)
        var bySender: [String: Int] = [:], byAccount: [String: Int] = [:], byIP: [String: Int] = [:]
        var failed: [String: Int] = [:], refused = 0
        for f in facts {
            switch f {
            case let .accepted(_, _, ip, account, sender, _, _, _, _, _, _, _):
                bySender[sender.isEmpty ? "<>" : sender, default: 0] += 1
                byAccount[account ?? "(not authenticated)", default: 0] += 1
                byIP[ip, default: 0] += 1
            case let .login(_, ip, _, _, success) where !success: failed[ip, default: 0] += 1
            case .recipientRejected: refused += 1
            default: break
            }
        }
        #expect(bySender.values.reduce(0, +) == 257)
        #expect(bySender["sam@acme-corp.test"] == 132 && bySender["billing@acme-corp.test"] == 51 && bySender["shop@widgets-store.test"] == 40)
        #expect(bySender["<>"] == 2 && bySender["olivia@acme-corp.test"] == 7)
        #expect(byAccount == ["sam@acme-corp.test": 183, "(not authenticated)": 48, "olivia@acme-corp.test": 7, "noah@acme-corp.test": 6,
                              "emma@widgets-store.test": 5, "liam@acme-corp.test": 5, "shop@widgets-store.test": 3])
        #expect(byIP["127.0.0.44"] == 109 && byIP["127.0.0.45"] == 72 && byIP["127.0.0.90"] == 40 && byIP["U=root"] == 2 && byIP["U=Debian-exim"] == 2)
        #expect(failed == ["127.0.0.44": 11])
        #expect(refused == 6)
    }
}
