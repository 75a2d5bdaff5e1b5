import Glibc
import Testing
@testable import SpoolsweepCore

/// `events`: each fact one line of schema version 1, exactly as documented.
struct FactEventsTests {
    static let t = LocalTime(milliseconds: LocalTime(year: 2026, month: 11, day: 28, hour: 9, minute: 14, second: 2).milliseconds + 45)

    static let oneOfEach: [OwnedMailFact] = [
        .accepted(time: t, key: "4jcXTw1mjpz7m3W", clientIP: "192.0.2.7", account: "Jane@Northwind.TEST", sender: "Jane@Northwind.test",
                  recipients: ["Bob@Example.COM", "ann@example.net"], size: 2048, protocolName: "ESMTPA", spoolName: nil,
                  helo: "mail.example", messageID: "abc@host"),
        .recipientRejected(time: t, clientIP: "198.51.100.9", recipient: "Nobody@Northwind.test", code: 550,
                           reason: "550 5.1.1 <Nobody@Northwind.test>: Recipient address rejected: User unknown"),
        .rejection(time: t, clientIP: "198.51.100.9", code: 0),
        .delivery(time: t, key: "4jcXTw1mjpz7m3W", sender: nil, recipient: "BOB@example.com", isLocal: false, outcome: .deferred,
                  word: "deferred", detail: "deferred (host mx.example.com said: 451 try later)", attempt: 0),
        .login(time: t, ip: "203.0.113.5", protocolName: "SMTP AUTH", account: nil, success: false),
        .securityBlock(time: t, ip: "203.0.113.5", rule: "Password Brute Force by IP"),
        .removed(time: t, key: "4jcXTw1mjpz7m3W"),
        .connection(time: t, clientIP: "192.0.2.7"),
    ]

    static let common = #"{"v":1,"host":"mx1","server":"postfix","type":"#

    func written(_ facts: [OwnedMailFact], format: FactEventWriter.Format = .ndjson, offset: UTCOffset = .fixed(3600),
                 range: TimeRange? = nil, file: String = "events.ndjson", queued: [QueuedMessage] = []) throws -> (String, [String: Int]) {
        let dir = try TempFolder("events")
        let output = try ByteOutput.file(dir.at(file))
        var writer = FactEventWriter(output: output, format: format, host: "mx1", server: "postfix", offset: offset, range: range)
        for f in facts { f.replay(into: &writer) }
        for m in queued { writer.take(queued: m) }
        #expect(writer.finish() == nil)
        var bytes: [UInt8] = []
        try ByteSource(path: dir.at(file), allowMapping: false).readAll(into: &bytes, limit: 1 << 24)
        return (String(decoding: bytes, as: UTF8.self), writer.counts)
    }

