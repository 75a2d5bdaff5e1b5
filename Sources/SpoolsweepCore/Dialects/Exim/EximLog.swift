/// One Exim log line: `YYYY-MM-DD HH:MM:SS[.mmm][ ±HHMM][ [pid]] [ID ]text`. The time zone
/// suffix (`log_timezone`) is read and ignored (every time spoolsweep handles is the server's
/// local time); the message id is either form: 16 characters `6-6-2` (before Exim 4.97) or 23
/// `6-11-4` (since).
struct EximEntry {
    let time: LocalTime
    /// The message id the line is about, when it starts with one.
    let id: UnsafeRawBufferPointer?
    /// The rest: after the id (`<= sender ...`, `=> ...`, `Completed`), or the whole text of a
    /// line about no message (`SMTP connection from ...`).
    let text: UnsafeRawBufferPointer
    /// The process id (`log_selector = +pid`), when logged.
    let pid: UnsafeRawBufferPointer?

    init?(_ s: UnsafeRawBufferPointer) {
        guard s.count >= 20, isDigit(s[0]), s[4] == 0x2D, s[7] == 0x2D, s[10] == 0x20,
              let y = s.slice(0..<4).decimalValue, let mo = s.slice(5..<7).decimalValue, let d = s.slice(8..<10).decimalValue,
              (1...12).contains(mo), (1...31).contains(d),
              let (ms, afterTime) = LogFields.timeOfDay(s, at: 11) else { return nil }
        time = LocalTime(milliseconds: LocalTime.days(year: y, month: mo, day: d) * 86_400_000 + ms)
        var i = afterTime
        guard i < s.count, s[i] == 0x20 else { return nil }
        i += 1
        // " +0100" / " -0500": log_timezone.
        if i + 5 <= s.count, s[i] == 0x2B || s[i] == 0x2D, (1...4).allSatisfy({ isDigit(s[i + $0]) }) {
            i += 5
            if i < s.count, s[i] == 0x20 { i += 1 }
        }
        // "[pid] ": log_selector +pid.
        var pid: UnsafeRawBufferPointer?
        if i < s.count, s[i] == 0x5B, let close = s.index(of: 0x5D, from: i + 1), close < i + 12,
           (i + 1 < close) && (i + 1..<close).allSatisfy({ isDigit(s[$0]) }) {
            pid = s.slice((i + 1)..<close)
            i = close + 1
            if i < s.count, s[i] == 0x20 { i += 1 }
        }
        self.pid = pid
        let rest = s.dropFirst(i)
        if let length = Self.idLength(rest), length < rest.count, rest[length] == 0x20 {
            id = rest.slice(0..<length)
            text = rest.dropFirst(length + 1)
        } else {
            id = nil
            text = rest
        }
    }

    /// The length of the message id `s` starts with: 16 (`1xXVb0-0007uJ-0Y`) or 23
    /// (`1vnYk1-00000033BQ-1E0a`... `6-11-4`), or nil.
    static func idLength(_ s: UnsafeRawBufferPointer) -> Int? {
        func alnum(_ from: Int, _ n: Int) -> Bool {
            (from..<(from + n)).allSatisfy { isDigit(s[$0]) || isLetter(s[$0]) }
        }
        if s.count >= 16, s[6] == 0x2D, s[13] == 0x2D, alnum(0, 6), alnum(7, 6), alnum(14, 2),
           s.count == 16 || s[16] == 0x20 { return 16 }
        if s.count >= 23, s[6] == 0x2D, s[18] == 0x2D, alnum(0, 6), alnum(7, 11), alnum(19, 4) { return 23 }
        return nil
    }
}

