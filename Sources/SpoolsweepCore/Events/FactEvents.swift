import Glibc

/// `spoolsweep events`: every fact of the logs (and with `--spool` every queued message) as one
/// event, a line of NDJSON (schema version 1) or of CSV, written as it is read: a sink of facts,
/// so its memory does not grow with the logs.
///
/// Schema version 1 (documented in the README's "Many servers"; a change of meaning is a new
/// version). Every event has `v` (1), `host`, `server` (the dialect), `type` and `time` (the
/// server's wall-clock time with its UTC offset, ISO 8601 with milliseconds:
/// `2026-11-28T09:14:02.000+01:00`). Addresses (senders, recipients, accounts) are lower-cased,
/// as the ledger compares them; everything else is as the log wrote it. By `type`:
/// - `accepted`: `key` (SMTP session id or queue id), `client_ip`, `account` (null when not
///   authenticated), `sender` ("" for `<>`), `sender_known`, `recipients` [...], `size`,
///   `protocol`, `spool_file`, `helo`, `message_id` (null when the log does not name them);
/// - `connection`: `client_ip` (a client opened an SMTP connection);
/// - `recipient_rejected`: `client_ip`, `recipient`, `code`, `reason` (the server's reply, null
///   when the log gives none);
/// - `rejected`: `client_ip`, `code` (0 when the log gives none), `reason`;
/// - `delivery`: `key`, `sender` (null when the line does not name it), `recipient`, `local`,
///   `outcome` (`delivered`, `deferred` or `bounced`), `word` (the server's), `detail`, `attempt`;
/// - `login`: `ip`, `protocol`, `account` (null when not named), `success`;
/// - `security_block`: `ip`, `rule`;
/// - `removed`: `key`;
/// - `queued` (`--spool`): `key` (the spool id), `queue`, `state`, `sender`, `recipients`,
///   `account`, `client_ip`, `helo`, `session`, `size`, `attempts`, `next_attempt`; its `time` is
///   when the server received it (null when unknown).
public struct FactEventWriter: MailFactSink {
    public enum Format: String, Sendable, CaseIterable { case ndjson, csv }

    public static let schemaVersion = 1
    /// The CSV columns: every field of every type, empty where a type has none.
    public static let csvHeader = ["v", "host", "server", "type", "time", "key", "client_ip", "account", "sender",
                                   "sender_known", "recipients", "size", "protocol", "spool_file", "helo", "message_id",
                                   "recipient", "code", "reason", "local", "outcome", "word", "detail", "attempt", "ip", "success",
                                   "rule", "queue", "state", "session", "attempts", "next_attempt"]

    let format: Format
    let range: TimeRange?
    /// The host and server of the events: `--host` and the dialect, or those the facts being
    /// written again say (event files).
    private var host: [UInt8], hostText: String
    private var server: [UInt8], serverText: String
    private var clock: EventClock
    private let output: ByteOutput
    private var line: [UInt8] = []
    /// The event types; `tally` counts them in this order.
    static let typeNames: [StaticString] = ["accepted", "recipient_rejected", "rejected", "delivery", "login",
                                            "security_block", "removed", "connection", "queued"]
    private var tally = [Int](repeating: 0, count: typeNames.count)
    /// Events written, by type (those written at least once).
    public var counts: [String: Int] {
        var out: [String: Int] = [:]
        for (i, n) in tally.enumerated() where n > 0 { out[Self.typeNames[i].description] = n }
        return out
    }

    public init(output: ByteOutput, format: Format, host: String, server: String, offset: UTCOffset, range: TimeRange?) {
        self.output = output
        self.format = format
        self.range = range
        self.host = Array(host.utf8)
        self.server = Array(server.utf8)
        hostText = host
        serverText = server
        clock = EventClock(offset)
        line.reserveCapacity(Self.block + 4096)
        if format == .csv { line += CSV.line(Self.csvHeader).utf8 }
    }

    /// Events are written a block at a time.
    static let block = 1 << 16

    public mutating func take(_ fact: MailFact) {
        guard let type = fact.eventType else {
            if case .host(let h) = fact {
                (host, hostText) = (Array(h.name), h.name.printable)
                (server, serverText) = (Array(h.server), h.server.printable)
            }
            return
        }
        if let range, !range.contains(fact.time) { return }
        switch format {
        case .ndjson: ndjson(fact, Self.typeNames[type])
        case .csv: line += CSV.line(csvRow(OwnedMailFact(fact), Self.typeNames[type].description)).utf8
        }
        tally[type] += 1
        if line.count >= Self.block { flush() }
    }

