/// The kinds of SmarterMail daily log spoolsweep reads.
enum SmarterMailLogKind: Int, CaseIterable, Sendable {
    // Read in this order: deliveries first teach which domains are local, so that the SMTP log
    // can tell inbound from relayed mail.
    case delivery, administrative, smtp

    /// From a file name `YYYY.MM.DD-<kind>.log`: the kind and the day (days since 1970).
    static func parse(fileName: String) -> (kind: SmarterMailLogKind?, day: Int64)? {
        let u = Array(fileName.utf8)
        guard u.count > 15, u[4] == 0x2E, u[7] == 0x2E, u[10] == 0x2D else { return nil }
        let num = { (r: Range<Int>) in u[r].withUnsafeBytes { $0.decimalValue } }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10),
              (1...12).contains(m), (1...LocalTime.daysIn(month: m, year: y)).contains(d) else { return nil }
        let day = LocalTime.days(year: y, month: m, day: d)
        let rest = String(decoding: u[11...], as: UTF8.self).lowercased()
        guard rest.hasSuffix(".log") else { return (nil, day) }
        switch rest.dropLast(4) {
        case "smtplog": return (.smtp, day)
        case "delivery": return (.delivery, day)
        case "administrative": return (.administrative, day)
        default: return (nil, day)
        }
    }
}

/// Splits a SmarterMail log line into its time and the text after it.
///
/// Shapes: `HH:mm:ss[.fff] text`, the same behind a `[YYYY.MM.DD] ` prefix (the web viewer's), and
/// the administrative log's `[ip] text HH:mm:ss[.fff]` with the time at the end.
struct SmarterMailEntry {
    let time: LocalTime
    let text: UnsafeRawBufferPointer

    init?(_ line: UnsafeRawBufferPointer, day: Int64) {
        var s = line
        var day = day
        if s.count > 13, s[0] == 0x5B, s[11] == 0x5D, s[12] == 0x20, s[5] == 0x2E, s[8] == 0x2E,
           let y = s.slice(1..<5).decimalValue, let m = s.slice(6..<8).decimalValue,
           let d = s.slice(9..<11).decimalValue, (1...12).contains(m), (1...31).contains(d) {
            day = LocalTime.days(year: y, month: m, day: d)
            s = s.dropFirst(13)
        }
        if let (ms, end) = SmarterMailEntry.timeOfDay(s, at: 0), end < s.count, s[end] == 0x20 {
            time = LocalTime(milliseconds: day * 86_400_000 + ms)
            text = s.dropFirst(end + 1)
            return
        }
        // Time at the end of the line.
        guard s.first == 0x5B, let space = s.lastIndex(of: 0x20),
              let (ms, end) = SmarterMailEntry.timeOfDay(s, at: space + 1), end == s.count else { return nil }
        time = LocalTime(milliseconds: day * 86_400_000 + ms)
        text = s.slice(0..<space)
    }

    /// `HH:mm:ss` with an optional fraction at `at`: milliseconds of the day and the index after it.
    static func timeOfDay(_ s: UnsafeRawBufferPointer, at i: Int) -> (Int64, Int)? {
        guard i + 8 <= s.count, s[i + 2] == 0x3A, s[i + 5] == 0x3A,
              let h = s.slice(i..<(i + 2)).decimalValue, let m = s.slice((i + 3)..<(i + 5)).decimalValue,
              let sec = s.slice((i + 6)..<(i + 8)).decimalValue, h < 24, m < 60, sec < 61 else { return nil }
        var end = i + 8
        var fraction = 0, scale = 1000
        if end < s.count, s[end] == 0x2E {
            end += 1
            while end < s.count, isDigit(s[end]) {
                if scale > 1 { scale /= 10; fraction += Int(s[end] - 0x30) * scale }
                end += 1
            }
        }
        return (Int64((h * 3600 + m * 60 + min(sec, 59)) * 1000 + fraction), end)
    }
}

/// Reads a `[...]` group at `at`: its contents and the index after the `]`.
func bracketGroup(_ s: UnsafeRawBufferPointer, at: Int) -> (UnsafeRawBufferPointer, Int)? {
    guard at < s.count, s[at] == 0x5B, let close = s.index(of: 0x5D, from: at + 1) else { return nil }
    return (s.slice((at + 1)..<close), close + 1)
}