/// Follows messages through an Exim main log by message id and reports their facts.
///
/// An arrival (`<=`) with its recipients logged (`for a b`, log_selector `+received_recipients`)
/// is reported accepted at once; without them, its recipients are gathered from its delivery
/// lines (`=>` `->` `*>` `**` `==`) and it is reported at `Completed` or at the end of the input.
/// Its time is always the arrival's. Logins come from `A=` on arrivals and on `no MAIL in SMTP
/// connection` lines, failures from `authenticator failed` lines; refusals from `rejected ...`
/// and `SMTP protocol synchronization error` lines; connections from `SMTP connection from`
/// (log_selector `+smtp_connection`). With the work shared, a message's lines are its id's share,
/// a login's, a refusal's or a connection's its client IP's.
///
/// Fields the sender chooses are never trusted to delimit others: the client IP is the final
/// `[ip]` of `H=`, whose HELO (in parentheses) may hold anything; `A=`, `P=`, `S=` count only
/// before the size, ahead of `id=` and the quoted subject `T="..."` (whose `\"` escapes are
/// followed), and the recipients only after the subject.
struct EximLogReader {
    private struct Message {
        var received: LocalTime
        /// The message id, the client IP, the account, then the envelope sender.
        var text: [UInt8] = []
        let keyLength: Int, ipEnd: Int, accountEnd: Int
        let hasAccount: Bool
        var size = 0
        var protocolName: [UInt8] = []
        /// The HELO of `H=(helo)`, and the Message-ID of `id=`, when logged.
        var helo: [UInt8] = [], messageID: [UInt8] = []
        /// Already reported accepted (its recipients were on the arrival line).
        var reported = false
        var recipients = RecipientBuffer()

        var sender: Range<Int> { accountEnd..<text.count }

    init(key: UnsafeRawBufferPointer, received: LocalTime, clientIP: UnsafeRawBufferPointer, account: UnsafeRawBufferPointer?,
         sender: UnsafeRawBufferPointer) {
        self.received = received
        text.append(contentsOf: key)
        keyLength = key.count
        text.append(contentsOf: clientIP)
        ipEnd = text.count
        if let account { text.append(contentsOf: account) }
        accountEnd = text.count
        hasAccount = account != nil
        text.append(contentsOf: sender)
    }

        /// Adds a recipient; one without a domain (`root`, from a local submission) gets the
        /// sender's, which Exim qualified the same way (`qualify_domain`).
        mutating func add(recipient r: UnsafeRawBufferPointer, qualifiedLike sender: UnsafeRawBufferPointer) {
            guard r.index(of: 0x40) == nil, let at = sender.lastIndex(where: { $0 == 0x40 }) else { return recipients.add(r) }
            var full = Array(r)
            full.append(contentsOf: sender.dropFirst(at))
            full.withUnsafeBytes { recipients.add($0) }
        }
    }

    private var messages = KeyTable<EximID, Message>()
    /// This share's arrival lines whose size was out of range (read as 0), for the warning.
    private(set) var badSizes = 0
    /// The last cPanel `cwd=` line (the folder a local submission came from) and its pid.
    private var lastCwd: [UInt8] = []
    private var lastCwdPid: [UInt8] = []
    private var lastCwdLine = -1
    private var line = 0

    private static let setID: StaticString = "(set_id="
    private static let arrival: StaticString = "<= ", completed: StaticString = "Completed"
    private static let hostField: StaticString = "H=", failedFor: StaticString = "authenticator failed for "
    private static let noMail: StaticString = "no MAIL in SMTP connection from ", syncError: StaticString = "SMTP protocol synchronization error"
    private static let smtpConnection: StaticString = "SMTP connection from ", connectionCount: StaticString = " (TCP/IP connection count = "
    private static let temporarily: StaticString = "temporarily rejected", rejected: StaticString = "rejected "
    private static let smtpAuth: StaticString = "SMTP AUTH", cwd: StaticString = "cwd="
    private static let delivered: StaticString = "delivered", suppressed: StaticString = "suppressed"
    private static let deferred: StaticString = "deferred", failed: StaticString = "failed"