    /// A queued message of the spool, as a `queued` event (whatever its time: the queue now).
    public mutating func take(queued m: QueuedMessage) {
        switch format {
        case .ndjson:
            begin("queued", m.created)
            string("key", m.id)
            string("queue", m.queue)
            string("state", m.state)
            string("sender", m.sender, lowered: true)
            strings("recipients", m.recipients)
            string("account", m.account, lowered: true)
            string("client_ip", m.clientIP)
            string("helo", m.helo)
            string("session", m.sessionID)
            number("size", m.size)
            if let a = m.attempts { number("attempts", a) } else { null("attempts") }
            if let t = m.nextAttempt { member("next_attempt"); time(t) } else { null("next_attempt") }
            end()
        case .csv:
            var row = common("queued", m.created)
            set(&row, "key", m.id); set(&row, "queue", m.queue); set(&row, "state", m.state)
            set(&row, "sender", m.sender.asciiLowercased); set(&row, "recipients", m.recipients.map(\.asciiLowercased).joined(separator: " "))
            set(&row, "account", m.account?.asciiLowercased); set(&row, "client_ip", m.clientIP); set(&row, "helo", m.helo)
            set(&row, "session", m.sessionID); set(&row, "size", String(m.size)); set(&row, "attempts", m.attempts.map(String.init))
            set(&row, "next_attempt", m.nextAttempt.map { t in clock.text(t) })
            line += CSV.line(row).utf8
        }
        tally[Self.typeNames.count - 1] += 1
        if line.count >= Self.block { flush() }
    }

    /// Writes what is left; the output's first error.
    public mutating func finish() -> Int32? {
        flush()
        return output.finish()
    }

    private mutating func flush() {
        line.withUnsafeBytes { output.write($0) }
        line.removeAll(keepingCapacity: true)
    }

    // MARK: - NDJSON, written byte by byte

    private mutating func ndjson(_ fact: MailFact, _ type: StaticString) {
        begin(type, fact.time)
        switch fact {
        case .accepted(let m):
            bytes("key", m.key)
            bytes("client_ip", m.clientIP)
            bytes("account", m.account, lowered: true)
            bytes("sender", m.sender, lowered: true)
            bool("sender_known", m.senderKnown)
            member("recipients")
            line.append(0x5B)
            for (i, r) in m.recipients.enumerated() {
                if i > 0 { line.append(0x2C) }
                JSON.quote(bytes: r, lowercased: true, into: &line)
            }
            line.append(0x5D)
            number("size", m.size)
            bytes("protocol", m.protocolName)
            bytes("spool_file", m.spoolName)
            bytes("helo", m.helo)
            bytes("message_id", m.messageID)
        case .connection(let c):
            bytes("client_ip", c.clientIP)
        case .recipientRejected(let r):
            bytes("client_ip", r.clientIP)
            bytes("recipient", r.recipient, lowered: true)
            number("code", r.code)
            bytes("reason", r.reason)
        case .rejection(let r):
            bytes("client_ip", r.clientIP)
            number("code", r.code)
            bytes("reason", r.reason)
        case .delivery(let d):
            bytes("key", d.key)
            bytes("sender", d.sender, lowered: true)
            bytes("recipient", d.recipient, lowered: true)
            bool("local", d.isLocal)
            string("outcome", d.outcome.name)
            bytes("word", d.word)
            bytes("detail", d.detail)
            number("attempt", d.attempt)
        case .login(let l):
            bytes("ip", l.ip)
            bytes("protocol", l.protocolName)
            bytes("account", l.account, lowered: true)
            bool("success", l.success)
        case .securityBlock(let b):
            bytes("ip", b.ip)
            bytes("rule", b.rule)
        case .removed(let r):
            bytes("key", r.key)
        case .host: break
        }
        end()
    }

