import Glibc

/// The kinds of SmarterMail daily log spoolsweep reads.
enum SmarterMailLogKind: Int, CaseIterable, Sendable {
    // Read in this order. Nothing depends on it but the order of one IP's logins, which the
    // administrative log and the SMTP log both report.
    case delivery, administrative, smtp

    /// From a file name `YYYY.MM.DD-<kind>.log`: the kind and the day (days since 1970). A day
    /// compressed in place (`YYYY.MM.DD-<kind>.log.zip`, by the server's maintenance task; or
    /// `.log.gz`) is the same log.
    static func parse(fileName: String) -> (kind: SmarterMailLogKind?, day: Int64)? {
        let fileName = Compression.stripped(fileName)
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

extension SmarterMailLogKind {
    /// The key whose share an entry belongs to, from the entry's text: an SMTP session line's
    /// client IP, a delivery's id (without its `-N` attempt), an administrative line's IP. Nil
    /// for a line without one (a service line, an odd line): those are the first share's.
    func shareKey(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let (first, after) = LogFields.bracketGroup(text, at: 0) else { return nil }
        switch self {
        case .smtp:
            var i = after
            if i < text.count, text[i] == 0x20 { i += 1 }
            // Only a session line (an id that is a number) is a session's: the rest are the first share's.
            return LogFields.bracketGroup(text, at: i)?.0.decimalValue != nil ? first : nil
        case .delivery:
            return first.slice(0..<(first.index(of: 0x2D) ?? first.count))
        case .administrative:
            guard !first.isEmpty, !isDigit(first[0]), first.index(of: 0x3A) == nil else { return first }
            // "[IpBruteForceDetector] [ip] ...": a detector name first, then the IP.
            guard after < text.count, text[after] == 0x20 else { return nil }
            return LogFields.bracketGroup(text, at: after + 1)?.0
        }
    }

    /// Where an entry's text starts in a raw line, without reading its time: after the
    /// `[YYYY.MM.DD] ` prefix and the `HH:mm:ss[.fff] ` stamp (0 for a time at the end).
    static func textStart(_ line: UnsafeRawBufferPointer) -> Int {
        var i = 0
        if line.count > 13, line[0] == 0x5B, line[11] == 0x5D, line[12] == 0x20 { i = 13 }
        guard i < line.count, isDigit(line[i]) else { return i }
        return min(line.count, (line.index(of: 0x20, from: i) ?? line.count) + 1)
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
        if let (ms, end) = LogFields.timeOfDay(s, at: 0), end < s.count, s[end] == 0x20 {
            time = LocalTime(milliseconds: day * 86_400_000 + ms)
            text = s.dropFirst(end + 1)
            return
        }
        // Time at the end of the line.
        guard s.first == 0x5B, let space = s.lastIndex(of: 0x20),
              let (ms, end) = LogFields.timeOfDay(s, at: space + 1), end == s.count else { return nil }
        time = LocalTime(milliseconds: day * 86_400_000 + ms)
        text = s.slice(0..<space)
    }
}

// MARK: - SMTP log

/// Follows SMTP sessions through the SMTP log and reports accepted messages, logins and
/// rejections. A session is one client IP's: with the work shared, one share keeps all the
/// sessions of an IP (`SmarterMailLogKind.shareKey`), so its logins stay in order.
struct SmarterMailSMTPReader {
    /// This share's `Received message size:` lines out of range (read as absent), for the warning.
    private(set) var badSizes = 0
    /// Where the envelopes of sessions logged below the Detailed level are completed from, and
    /// the earliest message reported.
    var completion = Completion()

    struct Completion {
        /// The spool being read, for the `.hdr` a session names (nil: no spool in the layout).
        var spool: SmarterMailSpoolLookup?
        /// Messages accepted before this are not reported (they belong to a day before the
        /// range, read only for the sessions that continue into it).
        var notBefore = LocalTime(milliseconds: .min)
    }
    private enum Command { case other, auth, mail, rcpt, data }

    private struct Session {
        var lastSeen: Int64
        /// The client IP, the session id, the account, then the transaction's envelope sender and
        /// spool file: one buffer for the session.
        var text: [UInt8]
        let ipLength: Int, idEnd: Int
        var accountEnd: Int
        var hasAccount = false
        var lastCommand = Command.other
        var authPending = false
        var failureJustCounted = false
        var dataStarted = false
        // The transaction under way.
        var hasSender = false
        var recipients: [UInt8] = []
        var ends: [Int32] = []
        var size = 0
        var accepted = false
        var acceptedAt = LocalTime(seconds: 0)
        var spoolName: Range<Int>?
        /// The `.hdr` path the log named (`C:/SmarterMail/Spool/SubSpool3/x.hdr`), after the spool name.
        var spoolPath: Range<Int>?
        /// A transaction begun without `cmd: MAIL FROM` (a log below the Detailed level): its
        /// sender is the account until the `.hdr` says otherwise, and it is accepted by the
        /// server's own success lines, not by replies.
        var inferred = false
        /// The transaction's `Received message size` line was seen.
        var sizeSeen = false
        /// Something names the sender: MAIL FROM, the account, or the `.hdr`.
        var senderKnown = true
        /// The client's HELO/EHLO name (the session's), and the transaction's Message-ID.
        var helo: [UInt8] = []
        var messageID: [UInt8] = []

        /// A new session, in the buffers of one that ended (no allocation once there are some).
        init(ip: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, at t: Int64, reusing spare: inout [Buffers]) {
            lastSeen = t
            if let b = spare.popLast() {
                (text, recipients, ends, helo, messageID) = (b.text, b.recipients, b.ends, b.helo, b.messageID)
            } else { text = [] }
            text.append(contentsOf: ip)
            text.append(contentsOf: id)
            ipLength = ip.count
            idEnd = text.count
            accountEnd = idEnd
        }

        mutating func setAccount(_ account: UnsafeRawBufferPointer) {
            let shift = account.count - (accountEnd - idEnd)
            text.replaceSubrange(idEnd..<accountEnd, with: account)
            accountEnd += shift
            if let r = spoolName { spoolName = (r.lowerBound + shift)..<(r.upperBound + shift) }
            if let r = spoolPath { spoolPath = (r.lowerBound + shift)..<(r.upperBound + shift) }
            hasAccount = true
        }

        struct Buffers { var text: [UInt8], recipients: [UInt8], ends: [Int32], helo: [UInt8], messageID: [UInt8] }

        /// Its buffers, emptied, for the next session.
        mutating func takeBuffers() -> Buffers {
            endTransaction()
            text.removeAll(keepingCapacity: true)
            helo.removeAll(keepingCapacity: true)
            defer { (text, recipients, ends, helo, messageID) = ([], [], [], [], []) }
            return Buffers(text: text, recipients: recipients, ends: ends, helo: helo, messageID: messageID)
        }

        mutating func startTransaction(sender: UnsafeRawBufferPointer) {
            endTransaction()
            text.append(contentsOf: sender)
            hasSender = true
        }

        /// A transaction the log shows only by `Sender accepted`, the size or the spool file
        /// written: from the account (or an unknown sender, empty) to recipients unknown so far.
        mutating func startInferred() {
            endTransaction()
            for i in idEnd..<accountEnd { text.append(text[i]) }
            hasSender = true
            inferred = true
            senderKnown = hasAccount
        }

        /// The sender's end in `text`.
        var senderEnd: Int { spoolName?.lowerBound ?? text.count }

        mutating func endTransaction() {
            text.removeSubrange(accountEnd...)
            hasSender = false
            inferred = false
            sizeSeen = false
            senderKnown = true
            spoolPath = nil
            recipients.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            messageID.removeAll(keepingCapacity: true)
            size = 0
            accepted = false
            dataStarted = false
            spoolName = nil
        }
    }

    /// A session idle this long is over (a connection dropped without QUIT).
    static let idleSeconds: Int64 = 3600

    private var sessions = KeyTable<Int, Session>()
    /// The buffers of ended sessions, for new ones.
    private var spare: [Session.Buffers] = []
    private var linesSinceSweep = 0

    private static let cmd: StaticString = "cmd: ", rsp: StaticString = "rsp: "
    private static let mailFrom: StaticString = "mail from:", rcptTo: StaticString = "rcpt to:"
    private static let authCmd: StaticString = "auth", dataCmd: StaticString = "data", quit: StaticString = "quit", rset: StaticString = "rset"
    private static let authenticatedAs: StaticString = "Authenticated as "
    private static let sizeLine: StaticString = "Received message size: "
    private static let wroteData: StaticString = "Data transfer succeeded"
    private static let wroteHdr: StaticString = "Successfully wrote to the HDR file"
    private static let senderAccepted: StaticString = "Sender accepted"
    private static let writingMail: StaticString = "writing mail to ", messageIDField: StaticString = "(MessageID: "
    private static let ehlo: StaticString = "ehlo ", helo: StaticString = "helo "
    private static let failurePhrases = ["login failed", "authentication failed", "too many authentication failures"] as [StaticString]
    private static let smtpAuth: StaticString = "SMTP AUTH", smtp: StaticString = "SMTP"

    /// Handles one entry; returns false when the line is not an SMTP session line.
    mutating func read<Sink: MailFactSink>(_ entry: SmarterMailEntry, into sink: inout Sink) -> Bool {
        let s = entry.text
        guard let (ipBytes, afterIP) = LogFields.bracketGroup(s, at: 0) else {
            return true // service lifecycle line ("smtp started at ...")
        }
        var i = afterIP
        if i < s.count, s[i] == 0x20, i + 1 < s.count, s[i + 1] == 0x5B { i += 1 }
        guard let (idBytes, afterID) = LogFields.bracketGroup(s, at: i), let sid = idBytes.decimalValue else { return false }
        let text = s.dropFirst(afterID).trimmed
        let t = entry.time

        linesSinceSweep += 1
        if linesSinceSweep >= 65_536 { sweep(before: t.seconds - Self.idleSeconds, into: &sink) }

        if text.matches(Self.sizeLine), let (n, _) = LogFields.messageSize(text, at: Self.sizeLine.count), n == nil { badSizes += 1 }
        Self.line(text, at: t, ip: ipBytes, id: idBytes, slot: &sessions[sid], spare: &spare, completion, into: &sink)
        return true
    }

    /// One line of the session in `slot` (looked up once, changed in place, never copied).
    private static func line<Sink: MailFactSink>(
        _ text: UnsafeRawBufferPointer, at t: LocalTime, ip: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer,
        slot: inout Session?, spare: inout [Session.Buffers], _ c: Completion, into sink: inout Sink
    ) {
        if let last = slot?.lastSeen, t.seconds - last > idleSeconds {
            // The same id after an idle hour: the old session ended unseen (whether or not a
            // sweep has removed it yet).
            flush(&slot!, c, into: &sink)
            spare.append(slot!.takeBuffers())
            slot = nil
        }
        if case .none = slot {
            // A session's first line: a connection (the session may have begun in a day before the
            // range, which the ledger leaves out by its time).
            slot = Session(ip: ip, id: id, at: t.seconds, reusing: &spare)
            sink.take(.connection(ClientConnection(time: t, clientIP: ip)))
        }
        handle(text, at: t, session: &slot!, c, into: &sink)
    }

    /// Applies one session line to its session, in place (no copy of the recipient list).
    private static func handle<Sink: MailFactSink>(
        _ text: UnsafeRawBufferPointer, at t: LocalTime, session: inout Session, _ c: Completion, into sink: inout Sink
    ) {
        session.lastSeen = t.seconds
        if text.matches(Self.cmd) {
            let command = text.dropFirst(Self.cmd.count)
            session.failureJustCounted = false
            if command.matchesIgnoringCase(Self.mailFrom) {
                flush(&session, c, into: &sink)
                session.startTransaction(sender: EnvelopeAddress.normalised(command.dropFirst(Self.mailFrom.count)))
                session.lastCommand = .mail
            } else if command.matchesIgnoringCase(Self.rcptTo) {
                if session.hasSender {
                    session.recipients.append(contentsOf: EnvelopeAddress.normalised(command.dropFirst(Self.rcptTo.count)))
                    session.ends.append(Int32(session.recipients.count))
                }
                session.lastCommand = .rcpt
            } else if command.matchesIgnoringCase(Self.dataCmd) {
                session.lastCommand = .data
            } else if command.matchesIgnoringCase(Self.authCmd) {
                session.lastCommand = .auth
                session.authPending = true
            } else if command.matchesIgnoringCase(Self.ehlo) || command.matchesIgnoringCase(Self.helo) {
                session.helo.removeAll(keepingCapacity: true)
                session.helo.append(contentsOf: command.dropFirst(Self.ehlo.count).trimmed)
                session.lastCommand = .other
            } else if command.matchesIgnoringCase(Self.quit) || command.matchesIgnoringCase(Self.rset) {
                flush(&session, c, into: &sink)
                session.lastCommand = .other
            } else {
                if session.lastCommand != .auth { session.lastCommand = .other }
            }
        } else if text.matches(Self.rsp) {
            guard let (code, _) = text.decimal(at: Self.rsp.count), code >= 200, code < 600 else { return }
            reply(code, text.dropFirst(Self.rsp.count), &session, at: t, into: &sink)
        } else if text.matches(Self.authenticatedAs) {
            let account = EnvelopeAddress.normalised(text.dropFirst(Self.authenticatedAs.count))
            session.setAccount(account)
            session.authPending = false
            login(session, at: t, account: account, success: true, into: &sink)
        } else if text.matches(Self.senderAccepted) {
            // Below the Detailed level the only sign of a new transaction: the one before is over.
            if session.inferred, session.accepted || session.sizeSeen || session.spoolName != nil { flush(&session, c, into: &sink) }
            if !session.hasSender { session.startInferred() }
        } else if text.matches(Self.sizeLine) {
            // In a transaction without MAIL FROM, a size after a size or after the spool file
            // was written (the server logs the size first): the next message.
            if session.inferred, session.sizeSeen || session.spoolName != nil { flush(&session, c, into: &sink) }
            if !session.hasSender { session.startInferred() }
            session.sizeSeen = true
            // Out of range: read as absent (counted by `read`).
            if let (n, _) = LogFields.messageSize(text, at: Self.sizeLine.count), let n { session.size = n }
            if !session.inferred { accept(&session, at: t) }
        } else if text.matches(Self.wroteHdr) {
            // "... HDR file. (C:/SmarterMail/Spool/SubSpool3/706173251002.hdr)"
            var path = text.dropFirst(text.index(of: 0x28).map { $0 + 1 } ?? text.count)
            if path.last == 0x29 { path = path.slice(0..<(path.count - 1)) }
            let slash = path.lastIndex(of: 0x2F) ?? path.lastIndex(of: 0x5C)
            written(path.dropFirst(slash.map { $0 + 1 } ?? 0), path: slash == nil ? nil : path, &session, at: t, c, into: &sink)
            accept(&session, at: t)
        } else if text.matches(Self.wroteData) {
            if let w = text.index(of: Self.writingMail) {
                written(text.dropFirst(w + Self.writingMail.count), path: nil, &session, at: t, c, into: &sink)
            }
            // "... writing mail to N.eml (MessageID: <id@host>)": the id is the client's text, to the end.
            if session.hasSender, session.messageID.isEmpty, let w = text.index(of: Self.writingMail),
               let m = text.index(of: Self.messageIDField, from: w) {
                var id = text.dropFirst(m + Self.messageIDField.count)
                if id.last == 0x29 { id = id.slice(0..<(id.count - 1)) }
                session.messageID.append(contentsOf: LogFields.bareMessageID(id))
            }
            accept(&session, at: t)
        } else if !session.failureJustCounted,
                  Self.failurePhrases.contains(where: { text.indexIgnoringCase(of: $0) != nil }) {
            authFailed(&session, at: t, into: &sink)
        }
    }

    /// A spool file written (`name`, at `path` when the log gives it): noted with the
    /// transaction. In a transaction without MAIL FROM, another spool file than the one noted
    /// is the next message, and the first such line begins one.
    private static func written<Sink: MailFactSink>(
        _ name: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer?, _ session: inout Session, at t: LocalTime,
        _ c: Completion, into sink: inout Sink
    ) {
        let base = name.slice(0..<(name.index(of: 0x2E) ?? name.index(of: 0x20) ?? name.count))
        guard !base.isEmpty else {
            // A line naming no file: still the server's word that it wrote one.
            if !session.hasSender { session.startInferred() }
            return
        }
        if session.inferred, let r = session.spoolName,
           !session.text.withUnsafeBytes({ equalIgnoringCase($0.slice(r), base) }) {
            flush(&session, c, into: &sink)
        }
        if !session.hasSender { session.startInferred() }
        noteSpool(base, path: path, &session)
    }

    /// The spool file's base name, and the path the log gave, kept with the transaction.
    private static func noteSpool(_ base: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer?, _ session: inout Session) {
        guard session.hasSender else { return }
        if session.spoolName == nil {
            let start = session.text.count
            session.text.append(contentsOf: base)
            session.spoolName = start..<session.text.count
        }
        if let path, session.spoolPath == nil, session.inferred {
            let start = session.text.count
            session.text.append(contentsOf: path)
            session.spoolPath = start..<session.text.count
        }
    }

    /// `text`: the reply as written (`550 5.7.1 ...`), a rejection's reason.
    private static func reply<Sink: MailFactSink>(_ code: Int, _ text: UnsafeRawBufferPointer, _ session: inout Session, at t: LocalTime,
                                                  into sink: inout Sink) {
        if session.authPending || session.lastCommand == .auth {
            if code == 235 { session.authPending = false }
            else if code >= 400 && !session.failureJustCounted { authFailed(&session, at: t, into: &sink) }
            session.lastCommand = code == 334 ? .auth : .other
            return
        }
        let permanent = code >= 500
        switch session.lastCommand {
        case .rcpt where code >= 400:
            if let last = session.ends.popLast() {
                let start = session.ends.last.map(Int.init) ?? 0
                session.recipients.withUnsafeBytes { r in
                    session.text.withUnsafeBytes { ip in
                        sink.take(.recipientRejected(RecipientRejection(
                            time: t, clientIP: ip.slice(0..<session.ipLength), recipient: r.slice(start..<Int(last)), code: code,
                            reason: text)))
                    }
                }
                session.recipients.removeSubrange(start...)
            } else if permanent {
                rejected(session, code, text, at: t, into: &sink)
            }
            return
        case .mail where code >= 400:
            session.endTransaction()
        case .data:
            if code == 354 { session.dataStarted = true }
            else if code < 300 && (session.dataStarted || session.accepted) { accept(&session, at: t) }
            else if code >= 400 { session.accepted = false; session.dataStarted = false }
        default: break
        }
        if permanent { rejected(session, code, text, at: t, into: &sink) }
    }

    private static func rejected<Sink: MailFactSink>(_ session: Session, _ code: Int, _ reason: UnsafeRawBufferPointer, at t: LocalTime,
                                                     into sink: inout Sink) {
        session.text.withUnsafeBytes { ip in
            sink.take(.rejection(Rejection(time: t, clientIP: ip.slice(0..<session.ipLength), code: code, reason: reason)))
        }
    }

    /// Marks the transaction accepted. Each later sign of acceptance (the size line, the spool
    /// file written, the final 250) moves the time on: a message counts when the server last
    /// confirmed it, normally the final `250` after DATA.
    /// A transaction without MAIL FROM (below the Detailed level) has no recipients in the log:
    /// the spool file written is its acceptance.
    private static func accept(_ session: inout Session, at t: LocalTime) {
        guard session.hasSender, !session.ends.isEmpty || session.inferred else { return }
        session.accepted = true
        session.acceptedAt = t
    }

    private static func authFailed<Sink: MailFactSink>(_ session: inout Session, at t: LocalTime, into sink: inout Sink) {
        session.authPending = false
        session.failureJustCounted = true
        login(session, at: t, account: nil, success: false, into: &sink)
    }

    private static func login<Sink: MailFactSink>(
        _ session: Session, at t: LocalTime, account: UnsafeRawBufferPointer?, success: Bool, into sink: inout Sink
    ) {
        session.text.withUnsafeBytes { ip in
            Self.smtpAuth.withUTF8Buffer { proto in
                sink.take(.login(LoginAttempt(time: t, ip: ip.slice(0..<session.ipLength), protocolName: UnsafeRawBufferPointer(proto),
                                              account: account, success: success)))
            }
        }
    }

    /// Reports the transaction under way if the server accepted it, and starts a new one.
    private static func flush<Sink: MailFactSink>(_ session: inout Session, _ c: Completion, into sink: inout Sink) {
        if session.accepted, session.acceptedAt >= c.notBefore {
            var envelopeAccount: [UInt8]?
            if session.inferred, let spool = c.spool { envelopeAccount = complete(&session, from: spool) }
            let account = envelopeAccount ?? []
            account.withUnsafeBytes { envelopeAccountBytes in
            session.text.withUnsafeBytes { text in
                session.recipients.withUnsafeBytes { r in
                    session.ends.withUnsafeBufferPointer { ends in
                        Self.smtp.withUTF8Buffer { proto in
                            do {
                                let account = session.hasAccount ? text.slice(session.idEnd..<session.accountEnd)
                                    : envelopeAccount != nil ? envelopeAccountBytes : nil
                                session.helo.withUnsafeBytes { helo in
                                    session.messageID.withUnsafeBytes { messageID in
                                        sink.take(.accepted(AcceptedMessage(
                                            time: session.acceptedAt, key: text.slice(session.ipLength..<session.idEnd), clientIP: text.slice(0..<session.ipLength),
                                            account: account, sender: text.slice(session.accountEnd..<session.senderEnd),
                                            recipients: RecipientList(bytes: r, ends: ends), size: session.size,
                                            protocolName: UnsafeRawBufferPointer(proto), spoolName: session.spoolName.map { text.slice($0) },
                                            helo: helo.isEmpty ? nil : helo, messageID: messageID.isEmpty ? nil : messageID,
                                            senderKnown: session.senderKnown)))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            }
        }
        session.endTransaction()
    }

    /// Completes a transaction without MAIL FROM from the `.hdr` it named, when the spool still
    /// has it and it is this session's (its `smtpSessionId`, when it has one, is the session's
    /// id): the envelope sender and recipients, the size when the log gave none. Returns the
    /// envelope's account when the log named none.
    private static func complete(_ session: inout Session, from spool: SmarterMailSpoolLookup) -> [UInt8]? {
        guard let name = session.spoolName else { return nil }
        let found = session.text.withUnsafeBytes { text in
            spool.envelope(base: text.slice(name), path: session.spoolPath.map { text.slice($0) })
        }
        guard let m = found else { return nil }
        if let id = m.sessionID, !id.isEmpty,
           !session.text.withUnsafeBytes({ text in id.utf8.elementsEqual(text.slice(session.ipLength..<session.idEnd)) }) { return nil }
        let sender = Array(m.sender.utf8)
        let shift = sender.count - (session.senderEnd - session.accountEnd)
        session.text.replaceSubrange(session.accountEnd..<session.senderEnd, with: sender)
        session.senderKnown = true
        session.spoolName = (name.lowerBound + shift)..<(name.upperBound + shift)
        if let r = session.spoolPath { session.spoolPath = (r.lowerBound + shift)..<(r.upperBound + shift) }
        session.recipients.removeAll(keepingCapacity: true)
        session.ends.removeAll(keepingCapacity: true)
        for r in m.recipients {
            session.recipients.append(contentsOf: r.utf8)
            session.ends.append(Int32(clamping: session.recipients.count))
        }
        if !session.sizeSeen { session.size = m.size }
        return session.hasAccount ? nil : m.account.map { Array($0.utf8) }
    }

    /// Ends sessions idle since `before`, keeping memory bounded.
    private mutating func sweep<Sink: MailFactSink>(before: Int64, into sink: inout Sink) {
        linesSinceSweep = 0
        var spare = self.spare
        let completion = self.completion
        sessions.removeAll { _, s in
            guard s.lastSeen < before else { return false }
            Self.flush(&s, completion, into: &sink)
            if spare.count < 4096 { spare.append(s.takeBuffers()) }
            return true
        }
        self.spare = spare
    }

    /// Ends every session (end of input).
    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) {
        sweep(before: .max, into: &sink)
    }

    /// After the day before a range, read only for the sessions that continue into it (a
    /// session begun before midnight goes on in the next day's file): the sessions over by
    /// `start` end unreported, and no message accepted before `start` is reported.
    mutating func endPrelude(rangeStart start: LocalTime) {
        var discard = DiscardedFacts()
        sweep(before: start.seconds - Self.idleSeconds, into: &discard)
        completion.notBefore = start
    }
}

/// A sink that keeps nothing: the facts of a day read only for the sessions that go on.
struct DiscardedFacts: MailFactSink {
    mutating func take(_ fact: MailFact) {}
}

// MARK: - Delivery log

/// Reads delivery outcomes: local deliveries, and remote completions with their outcome word.
/// Lines are owned by delivery id, so one share sees a message's whole delivery.
struct SmarterMailDeliveryReader {
    private static let localDelivery: StaticString = "Starting local delivery to "
    private static let deliveryFor: StaticString = "Delivery for "
    private static let hasCompleted: StaticString = "has completed ("
    private static let to: StaticString = " to ", local: StaticString = "local"
    private static let removing: StaticString = "Removing Spool message"

    /// Local deliveries of the last hours, by delivery id and recipient: the completion line of
    /// a local delivery (if the server writes one) is not a remote delivery.
    private var localRecipients = KeyTable<PackedKey, Int64>()
    private var linesSinceSweep = 0

    mutating func read<Sink: MailFactSink>(_ entry: SmarterMailEntry, into sink: inout Sink) -> Bool {
        let s = entry.text
        guard let (idBytes, afterID) = LogFields.bracketGroup(s, at: 0) else { return true } // service line
        let dash = idBytes.index(of: 0x2D)
        let base = idBytes.slice(0..<(dash ?? idBytes.count))
        let attempt = dash.flatMap { idBytes.dropFirst($0 + 1).decimalValue } ?? 0
        var text = s.dropFirst(afterID)
        if text.first == 0x20 { text = text.dropFirst(1) }
        let t = entry.time
        linesSinceSweep += 1
        if linesSinceSweep >= 65_536 {
            linesSinceSweep = 0
            localRecipients.removeAll { _, at in at < t.milliseconds - 7_200_000 }
        }
        if text.matches(Self.localDelivery) {
            let r = EnvelopeAddress.normalised(text.dropFirst(Self.localDelivery.count))
            localRecipients[PackedKey(base, r)] = t.milliseconds
            Self.local.withUTF8Buffer { word in
                let word = UnsafeRawBufferPointer(word)
                sink.take(.delivery(DeliveryAttempt(time: t, key: base, sender: nil, recipient: r, isLocal: true,
                                                    outcome: .delivered, word: word, detail: word, attempt: attempt)))
            }
        } else if text.matches(Self.removing) {
            // "Removing Spool message: Killed: False, Failed: False, Finished: True": it left the spool.
            sink.take(.removed(MessageRemoved(time: t, key: base)))
        } else if text.matches(Self.deliveryFor), let done = LogFields.lastIndex(of: Self.hasCompleted, in: text) {
            // "Delivery for S to R<TAB>has completed (Outcome...)": S is the remote party's text,
            // so R is taken from the right, before the server's fixed words.
            let pair = text.slice(Self.deliveryFor.count..<done).trimmed
            guard let split = LogFields.lastIndex(of: Self.to, in: pair) else { return true }
            let sender = EnvelopeAddress.normalised(pair.slice(0..<split))
            let recipient = EnvelopeAddress.normalised(pair.dropFirst(split + Self.to.count))
            if let at = localRecipients[PackedKey(base, recipient)], t.milliseconds - at <= 3_600_000 { return true }
            var inside = text.dropFirst(done + Self.hasCompleted.count)
            if let close = inside.lastIndex(of: 0x29) { inside = inside.slice(0..<close) }
            var end = 0
            while end < inside.count, isLetter(inside[end]) { end += 1 }
            let word = inside.slice(0..<end)
            sink.take(.delivery(DeliveryAttempt(time: t, key: base, sender: sender, recipient: recipient, isLocal: false,
                                                outcome: DeliveryClass.of(outcome: word), word: word, detail: inside, attempt: attempt)))
        }
        return true
    }

    /// A delivery id and a recipient, hashed into one word (case-folded).
    struct PackedKey: TableKey {
        let value: UInt64
        init(_ id: UnsafeRawBufferPointer, _ recipient: UnsafeRawBufferPointer) {
            let h = (ByteInterner.hash(id, foldCase: false) &* 0xFF51_AFD7_ED55_8CCD) ^ ByteInterner.hash(recipient, foldCase: true)
            value = h == .max ? 0 : h
        }
        private init(value: UInt64) { self.value = value }
        static let unused = PackedKey(value: .max)
        var tableHash: UInt64 { value &* 0x9E37_79B9_7F4A_7C15 }
    }
}

// MARK: - Administrative log

/// Reads logins per protocol and IP, and intrusion-detection blocks; lines are owned by IP.
struct SmarterMailAdminReader {
    /// Days whose SMTP log is read too: the administrative log's SMTP logins repeat that log's
    /// AUTH attempts, so they are not counted twice.
    var daysWithSMTPLog: Set<Int64> = []

    private static let loginSuccessful: StaticString = " Login successful"
    private static let loginFailed: StaticString = " Login failed"
    private static let withUser: StaticString = "With user ", userBracket: StaticString = "User ["
    private static let idsBlock: StaticString = "Added to IDS block list for violating rule "
    private static let type: StaticString = "Type: "
    private static let smtp: StaticString = "smtp"

    /// Handles one entry; continuation lines carry details only, never a second login.
    func read<Sink: MailFactSink>(_ entry: SmarterMailEntry, into sink: inout Sink) -> Bool {
        let s = entry.text
        guard var (ipBytes, after) = LogFields.bracketGroup(s, at: 0) else { return true }
        if !ipBytes.isEmpty, !isDigit(ipBytes[0]), ipBytes.index(of: 0x3A) == nil {
            // "[IpBruteForceDetector] [ip] ...": a detector name first, then the IP.
            guard after < s.count, s[after] == 0x20, let (ip2, after2) = LogFields.bracketGroup(s, at: after + 1) else { return true }
            ipBytes = ip2; after = after2
        }
        let text = s.dropFirst(after).trimmed
        let t = entry.time
        if text.matches(Self.idsBlock) {
            var rule = text.dropFirst(Self.idsBlock.count)
            if rule.matches(Self.type) { rule = rule.dropFirst(Self.type.count) }
            let end = rule.index(of: 0x2C) ?? rule.count
            sink.take(.securityBlock(SecurityBlockFact(time: t, ip: ipBytes, rule: rule.slice(0..<end).trimmed)))
            return true
        }
        let k = text.index(of: Self.loginSuccessful) ?? text.index(of: Self.loginFailed)
        guard let k else { return true }
        let proto = text.slice(0..<k).trimmed
        if daysWithSMTPLog.contains(t.day), proto.matchesIgnoringCase(Self.smtp) { return true }
        if text.matches(Self.loginSuccessful, at: k) {
            var account: UnsafeRawBufferPointer?
            if let u = text.index(of: Self.withUser, from: k) {
                let user = text.dropFirst(u + Self.withUser.count).trimmed
                if !user.isEmpty { account = EnvelopeAddress.normalised(user) }
            }
            sink.take(.login(LoginAttempt(time: t, ip: ipBytes, protocolName: proto, account: account, success: true)))
        } else {
            // "IMAP Login failed: User [204be204] not found": the name tried, where the line gives one.
            var tried: UnsafeRawBufferPointer?
            if let u = text.index(of: Self.userBracket, from: k), let close = text.index(of: 0x5D, from: u + Self.userBracket.count) {
                let name = text.slice((u + Self.userBracket.count)..<close).trimmed
                if !name.isEmpty { tried = EnvelopeAddress.normalised(name) }
            }
            sink.take(.login(LoginAttempt(time: t, ip: ipBytes, protocolName: proto, account: tried, success: false)))
        }
        return true
    }
}