    mutating func read<Sink: MailFactSink>(_ e: EximEntry, share: LogShare, into sink: inout Sink) {
        line &+= 1
        let text = e.text
        guard let idBytes = e.id else {
            readSessionLine(e, share: share, into: &sink)
            return
        }
        if text.matches(Self.arrival) {
            arrivalLine(e, id: idBytes, share: share, into: &sink)
            return
        }
        if text.count >= 3, text[2] == 0x20, text[1] == 0x3E || text[1] == 0x3D || text[1] == 0x2A, share.owns(idBytes) {
            // "=> " "-> " "*> " "== " "** "
            let flag = (text[0], text[1])
            switch flag {
            case (0x3D, 0x3E), (0x2D, 0x3E): delivery(e, id: idBytes, class: .delivered, word: Self.delivered, into: &sink)
            case (0x2A, 0x3E): delivery(e, id: idBytes, class: .delivered, word: Self.suppressed, into: &sink)
            case (0x3D, 0x3D): delivery(e, id: idBytes, class: .deferred, word: Self.deferred, into: &sink)
            case (0x2A, 0x2A): delivery(e, id: idBytes, class: .bounced, word: Self.failed, into: &sink)
            default: break
            }
            return
        }
        if text.matches(Self.completed), share.owns(idBytes) {
            flush(EximID(idBytes), into: &sink)
            sink.take(.removed(MessageRemoved(time: e.time, key: idBytes)))
        } else if text.matches(Self.hostField), text.index(of: Self.rejected) != nil {
            // "<id> H=... F=<> rejected after DATA: ...": refused although it had an id.
            readSessionLine(e, share: share, into: &sink)
        } else if text.matches(Self.cwd) {
            // cPanel: "<id> cwd=/home/user/public_html 3 args: /usr/sbin/sendmail -t -i"
            noteCwd(text, pid: e.pid)
        }
    }

    /// A line about a connection, not a message: logins, refusals, cPanel's `cwd=`.
    private mutating func readSessionLine<Sink: MailFactSink>(_ e: EximEntry, share: LogShare, into sink: inout Sink) {
        let text = e.text
        if text.matches(Self.hostField) {
            // "H=(helo) [ip]:port F=<s> rejected RCPT <r>: reason", "... rejected MAIL <s>: ...",
            // "... rejected EHLO or HELO x: ...", "... rejected connection in "connect" ACL".
            guard let host = EximFields.host(text, at: 2), share.owns(host.ip) else { return }
            let rest = text.dropFirst(host.end)
            guard let r = rest.index(of: Self.rejected) else { return }
            let code = rest.index(of: Self.temporarily).map { $0 < r + 1 } == true ? 450 : 550
            let after = rest.dropFirst(r + Self.rejected.count)
            // The reason: after the command's `: ` (`rejected RCPT <r>: relay not permitted`).
            let reason = after.index(of: ": ").map { after.dropFirst($0 + 2) } ?? after
            if after.matches("RCPT ") {
                sink.take(.recipientRejected(RecipientRejection(
                    time: e.time, clientIP: host.ip, recipient: EnvelopeAddress.normalised(EximFields.token(after, at: 5)), code: code,
                    reason: reason)))
            } else {
                sink.take(.rejection(Rejection(time: e.time, clientIP: host.ip, code: code, reason: reason)))
            }
        } else if let f = text.index(of: Self.failedFor) {
            // "login authenticator failed for (helo) [ip]:port: 535 Incorrect authentication data (set_id=u)"
            // (The set_id is the name tried, not an account that logged in: a failure's account.)
            var at = f + Self.failedFor.count
            if text.matches(Self.hostField, at: at) { at += 2 }
            guard let host = EximFields.host(text, at: at), share.owns(host.ip) else { return }
            var tried: UnsafeRawBufferPointer?
            if let s = text.index(of: Self.setID, from: at) {
                let name = text.dropFirst(s + Self.setID.count)
                tried = name.slice(0..<(name.index(of: 0x29) ?? name.count))
            }
            Self.smtpAuth.withUTF8Buffer { proto in
                sink.take(.login(LoginAttempt(time: e.time, ip: host.ip, protocolName: UnsafeRawBufferPointer(proto),
                                              account: tried.flatMap { $0.isEmpty ? nil : $0 }, success: false)))
            }
        } else if text.matches(Self.noMail) {
            // "no MAIL in SMTP connection from (helo) [ip]:port D=0.2s A=plain:user C=EHLO,AUTH,QUIT":
            // a login that sent nothing.
            guard let host = EximFields.host(text, at: Self.noMail.count), share.owns(host.ip) else { return }
            var fields = EximFields.Scanner(text, from: host.end)
            while let (key, value) = fields.next() {
                guard key.matches("A=") else { continue }
                let account = EximFields.account(value)
                guard let account else { break }
                Self.smtpAuth.withUTF8Buffer { proto in
                    sink.take(.login(LoginAttempt(time: e.time, ip: host.ip, protocolName: UnsafeRawBufferPointer(proto), account: account, success: true)))
                }
                break
            }
        } else if text.matches(Self.smtpConnection) {
            // "SMTP connection from [ip]:port (TCP/IP connection count = 1)" opens one (+smtp_connection);
            // "... closed by QUIT", "... lost", "D=..." and "... refused" lines are not new ones.
            guard let host = EximFields.host(text, at: Self.smtpConnection.count), text.matches(Self.connectionCount, at: host.end),
                  share.owns(host.ip) else { return }
            sink.take(.connection(ClientConnection(time: e.time, clientIP: host.ip)))
        } else if text.matches(Self.syncError) {
            // "SMTP protocol synchronization error (input sent without waiting for greeting):
            // rejected connection from H=[ip]:port input=..."
            guard let h = text.index(of: " H="), let host = EximFields.host(text, at: h + 3), share.owns(host.ip) else { return }
            sink.take(.rejection(Rejection(time: e.time, clientIP: host.ip, code: 554)))
        } else if text.matches(Self.cwd) {
            noteCwd(text, pid: e.pid)
        }
    }