/// The address inside `<...>` in `s`, or the first word when there are no angle brackets.
func envelopeAddress(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    let t = s.trimmed
    if let lt = t.index(of: 0x3C) {
        let gt = t.index(of: 0x3E, from: lt + 1) ?? t.count
        return t.slice((lt + 1)..<gt).trimmed
    }
    let end = t.index(of: 0x20) ?? t.count
    return t.slice(0..<end)
}

/// `envelopeAddress` of a header value.
func envelopeAddress(_ s: String) -> String {
    var s = s
    return s.withUTF8 { envelopeAddress(UnsafeRawBufferPointer($0)).printable }
}

// MARK: - SMTP log

/// Follows SMTP sessions through the SMTP log and reports accepted messages, logins and
/// rejections to the ledger.
struct SmarterMailSMTPReader {
    private enum Command { case other, auth, mail, rcpt, data }

    private struct Session {
        var ip: Int32
        var lastSeen: Int64
        var account: Int32?
        var lastCommand = Command.other
        var authPending = false
        var failureJustCounted = false
        var dataStarted = false
        // The transaction under way.
        var sender: Int32?
        var recipients: [Int32] = []
        var size = 0
        var accepted = false
        var acceptedAt = LocalTime(seconds: 0)
    }

    private var sessions = KeyTable<Int, Session>()
    private var linesSinceSweep = 0

    private static let cmd: StaticString = "cmd: ", rsp: StaticString = "rsp: "
    private static let mailFrom: StaticString = "mail from:", rcptTo: StaticString = "rcpt to:"
    private static let authCmd: StaticString = "auth", dataCmd: StaticString = "data", quit: StaticString = "quit", rset: StaticString = "rset"
    private static let authenticatedAs: StaticString = "Authenticated as "
    private static let sizeLine: StaticString = "Received message size: "
    private static let wroteData: StaticString = "Data transfer succeeded"
    private static let wroteHdr: StaticString = "Successfully wrote to the HDR file"
    private static let failurePhrases = ["login failed", "authentication failed", "too many authentication failures"] as [StaticString]

    /// Handles one entry; returns false when the line is not an SMTP session line.
    mutating func read(_ entry: SmarterMailEntry, into ledger: inout MailLedger) -> Bool {
        let s = entry.text
        guard let (ipBytes, afterIP) = bracketGroup(s, at: 0) else {
            return true // service lifecycle line ("smtp started at ...")
        }
        var i = afterIP
        if i < s.count, s[i] == 0x20, i + 1 < s.count, s[i + 1] == 0x5B { i += 1 }
        guard let (idBytes, afterID) = bracketGroup(s, at: i), let sid = idBytes.decimalValue else { return false }
        let text = s.dropFirst(afterID).trimmed
        let t = entry.time

        linesSinceSweep += 1
        if linesSinceSweep >= 65_536 { sweep(before: t.seconds - 3600, into: &ledger) }

        if sessions[sid] == nil { sessions[sid] = Session(ip: ledger.ip(ipBytes), lastSeen: t.seconds) }
        Self.handle(text, at: t, session: &sessions[sid]!, into: &ledger)
        return true
    }

    /// Applies one session line to its session, in place (no copy of the recipient list).
    private static func handle(_ text: UnsafeRawBufferPointer, at t: LocalTime, session: inout Session, into ledger: inout MailLedger) {
        session.lastSeen = t.seconds
        if text.matches(Self.cmd) {
            let c = text.dropFirst(Self.cmd.count)
            session.failureJustCounted = false
            if c.matchesIgnoringCase(Self.mailFrom) {
                flush(&session, into: &ledger)
                session.sender = ledger.address(envelopeAddress(c.dropFirst(Self.mailFrom.count)))
                session.lastCommand = .mail
            } else if c.matchesIgnoringCase(Self.rcptTo) {
                if session.sender != nil {
                    session.recipients.append(ledger.address(envelopeAddress(c.dropFirst(Self.rcptTo.count))))
                }
                session.lastCommand = .rcpt
            } else if c.matchesIgnoringCase(Self.dataCmd) {
                session.lastCommand = .data
            } else if c.matchesIgnoringCase(Self.authCmd) {
                session.lastCommand = .auth
                session.authPending = true
            } else if c.matchesIgnoringCase(Self.quit) || c.matchesIgnoringCase(Self.rset) {
                flush(&session, into: &ledger)
                session.lastCommand = .other
            } else {
                if session.lastCommand != .auth { session.lastCommand = .other }
            }
        } else if text.matches(Self.rsp) {
            guard let (code, _) = text.decimal(at: Self.rsp.count), code >= 200, code < 600 else { return }
            reply(code, &session, at: t, into: &ledger)
        } else if text.matches(Self.authenticatedAs) {
            let account = ledger.address(text.dropFirst(Self.authenticatedAs.count))
            session.account = account
            session.authPending = false
            ledger.login(at: t, ip: session.ip, protocol: "SMTP AUTH", account: account, success: true)
        } else if text.matches(Self.sizeLine) {
            if let (n, _) = text.decimal(at: Self.sizeLine.count) { session.size = n }
            accept(&session, at: t)
        } else if text.matches(Self.wroteData) || text.matches(Self.wroteHdr) {
            accept(&session, at: t)
        } else if !session.failureJustCounted,
                  Self.failurePhrases.contains(where: { text.indexIgnoringCase(of: $0) != nil }) {
            authFailed(&session, at: t, into: &ledger)
        }
    }