    private mutating func begin(_ type: StaticString, _ t: LocalTime?) {
        line += #"{"v":1,"host":"#.utf8
        host.withUnsafeBytes { JSON.quote(bytes: $0, into: &line) }
        line += #","server":"#.utf8
        server.withUnsafeBytes { JSON.quote(bytes: $0, into: &line) }
        line += #","type":""#.utf8
        line.append(contentsOf: UnsafeRawBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
        line += #"","time":"#.utf8
        if let t { time(t) } else { line += "null".utf8 }
    }

    private mutating func end() { line += "}\n".utf8 }

    private mutating func member(_ name: StaticString) {
        line.append(0x2C)
        line.append(0x22)
        line.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        line.append(0x22)
        line.append(0x3A)
    }

    private mutating func bytes(_ name: StaticString, _ value: FactBytes?, lowered: Bool = false) {
        member(name)
        if let value { JSON.quote(bytes: value, lowercased: lowered, into: &line) } else { line += "null".utf8 }
    }

    private mutating func string(_ name: StaticString, _ value: String?, lowered: Bool = false) {
        guard var value else { return null(name) }
        value.withUTF8 { bytes(name, UnsafeRawBufferPointer($0), lowered: lowered) }
    }

    private mutating func strings(_ name: StaticString, _ values: [String]) {
        member(name)
        line.append(0x5B)
        for (i, var v) in values.enumerated() {
            if i > 0 { line.append(0x2C) }
            v.withUTF8 { JSON.quote(bytes: UnsafeRawBufferPointer($0), lowercased: true, into: &line) }
        }
        line.append(0x5D)
    }

    private mutating func number(_ name: StaticString, _ value: Int) {
        member(name)
        DecimalText.append(value, to: &line)
    }

    private mutating func bool(_ name: StaticString, _ value: Bool) {
        member(name)
        line += (value ? "true" : "false").utf8
    }

    private mutating func null(_ name: StaticString) {
        member(name)
        line += "null".utf8
    }

    private mutating func time(_ t: LocalTime) {
        line.append(0x22)
        clock.append(t, to: &line)
        line.append(0x22)
    }

    // MARK: - CSV, from the owned form

    private mutating func common(_ type: String, _ t: LocalTime?) -> [String] {
        var row = [String](repeating: "", count: Self.csvHeader.count)
        row[0] = String(Self.schemaVersion)
        row[1] = hostText
        row[2] = serverText
        row[3] = type
        if let t { row[4] = clock.text(t) }
        return row
    }

    private func set(_ row: inout [String], _ column: String, _ value: String?) {
        guard let value, let i = Self.csvHeader.firstIndex(of: column) else { return }
        row[i] = value
    }

    private mutating func csvRow(_ fact: OwnedMailFact, _ type: String) -> [String] {
        var row = common(type, fact.time)
        switch fact {
        case let .accepted(_, key, clientIP, account, sender, recipients, size, protocolName, spoolName, helo, messageID, senderKnown):
            set(&row, "key", key); set(&row, "client_ip", clientIP); set(&row, "account", account?.asciiLowercased)
            set(&row, "sender", sender.asciiLowercased); set(&row, "sender_known", String(senderKnown))
            set(&row, "recipients", recipients.map(\.asciiLowercased).joined(separator: " ")); set(&row, "size", String(size))
            set(&row, "protocol", protocolName); set(&row, "spool_file", spoolName); set(&row, "helo", helo)
            set(&row, "message_id", messageID)
        case let .connection(_, clientIP):
            set(&row, "client_ip", clientIP)
        case let .recipientRejected(_, clientIP, recipient, code, reason):
            set(&row, "client_ip", clientIP); set(&row, "recipient", recipient.asciiLowercased); set(&row, "code", String(code))
            set(&row, "reason", reason)
        case let .rejection(_, clientIP, code, reason):
            set(&row, "client_ip", clientIP); set(&row, "code", String(code)); set(&row, "reason", reason)
        case let .delivery(_, key, sender, recipient, isLocal, outcome, word, detail, attempt):
            set(&row, "key", key); set(&row, "sender", sender?.asciiLowercased); set(&row, "recipient", recipient.asciiLowercased)
            set(&row, "local", String(isLocal)); set(&row, "outcome", outcome.name); set(&row, "word", word)
            set(&row, "detail", detail); set(&row, "attempt", String(attempt))
        case let .login(_, ip, protocolName, account, success):
            set(&row, "ip", ip); set(&row, "protocol", protocolName); set(&row, "account", account?.asciiLowercased)
            set(&row, "success", String(success))
        case let .securityBlock(_, ip, rule):
            set(&row, "ip", ip); set(&row, "rule", rule)
        case let .removed(_, key):
            set(&row, "key", key)
        case .host: break
        }
        return row
    }
}

extension MailFact {
    /// The index of this fact's event type in `FactEventWriter.typeNames` (a `host` fact is none).
    var eventType: Int? {
        switch self {
        case .host: nil
        case .accepted: 0
        case .recipientRejected: 1
        case .rejection: 2
        case .delivery: 3
        case .login: 4
        case .securityBlock: 5
        case .removed: 6
        case .connection: 7
        }
    }
}

extension String {
    /// With ASCII letters lower-cased (as addresses compare), the rest untouched.
    var asciiLowercased: String { String(decoding: utf8.map(asciiLower), as: UTF8.self) }
}

/// `--utc-offset`: the offset events give the server's wall-clock times.
public enum UTCOffset: Equatable, Sendable {
    /// This machine's time zone at each time (daylight saving included): right when spoolsweep
    /// runs on the server, or on a copy read in the server's zone.
    case machine
    /// A fixed offset in seconds east of UTC (`+01:00`, `-05:00`, `Z`).
    case fixed(Int)