    private mutating func noteCwd(_ text: UnsafeRawBufferPointer, pid: UnsafeRawBufferPointer?) {
        let end = text.index(of: 0x20, from: Self.cwd.count) ?? text.count
        lastCwd.removeAll(keepingCapacity: true)
        lastCwd.append(contentsOf: text.slice(0..<end))
        lastCwdPid.removeAll(keepingCapacity: true)
        if let pid { lastCwdPid.append(contentsOf: pid) }
        lastCwdLine = line
    }

    /// `<= sender [R=] [U=] [H=...] [I=] P= [X=] [CV=] [SNI=] [A=] S= [id=] [T="..."] [from <...>] [for r...]`.
    private mutating func arrivalLine<Sink: MailFactSink>(_ e: EximEntry, id: UnsafeRawBufferPointer, share: LogShare, into sink: inout Sink) {
        let text = e.text
        let senderEnd = text.index(of: 0x20, from: 3) ?? text.count
        let sender = EnvelopeAddress.normalised(text.slice(3..<senderEnd))
        var ip: UnsafeRawBufferPointer?
        var helo: UnsafeRawBufferPointer?, messageID: UnsafeRawBufferPointer?
        var localUser: UnsafeRawBufferPointer?
        var account: UnsafeRawBufferPointer?
        var proto = text.slice(0..<0)
        var size = 0
        var recipientsStart: Int?
        var fields = EximFields.Scanner(text, from: senderEnd)
        var sawSize = false, badSize = false, sawSubject = false
        while let (key, value) = fields.next() {
            if key.matches("for") { recipientsStart = fields.position; break }
            if sawSize {
                // id= (the Message-ID: Exim writes it before T=), T= and the rest: the sender's text.
                if key.matches("T=") { sawSubject = true }
                if !sawSubject, messageID == nil, key.matches("id=") { messageID = value }
                continue
            }
            if key.matches("H=") {
                guard let host = EximFields.host(text, at: fields.valueStart) else { break }
                ip = host.ip
                helo = host.helo
                fields.position = host.end
            } else if key.matches("U=") {
                localUser = value
            } else if key.matches("P=") {
                proto = value
            } else if key.matches("A=") {
                account = EximFields.account(value)
            } else if key.matches("S=") {
                sawSize = true
                if let (n, end) = LogFields.messageSize(value, at: 0), end == value.count, let n { size = n } else { badSize = true }
            }
        }
        if let ip, let account, share.owns(ip) {
            Self.smtpAuth.withUTF8Buffer { p in
                sink.take(.login(LoginAttempt(time: e.time, ip: ip, protocolName: UnsafeRawBufferPointer(p), account: account, success: true)))
            }
        }
        guard share.owns(id) else { return }
        if badSize { badSizes += 1 }
        // A local submission's "client": the script folder cPanel logged just before, or the user.
        var client: [UInt8] = []
        if ip == nil {
            let sameProcess = e.pid.map { lastCwdPid.elementsEqual($0) } ?? (lastCwdLine == line - 1)
            if !lastCwd.isEmpty, sameProcess {
                client = lastCwd
            } else if let localUser {
                client = Array("U=".utf8) + Array(localUser)
            }
        }
        let key = EximID(id)
        var m = withClient(ip, client) { ipBytes in
            Message(key: id, received: e.time, clientIP: ipBytes, account: account, sender: sender)
        }
        if let helo { m.helo = Array(helo) }
        if let messageID { m.messageID = Array(LogFields.bareMessageID(messageID)) }
        m.size = size
        m.protocolName = Array(proto)
        if let start = recipientsStart {
            var i = start
            while i < text.count {
                let end = text.index(of: 0x20, from: i) ?? text.count
                if end > i { m.add(recipient: EnvelopeAddress.normalised(text.slice(i..<end)), qualifiedLike: sender) }
                i = end + 1
            }
            report(m, into: &sink)
            m.reported = true
            m.recipients = RecipientBuffer()
        }
        messages[key] = m
    }