    private static func reply(_ code: Int, _ session: inout Session, at t: LocalTime, into ledger: inout MailLedger) {
        if session.authPending || session.lastCommand == .auth {
            if code == 235 { session.authPending = false }
            else if code >= 400 && !session.failureJustCounted { authFailed(&session, at: t, into: &ledger) }
            session.lastCommand = code == 334 ? .auth : .other
            return
        }
        switch session.lastCommand {
        case .rcpt where code >= 400:
            if !session.recipients.isEmpty { session.recipients.removeLast() }
        case .mail where code >= 400:
            session.sender = nil
            session.recipients.removeAll(keepingCapacity: true)
        case .data:
            if code == 354 { session.dataStarted = true }
            else if code < 300 && (session.dataStarted || session.accepted) { accept(&session, at: t) }
            else if code >= 400 { session.accepted = false; session.dataStarted = false }
        default: break
        }
        if code >= 500 { ledger.rejection(at: t) }
    }

    /// Marks the transaction accepted. Each later sign of acceptance (the size line, the spool
    /// file written, the final 250) moves the time on: a message counts when the server last
    /// confirmed it, normally the final `250` after DATA.
    private static func accept(_ session: inout Session, at t: LocalTime) {
        guard session.sender != nil, !session.recipients.isEmpty else { return }
        session.accepted = true
        session.acceptedAt = t
    }

    private static func authFailed(_ session: inout Session, at t: LocalTime, into ledger: inout MailLedger) {
        session.authPending = false
        session.failureJustCounted = true
        ledger.login(at: t, ip: session.ip, protocol: "SMTP AUTH", account: nil, success: false)
    }

    /// Records the transaction under way if the server accepted it, and starts a new one.
    private static func flush(_ session: inout Session, into ledger: inout MailLedger) {
        if session.accepted, let sender = session.sender {
            ledger.message(at: session.acceptedAt, clientIP: session.ip, account: session.account,
                           sender: sender, recipients: session.recipients, size: session.size)
        }
        session.sender = nil
        session.recipients.removeAll(keepingCapacity: true)
        session.size = 0
        session.accepted = false
        session.dataStarted = false
    }

    /// Ends sessions idle since `before` (connections dropped without QUIT), keeping memory bounded.
    private mutating func sweep(before: Int64, into ledger: inout MailLedger) {
        linesSinceSweep = 0
        sessions.removeAll { _, s in
            guard s.lastSeen < before else { return false }
            Self.flush(&s, into: &ledger)
            return true
        }
    }

    /// Ends every session (end of input).
    mutating func finish(into ledger: inout MailLedger) {
        sweep(before: .max, into: &ledger)
    }
}

// MARK: - Delivery log

/// Reads delivery outcomes: local deliveries, and remote completions with their outcome word.
struct SmarterMailDeliveryReader {
    private static let localDelivery: StaticString = "Starting local delivery to "
    private static let deliveryFor: StaticString = "Delivery for "
    private static let hasCompleted: StaticString = "has completed ("
    private static let to: StaticString = " to "

