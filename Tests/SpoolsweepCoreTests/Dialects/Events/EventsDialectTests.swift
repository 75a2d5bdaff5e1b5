import Glibc
import Testing
@testable import SpoolsweepCore

/// Event files read back: every fact type comes back as it was written, escapes and all, and a
/// line that is not a version-1 event is counted, not guessed at.
struct EventsDialectTests {
    @Test func everyFactComesBackAsItWasWritten() throws {
        var facts = FactEventsTests.oneOfEach
        facts.append(.accepted(time: FactEventsTests.t, key: "k\"2", clientIP: "192.0.2.1", account: nil, sender: "",
                               recipients: ["a@x.test", "b@y.test"], size: 9, protocolName: "SMTP", spoolName: nil,
                               helo: "h\\\u{1}é\u{1F600}", messageID: nil, senderKnown: false))
        let (text, _) = try FactEventsTests().written(facts)
        let dir = try TempFolder("events-back")
        let path = try dir.write("mx1.ndjson", text)
        let layout = try #require(EventsDialect().locate([path]))
        var recorder = FactRecorder(), diagnostics = Diagnostics()
        EventsDialect().readFacts(layout, range: nil, share: .all, into: &recorder, diagnostics: &diagnostics)
        // Addresses come back lower-cased, as written.
        let lowered = facts.map { f -> OwnedMailFact in
            switch f {
            case let .accepted(t, key, ip, account, sender, recipients, size, proto, spool, helo, id, known):
                return .accepted(time: t, key: key, clientIP: ip, account: account?.lowercased(), sender: sender.lowercased(),
                                 recipients: recipients.map { $0.lowercased() }, size: size, protocolName: proto, spoolName: spool,
                                 helo: helo, messageID: id, senderKnown: known)
            case let .recipientRejected(t, ip, r, code, reason):
                return .recipientRejected(time: t, clientIP: ip, recipient: r.lowercased(), code: code, reason: reason)
            case let .delivery(t, key, sender, r, local, outcome, word, detail, attempt):
                return .delivery(time: t, key: key, sender: sender?.lowercased(), recipient: r.lowercased(), isLocal: local,
                                 outcome: outcome, word: word, detail: detail, attempt: attempt)
            default: return f
            }
        }
        // The host comes first: every share learns it, whichever facts it keeps.
        #expect(recorder.facts == [.host(name: "mx1", server: "postfix")] + lowered)
        #expect(diagnostics.warnings.isEmpty && diagnostics.filesRead == 1)
    }

    @Test func linesThatAreNotEventsAreCounted() throws {
        let good = #"{"v":1,"host":"mx1","server":"postfix","type":"removed","time":"2026-11-28T09:14:02.045+01:00","key":"A1"}"#
        let dir = try TempFolder("events-bad")
        let path = try dir.write("mx1.ndjson", [
            good,
            #"{"v":2,"host":"mx1","type":"removed","time":"2026-11-28T09:14:02.045+01:00","key":"A1"}"#,
            #"{"v":1,"host":"mx1","type":"removed","time":"2026-13-28T09:14:02.045+01:00","key":"A1"}"#, // month 13
            #"{"v":1,"host":"mx1","type":"accepted","time":"2026-11-28T09:14:02.045+01:00","key":"A1","size":99999999999999999999}"#,
            #"{"v":1,"type":"removed","time":"2026-11-28T09:14:02.045+01:00","key":"A1""#, // cut short
            "not json at all",
            #"{"v":1,"type":"queued","time":null,"key":"A1"}"#,
        ].joined(separator: "\n") + "\n")
        let layout = try #require(EventsDialect().locate([path]))
        var recorder = FactRecorder(), diagnostics = Diagnostics()
        EventsDialect().readFacts(layout, range: nil, share: .all, into: &recorder, diagnostics: &diagnostics)
        #expect(recorder.facts.map(\.description) == ["host mx1 (postfix)", "2026-11-28 09:14:02 removed A1", "host mx1 ()", "host  ()"]) // (the last line names no host)
        // A surrogate pair and a lone surrogate in \u escapes.
        var line = EventLine()
        let escaped = #"{"v":1,"helo":"\ud83d\ude00 \udc00 \u00e9\/"}"#
        var s = escaped
        #expect(s.withUTF8 { line.parse(UnsafeRawBufferPointer($0)) })
        s.withUTF8 { b in line.bytes(line.values[EventLine.index("helo")], line: UnsafeRawBufferPointer(b)) { #expect($0?.printable == "\u{1F600} \u{FFFD} é/") } }
        #expect(diagnostics.warnings.map(\.reason) == ["4 line(s) not spoolsweep events (not one JSON object, a field missing or out of range), skipped",
                                                       "1 line(s) of an event schema other than version 1, skipped"])
        #expect(diagnostics.findings.map(\.reason) == ["1 queued event(s) (a spool as it was) not counted as log traffic"])
    }

    @Test func onlyEventFilesAreEventFiles() throws {
        let dir = try TempFolder("events-locate")
        let events = try dir.write("a.ndjson", #"{"v":1,"type":"removed"}"# + "\n")
        let other = try dir.write("b.ndjson", "{\"something\": 1}\n")
        let gz = try dir.write("c.jsonl.gz", [0x1F, 0x8B])
        #expect(EventsDialect().locate([events])?.logFiles == [events])
        #expect(EventsDialect().locate([other]) == nil)
        #expect(EventsDialect().locate([gz])?.logFiles == [gz])
        #expect(EventsDialect().locate([dir.path])?.logFiles == [events, gz])
    }
}