    private func withClient<R>(_ ip: UnsafeRawBufferPointer?, _ client: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let ip { return body(ip) }
        return client.withUnsafeBytes { body($0) }
    }

    /// `=> addr [<original>] [F=<sender>] ... R= T= [H=host [ip]:port] ...`, and the other flags.
    private mutating func delivery<Sink: MailFactSink>(
        _ e: EximEntry, id: UnsafeRawBufferPointer, class outcome: DeliveryClass, word: StaticString, into sink: inout Sink
    ) {
        let text = e.text
        let addressEnd = EximFields.tokenEnd(text, at: 3)
        var recipient = EnvelopeAddress.normalised(text.slice(3..<addressEnd))
        var detailStart = addressEnd
        // "liam <liam@acme-corp.test>", "olivia (root@x) <postmaster@x>": the address as
        // received follows the one delivered to (and the parent it was redirected through).
        var at = addressEnd + 1
        if at < text.count, text[at] == 0x28, let close = text.index(of: 0x29, from: at + 1) { at = close + 2 }
        if at < text.count, text[at] == 0x3C, let gt = text.index(of: 0x3E, from: at + 1) {
            recipient = text.slice((at + 1)..<gt)
            detailStart = gt + 1
        }
        var sender: UnsafeRawBufferPointer?
        var remote = false
        var fields = EximFields.Scanner(text, from: detailStart)
        while let (key, value) = fields.next() {
            if key.matches("F=") { sender = EnvelopeAddress.normalised(value) }
            else if key.matches("H=") { remote = true; break }
            else if key.matches("C=") || key.matches("QT=") || key.matches("DT=") { break }
        }
        var detail = text.dropFirst(detailStart).trimmed
        if let colon = detail.index(of: ": "), outcome != .delivered { detail = detail.dropFirst(colon + 2) }
        // "... Connection refused DT=0.000s": the timing fields after the reason are not part of it.
        while let blank = detail.lastIndex(where: { $0 == 0x20 }),
              detail.matches("DT=", at: blank + 1) || detail.matches("QT=", at: blank + 1) {
            detail = detail.slice(0..<blank)
        }
        let key = EximID(id)
        word.withUTF8Buffer { w in
            let wordBytes = UnsafeRawBufferPointer(w)
            func emit(_ s: UnsafeRawBufferPointer?) {
                sink.take(.delivery(DeliveryAttempt(
                    time: e.time, key: id, sender: s, recipient: recipient, isLocal: outcome == .delivered && !remote,
                    outcome: outcome, word: wordBytes, detail: outcome == .delivered ? wordBytes : detail, attempt: 0)))
            }
            if let sender { emit(sender) }
            else if let m = messages[key] { m.text.withUnsafeBytes { emit($0.slice(m.sender)) } }
            else { emit(nil) }
        }
        if messages[key]?.reported == false { messages[key]!.recipients.add(recipient) }
    }