    func read(_ entry: SmarterMailEntry, into ledger: inout MailLedger) -> Bool {
        let s = entry.text
        guard let (_, afterID) = bracketGroup(s, at: 0) else { return true } // service line
        var text = s.dropFirst(afterID)
        if text.first == 0x20 { text = text.dropFirst(1) }
        if text.matches(Self.localDelivery) {
            let r = ledger.address(envelopeAddress(text.dropFirst(Self.localDelivery.count)))
            ledger.delivery(at: entry.time, sender: nil, recipient: r, local: true, outcome: text.slice(0..<0))
        } else if text.matches(Self.deliveryFor), let done = lastIndex(of: Self.hasCompleted, in: text) {
            // "Delivery for S to R<TAB>has completed (Outcome...)": S is the remote party's text,
            // so R is taken from the right, before the server's fixed words.
            let pair = text.slice(Self.deliveryFor.count..<done).trimmed
            guard let split = lastIndex(of: Self.to, in: pair) else { return true }
            let sender = ledger.address(pair.slice(0..<split))
            let recipient = ledger.address(pair.dropFirst(split + Self.to.count))
            if ledger.isLocal(address: recipient) { return true } // completion of a local delivery
            let inside = text.dropFirst(done + Self.hasCompleted.count)
            var end = 0
            while end < inside.count, isLetter(inside[end]) { end += 1 }
            ledger.delivery(at: entry.time, sender: sender, recipient: recipient, local: false,
                            outcome: inside.slice(0..<end))
        }
        return true
    }

    private func lastIndex(of needle: StaticString, in s: UnsafeRawBufferPointer) -> Int? {
        var found: Int?
        var from = 0
        while let i = s.index(of: needle, from: from) { found = i; from = i + 1 }
        return found
    }
}

@inline(__always) func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

// MARK: - Administrative log

/// Reads logins per protocol and IP, and intrusion-detection blocks.
struct SmarterMailAdminReader {
    /// Days whose SMTP log is read too: the administrative log's SMTP logins repeat that log's
    /// AUTH attempts, so they are not counted twice.
    var daysWithSMTPLog: Set<Int64> = []

    private static let loginSuccessful: StaticString = " Login successful"
    private static let loginFailed: StaticString = " Login failed"
    private static let withUser: StaticString = "With user "
    private static let userBracket: StaticString = "User ["
    private static let idsBlock: StaticString = "Added to IDS block list for violating rule "
    private static let type: StaticString = "Type: "
    private static let smtp: StaticString = "smtp"

    /// Handles one entry; continuation lines carry details only, never a second login.
    func read(_ entry: SmarterMailEntry, into ledger: inout MailLedger) -> Bool {
        let s = entry.text
        guard var (ipBytes, after) = bracketGroup(s, at: 0) else { return true }
        if !ipBytes.isEmpty, !isDigit(ipBytes[0]), ipBytes.index(of: 0x3A) == nil {
            // "[IpBruteForceDetector] [ip] ...": a detector name first, then the IP.
            guard after < s.count, s[after] == 0x20, let (ip2, after2) = bracketGroup(s, at: after + 1) else { return true }
            ipBytes = ip2; after = after2
        }
        let text = s.dropFirst(after).trimmed
        let ip = ledger.ip(ipBytes)
        if text.matches(Self.idsBlock) {
            var rule = text.dropFirst(Self.idsBlock.count)
            if rule.matches(Self.type) { rule = rule.dropFirst(Self.type.count) }
            let end = rule.index(of: 0x2C) ?? rule.count
            ledger.block(at: entry.time, ip: ip, rule: rule.slice(0..<end).trimmed.printable)
            return true
        }
        let k = text.index(of: Self.loginSuccessful) ?? text.index(of: Self.loginFailed)
        if let k, daysWithSMTPLog.contains(entry.time.day), text.slice(0..<k).trimmed.matchesIgnoringCase(Self.smtp) {
            return true
        }
        if let k = text.index(of: Self.loginSuccessful) {
            let proto = text.slice(0..<k).trimmed.printable
            var account: Int32?
            if let u = text.index(of: Self.withUser, from: k) {
                let user = text.dropFirst(u + Self.withUser.count).trimmed
                if !user.isEmpty { account = ledger.address(user) }
            }
            ledger.login(at: entry.time, ip: ip, protocol: proto, account: account, success: true)
        } else if let k = text.index(of: Self.loginFailed) {
            ledger.login(at: entry.time, ip: ip, protocol: text.slice(0..<k).trimmed.printable, account: nil, success: false)
        }
        return true
    }
}