    @Test func everyTypeIsOneLineOfSchemaVersion1() throws {
        let (text, counts) = try written(Self.oneOfEach)
        let time = #""time":"2026-11-28T09:14:02.045+01:00""#
        #expect(text == """
            \(Self.common)"accepted",\(time),"key":"4jcXTw1mjpz7m3W","client_ip":"192.0.2.7","account":"jane@northwind.test","sender":"jane@northwind.test","sender_known":true,"recipients":["bob@example.com","ann@example.net"],"size":2048,"protocol":"ESMTPA","spool_file":null,"helo":"mail.example","message_id":"abc@host"}
            \(Self.common)"recipient_rejected",\(time),"client_ip":"198.51.100.9","recipient":"nobody@northwind.test","code":550,"reason":"550 5.1.1 <Nobody@Northwind.test>: Recipient address rejected: User unknown"}
            \(Self.common)"rejected",\(time),"client_ip":"198.51.100.9","code":0,"reason":null}
            \(Self.common)"delivery",\(time),"key":"4jcXTw1mjpz7m3W","sender":null,"recipient":"bob@example.com","local":false,"outcome":"deferred","word":"deferred","detail":"deferred (host mx.example.com said: 451 try later)","attempt":0}
            \(Self.common)"login",\(time),"ip":"203.0.113.5","protocol":"SMTP AUTH","account":null,"success":false}
            \(Self.common)"security_block",\(time),"ip":"203.0.113.5","rule":"Password Brute Force by IP"}
            \(Self.common)"removed",\(time),"key":"4jcXTw1mjpz7m3W"}
            \(Self.common)"connection",\(time),"client_ip":"192.0.2.7"}

            """)
        #expect(counts == ["accepted": 1, "recipient_rejected": 1, "rejected": 1, "delivery": 1, "login": 1, "security_block": 1, "removed": 1,
                           "connection": 1])
        // Each line is one JSON object our own reader takes back.
        for line in text.split(separator: "\n") { #expect(JSON.parse(String(line))?["v"]?.intValue == 1) }
    }

    /// HELOs, addresses and replies are attacker text: quotes, backslashes, control bytes and
    /// bytes that are not UTF-8 never break the line or the JSON.
    @Test func attackerTextIsEscaped() throws {
        let helo = Array("evil\"\\\n\r\t<script>".utf8) + [0x01, 0x7F, 0xFF, 0x20] + Array("café".utf8)
        let heloText = String(decoding: helo, as: UTF8.self)
        let fact = OwnedMailFact.accepted(time: Self.t, key: "k", clientIP: "192.0.2.1", account: nil, sender: "",
                                          recipients: [], size: 0, protocolName: "", spoolName: "s", helo: heloText, messageID: nil)
        let (text, _) = try written([fact], offset: .fixed(-5 * 3600 - 1800))
        #expect(text == #"{"v":1,"host":"mx1","server":"postfix","type":"accepted","time":"2026-11-28T09:14:02.045-05:30","key":"k","client_ip":"192.0.2.1","account":null,"sender":"","sender_known":true,"recipients":[],"size":0,"protocol":"","spool_file":"s","helo":"evil\"\\\n\r\t<script>\u0001\u007f\#u{FFFD} café","message_id":null}"# + "\n")
        #expect(JSON.parse(String(text.dropLast()))?["helo"]?.stringValue == heloText)
    }

    @Test func onlyThePeriodAskedForIsWritten() throws {
        let later = OwnedMailFact.removed(time: Self.t.adding(seconds: 86_400), key: "late")
        let (text, counts) = try written([Self.oneOfEach[6], later], range: TimeRange(day: Self.t.adding(seconds: 86_400)))
        #expect(text == #"{"v":1,"host":"mx1","server":"postfix","type":"removed","time":"2026-11-29T09:14:02.045+01:00","key":"late"}"# + "\n")
        #expect(counts == ["removed": 1])
    }

    @Test func queuedMessagesAreEventsToo() throws {
        var m = QueuedMessage(id: "244912742955", queue: "SubSpool1", state: "Written")
        m.sender = "Jane@Northwind.test"
        m.recipients = ["X@Y.example"]
        m.account = "jane@northwind.test"
        m.size = 4711
        m.attempts = 2
        m.nextAttempt = Self.t.adding(seconds: 600)
        let (text, counts) = try written([], queued: [m, QueuedMessage(id: "1", queue: "incoming", state: "")])
        #expect(text == """
            \(Self.common)"queued","time":null,"key":"244912742955","queue":"SubSpool1","state":"Written","sender":"jane@northwind.test","recipients":["x@y.example"],"account":"jane@northwind.test","client_ip":null,"helo":null,"session":null,"size":4711,"attempts":2,"next_attempt":"2026-11-28T09:24:02.045+01:00"}
            \(Self.common)"queued","time":null,"key":"1","queue":"incoming","state":"","sender":"","recipients":[],"account":null,"client_ip":null,"helo":null,"session":null,"size":0,"attempts":null,"next_attempt":null}

            """)
        #expect(counts == ["queued": 2])
    }

    @Test func csvHasOneColumnPerFieldAndDefusesFormulas() throws {
        let facts: [OwnedMailFact] = [
            Self.oneOfEach[0],
            .rejection(time: Self.t, clientIP: "=HYPERLINK(\"x\")", code: 554, reason: "@SUM(1+1)"),
        ]
        let (text, _) = try written(facts, format: .csv, offset: .fixed(0))
        #expect(text == """
            v,host,server,type,time,key,client_ip,account,sender,sender_known,recipients,size,protocol,spool_file,helo,message_id,recipient,code,reason,local,outcome,word,detail,attempt,ip,success,rule,queue,state,session,attempts,next_attempt
            1,mx1,postfix,accepted,2026-11-28T09:14:02.045+00:00,4jcXTw1mjpz7m3W,192.0.2.7,jane@northwind.test,jane@northwind.test,true,bob@example.com ann@example.net,2048,ESMTPA,,mail.example,abc@host,,,,,,,,,,,,,,,,
            1,mx1,postfix,rejected,2026-11-28T09:14:02.045+00:00,,"'=HYPERLINK(""x"")",,,,,,,,,,,554,'@SUM(1+1),,,,,,,,,,,,,

            """)
    }

    /// A `.gz` output is one gzip stream zlib reads back whole, a `.zst` one zstd stream.
    @Test(arguments: [("e.ndjson.gz", [UInt8]([0x1F, 0x8B])), ("e.ndjson.zst", [UInt8]([0x28, 0xB5, 0x2F, 0xFD]))])
    func compressedOutputReadsBack(_ name: String, _ magic: [UInt8]) throws {
        var many: [OwnedMailFact] = []
        for i in 0..<5000 { many.append(.removed(time: Self.t.adding(seconds: Int64(i)), key: "id\(i)")) }
        let plain = try written(many).0
        let dir = try TempFolder("events-z")
        let output = try ByteOutput.file(dir.at(name))
        var writer = FactEventWriter(output: output, format: .ndjson, host: "mx1", server: "postfix", offset: .fixed(3600), range: nil)
        for f in many { f.replay(into: &writer) }
        #expect(writer.finish() == nil)
        var compressed: [UInt8] = []
        try ByteSource(path: dir.at(name), allowMapping: false).readAll(into: &compressed, limit: 1 << 24)
        #expect(Array(compressed.prefix(magic.count)) == magic)
        #expect(compressed.count < plain.utf8.count / 10)
        var lines: [String] = []
        _ = try LineReader().forEachLine(path: dir.at(name)) { lines.append($0.bytes.printable) }
        #expect(lines.joined(separator: "\n") + "\n" == plain)
    }

    @Test func offsetsParse() {
        #expect(UTCOffset.parse("Z") == .fixed(0))
        #expect(UTCOffset.parse("+01:00") == .fixed(3600))
        #expect(UTCOffset.parse("-0530") == .fixed(-19_800))
        #expect(UTCOffset.parse("+14") == .fixed(50_400))
        #expect(UTCOffset.parse("+18:00") == .fixed(64_800))
        for bad in ["", "1", "+1", "+18:01", "+19", "+01:60", "01:00", "+01-00", "+1:00", "+01:000", "UTC"] {
            #expect(UTCOffset.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func numbersAreWrittenWhole() {
        for n in [0, 7, -7, 10, 1_000_000, Int.max, Int.min] {
            var out: [UInt8] = []
            DecimalText.append(n, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(n))
        }
    }
}

/// The byte form of JSON strings, behind events and every JSON report.
struct JSONByteQuotingTests {
    @Test func bytesThatAreNotUTF8BecomeReplacementCharacters() {
        let raw: [UInt8] = [0x41, 0xFF, 0x42, 0xC3, 0xA9, 0xE2, 0x82, 0x43, 0x22]
        var out: [UInt8] = []
        raw.withUnsafeBytes { JSON.quote(bytes: $0, lowercased: true, into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "\"a\u{FFFD}bé\u{FFFD}c\\\"\"")
        var text = ""
        JSON.quote("Tab\there \u{1}", into: &text)
        #expect(text == #""Tab\there \u0001""#)
    }
}