    private func report<Sink: MailFactSink>(_ m: Message, into sink: inout Sink) {
        m.text.withUnsafeBytes { text in
            m.recipients.withList { recipients in
                m.protocolName.withUnsafeBytes { proto in
                    m.helo.withUnsafeBytes { helo in
                        m.messageID.withUnsafeBytes { messageID in
                            sink.take(.accepted(AcceptedMessage(
                                time: m.received, key: text.slice(0..<m.keyLength), clientIP: text.slice(m.keyLength..<m.ipEnd),
                                account: m.hasAccount ? text.slice(m.ipEnd..<m.accountEnd) : nil,
                                sender: text.slice(m.sender), recipients: recipients, size: m.size,
                                protocolName: proto, spoolName: nil,
                                helo: helo.isEmpty ? nil : helo, messageID: messageID.isEmpty ? nil : messageID)))
                        }
                    }
                }
            }
        }
    }

    private mutating func flush<Sink: MailFactSink>(_ key: EximID, into sink: inout Sink) {
        guard let m = messages.removeValue(forKey: key), !m.reported else { return }
        report(m, into: &sink)
    }

    /// Messages still queued at the end of the input count too, oldest first.
    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) {
        for (key, m) in messages.entries.sorted(by: { $0.value.received < $1.value.received }) where !m.reported {
            flush(key, into: &sink)
        }
        messages = KeyTable()
    }
}

/// A message id packed for hashing: its bytes as three words (16 or 23 of them).
struct EximID: TableKey {
    let a: UInt64, b: UInt64, c: UInt64

    init(_ s: UnsafeRawBufferPointer) {
        a = s.count >= 8 ? s.loadUnaligned(as: UInt64.self) : 0
        b = s.count >= 16 ? s.loadUnaligned(fromByteOffset: 8, as: UInt64.self) : 0
        var tail: UInt64 = UInt64(s.count) << 56
        var i = 16
        while i < min(s.count, 23) { tail |= UInt64(s[i]) << (8 * UInt64(i - 16)); i += 1 }
        c = tail
    }

    private init() { a = 0; b = 0; c = 0 }
    static let unused = EximID()