    /// `Z`, `+01:00`, `-0530`, `+01`; nil when malformed or beyond ±18:00.
    public static func parse(_ text: String) -> UTCOffset? {
        if text == "Z" || text == "z" { return .fixed(0) }
        let b = Array(text.utf8)
        guard b.count >= 3, b[0] == 0x2B || b[0] == 0x2D else { return nil }
        let digits = b.dropFirst().filter { $0 != 0x3A }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy(isDigit),
              b.count == 3 || b.count == 5 || (b.count == 6 && b[3] == 0x3A) else { return nil }
        let n = digits.map { Int($0 - 0x30) }
        let hours = n[0] * 10 + n[1], minutes = n.count == 4 ? n[2] * 10 + n[3] : 0
        guard minutes < 60, hours * 60 + minutes <= 18 * 60 else { return nil }
        let seconds = (hours * 3600 + minutes * 60) * (b[0] == 0x2D ? -1 : 1)
        return .fixed(seconds)
    }
}

/// Writes a server wall-clock time as ISO 8601 with its UTC offset; the machine zone's offset is
/// looked up once an hour of wall-clock time, not once an event.
struct EventClock {
    let offset: UTCOffset
    private var cachedHour = Int64.min, cachedOffset = 0

    init(_ offset: UTCOffset) { self.offset = offset }

    /// Seconds east of UTC at the wall-clock time `t`.
    mutating func seconds(at t: LocalTime) -> Int {
        switch offset {
        case .fixed(let s): return s
        case .machine:
            let hour = t.seconds / 3600
            if hour != cachedHour {
                cachedHour = hour
                cachedOffset = Self.machineOffset(wallClock: t.seconds)
            }
            return cachedOffset
        }
    }

    /// The machine zone's offset at the wall-clock time `wall` (the offset in force at the
    /// instant `wall - offset`, found in two steps as a zone's offset changes rarely).
    static func machineOffset(wallClock wall: Int64) -> Int {
        func offset(atUnix u: Int64) -> Int {
            var t = time_t(truncatingIfNeeded: u), parts = tm()
            guard localtime_r(&t, &parts) != nil else { return 0 }
            return Int(parts.tm_gmtoff)
        }
        let first = offset(atUnix: wall)
        return offset(atUnix: wall - Int64(first))
    }

    /// `2026-11-28T09:14:02.000+01:00`
    mutating func append(_ t: LocalTime, to out: inout [UInt8]) {
        let (y, mo, d) = LocalTime.civil(t.day)
        let s = t.secondOfDay, ms = Int(t.milliseconds - t.seconds * 1000)
        if (0...9999).contains(y) { digits(y, 4, &out) } else { DecimalText.append(y, to: &out) }
        out.append(0x2D); digits(mo, 2, &out); out.append(0x2D); digits(d, 2, &out)
        out.append(0x54); digits(s / 3600, 2, &out); out.append(0x3A); digits(s / 60 % 60, 2, &out)
        out.append(0x3A); digits(s % 60, 2, &out); out.append(0x2E); digits(ms, 3, &out)
        let off = seconds(at: t)
        out.append(off < 0 ? 0x2D : 0x2B)
        digits(abs(off) / 3600, 2, &out); out.append(0x3A); digits(abs(off) / 60 % 60, 2, &out)
    }

    mutating func text(_ t: LocalTime) -> String {
        var out: [UInt8] = []
        append(t, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func digits(_ n: Int, _ width: Int, _ out: inout [UInt8]) {
        var div = 1
        for _ in 1..<width { div *= 10 }
        while div > 0 { out.append(UInt8(0x30 + n / div % 10)); div /= 10 }
    }
}

/// Decimal numbers written as bytes.
enum DecimalText {
    static func append(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(0x2D) }
        var m = value.magnitude
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            repeat { buf[19 - n] = UInt8(0x30 + m % 10); m /= 10; n += 1 } while m > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(20 - n)...]))
        }
    }
}