    var tableHash: UInt64 {
        ((a &* 0x9E37_79B9_7F4A_7C15) ^ b ^ (c &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
    }
}

/// The field shapes of Exim's log lines.
enum EximFields {
    /// The client in an `H=` value (at `at`, just after `H=`): `[ip]`, `name [ip]`, `(helo)
    /// [ip]` or `name (helo) [ip]`, each with an optional `:port`. The IP and where the value ends.
    /// The HELO is the client's text: it ends at the first `) [` followed by an IP literal and
    /// a blank (or the line's end), so a HELO holding ` A=` or ` S=` changes nothing.
    /// The HELO, when logged (Exim leaves it out when it equals the verified name), is the text
    /// inside the parentheses.
    static func host(_ s: UnsafeRawBufferPointer, at: Int) -> (ip: UnsafeRawBufferPointer, end: Int, helo: UnsafeRawBufferPointer?)? {
        var j = at
        guard j < s.count else { return nil }
        if s[j] != 0x28 && s[j] != 0x5B {
            // A verified host name: no blanks.
            j = s.index(of: 0x20, from: j).map { $0 + 1 } ?? s.count
        }
        var helo: UnsafeRawBufferPointer?
        if j < s.count, s[j] == 0x28 {
            var k = j + 1
            while true {
                guard let close = s.index(of: ") [", from: k) else { return nil }
                if ipLiteral(s, at: close + 2) != nil { helo = s.slice((j + 1)..<close); j = close + 2; break }
                k = close + 1
            }
        }
        return ipLiteral(s, at: j).map { ($0.ip, $0.end, helo) }
    }

    /// `[ip]` or `[ip]:port` at `at`, followed by a blank, a colon or the end.
    private static func ipLiteral(_ s: UnsafeRawBufferPointer, at: Int) -> (ip: UnsafeRawBufferPointer, end: Int)? {
        guard at < s.count, s[at] == 0x5B, let close = s.index(of: 0x5D, from: at + 1), close > at + 1, close - at <= 46 else { return nil }
        for i in (at + 1)..<close {
            let c = s[i]
            guard isDigit(c) || c == 0x2E || c == 0x3A || (asciiLower(c) >= 0x61 && asciiLower(c) <= 0x66) else { return nil }
        }
        var end = close + 1
        if end < s.count, s[end] == 0x3A, end + 1 < s.count, isDigit(s[end + 1]) {
            end += 1
            while end < s.count, isDigit(s[end]) { end += 1 }
        }
        guard end == s.count || s[end] == 0x20 || s[end] == 0x3A else { return nil }
        return (s.slice((at + 1)..<close), end)
    }

    /// The id of `A=authenticator:id` (nil when the authenticator set none).
    static func account(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let colon = value.index(of: 0x3A), colon + 1 < value.count else { return nil }
        return value.dropFirst(colon + 1)
    }

    /// Where the word at `at` ends (a blank, or the end).
    static func tokenEnd(_ s: UnsafeRawBufferPointer, at: Int) -> Int {
        s.index(of: 0x20, from: at) ?? s.count
    }

    /// The word at `at`.
    static func token(_ s: UnsafeRawBufferPointer, at: Int) -> UnsafeRawBufferPointer {
        guard at < s.count else { return s.slice(0..<0) }
        return s.slice(at..<tokenEnd(s, at: at))
    }

    /// The ` KEY=value` fields of a line, left to right: a quoted value (`T="a \" b"`) ends at
    /// its closing quote, `<...>` (after `from`) at its `>`, any other at the next blank. A
    /// word without `=` (`for`, `from`, `L`, `K`) is a key with an empty value.
    struct Scanner {
        let s: UnsafeRawBufferPointer
        var position: Int
        /// Where the last value began.
        private(set) var valueStart = 0

        init(_ s: UnsafeRawBufferPointer, from: Int) { self.s = s; position = from }

        mutating func next() -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
            while position < s.count, s[position] == 0x20 { position += 1 }
            guard position < s.count else { return nil }
            let start = position
            var i = start
            while i < s.count, s[i] != 0x20, s[i] != 0x3D { i += 1 }
            guard i < s.count, s[i] == 0x3D else {
                // A bare word; "from <sender>" takes its address along.
                position = i
                let word = s.slice(start..<i)
                if word.matches("from"), i + 1 < s.count, s[i + 1] == 0x3C {
                    position = (s.index(of: 0x3E, from: i + 2) ?? s.count - 1) + 1
                }
                valueStart = i
                return (word, s.slice(i..<i))
            }
            let key = s.slice(start..<(i + 1)) // with the "="
            valueStart = i + 1
            var end = i + 1
            if end < s.count, s[end] == 0x22 {
                end += 1
                while end < s.count, s[end] != 0x22 { end += s[end] == 0x5C ? 2 : 1 }
                end = min(end + 1, s.count)
            } else {
                end = s.index(of: 0x20, from: end) ?? s.count
            }
            position = end
            return (key, s.slice(valueStart..<end))
        }
    }
}
