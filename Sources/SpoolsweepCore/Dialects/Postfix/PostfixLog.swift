/// One Postfix log line: its time, the daemon that wrote it and the text after `daemon[pid]: `.
///
/// Timestamps: classic syslog `Mmm dd HH:MM:SS host` (no year: the caller supplies it, from the
/// file's modification time, with the December→January rollover) or RFC 3339
/// `2026-11-29T03:15:07.123456+00:00 host` (the wall-clock part is kept, the offset ignored, as
/// every time spoolsweep handles is the server's local time). The tag is
/// `postfix[-instance][/service]/daemon[pid]`.
struct PostfixEntry {
    let time: LocalTime
    /// The daemon: `smtpd`, `qmgr`, `smtp`, `local`, `cleanup`, `pickup`...
    let daemon: UnsafeRawBufferPointer
    /// The whole program name without the pid: `postfix/submission/smtpd`.
    let program: UnsafeRawBufferPointer
    let text: UnsafeRawBufferPointer

    private static let postfix: StaticString = "postfix"
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] as [StaticString]

    /// An entry of `program` (its daemon the part after the last `/`).
    init(time: LocalTime, program: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) {
        self.time = time
        daemon = program.dropFirst((program.lastIndex(of: 0x2F) ?? -1) + 1)
        self.program = program
        self.text = text
    }

    /// Reads the lines of one file. Its classic timestamps take their year from `year`, or the
    /// year before for a month after `lastMonth` (a December line in a file written in January).
    /// Lines come many to a second: a line stamped like the line before reuses its time.
    struct Reader {
        let year: Int, lastMonth: Int
        /// The first 16 bytes of the last line whose classic stamp ends at byte 15, and its time.
        private var stamp: (UInt64, UInt64) = (0, 0)
        private var stampTime: LocalTime?

        init(year: Int, lastMonth: Int) { self.year = year; self.lastMonth = lastMonth }

        mutating func entry(_ s: UnsafeRawBufferPointer) -> PostfixEntry? {
            if s.count > 16, let t = stampTime, s.loadUnaligned(as: UInt64.self) == stamp.0,
               s.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == stamp.1 {
                return PostfixEntry(s, time: t, after: 15)
            }
            guard let (time, end) = PostfixEntry.time(s, year: year, lastMonth: lastMonth) else { return nil }
            if end == 15, s.count > 16, s[15] == 0x20 {
                stamp = (s.loadUnaligned(as: UInt64.self), s.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                stampTime = time
            }
            return PostfixEntry(s, time: time, after: end)
        }
    }

    /// The line's time and where its stamp ends (at the blank before the host).
    private static func time(_ s: UnsafeRawBufferPointer, year: Int, lastMonth: Int) -> (LocalTime, Int)? {
        if s.count > 20, isDigit(s[0]), s[4] == 0x2D, s[10] == 0x54 {
            // RFC 3339
            guard let y = s.slice(0..<4).decimalValue, let mo = s.slice(5..<7).decimalValue,
                  let d = s.slice(8..<10).decimalValue, (1...12).contains(mo), (1...31).contains(d),
                  let (ms, end) = LogFields.timeOfDay(s, at: 11) else { return nil }
            return (LocalTime(milliseconds: LocalTime.days(year: y, month: mo, day: d) * 86_400_000 + ms),
                    s.index(of: 0x20, from: end) ?? s.count)
        }
        guard s.count > 16, let m = PostfixEntry.months.firstIndex(where: { s.matchesIgnoringCase($0) }),
              s[3] == 0x20 else { return nil }
        var j = 4
        if s[j] == 0x20 { j += 1 } // "Nov  9"
        guard let (d, afterDay) = s.decimal(at: j), (1...31).contains(d), afterDay < s.count, s[afterDay] == 0x20,
              let (ms, end) = LogFields.timeOfDay(s, at: afterDay + 1) else { return nil }
        let month = m + 1
        return (LocalTime(milliseconds: LocalTime.days(year: month > lastMonth ? year - 1 : year, month: month, day: d) * 86_400_000 + ms), end)
    }

    /// The rest of a line whose stamp ends at `i`.
    private init?(_ s: UnsafeRawBufferPointer, time: LocalTime, after i: Int) {
        // " host program[pid]: "
        guard i < s.count, let hostEnd = s.index(of: 0x20, from: i + 1),
              let colon = s.index(of: ": ", from: hostEnd + 1) else { return nil }
        var tag = s.slice((hostEnd + 1)..<colon)
        if let bracket = tag.index(of: 0x5B) { tag = tag.slice(0..<bracket) }
        guard tag.matchesIgnoringCase(PostfixEntry.postfix) else { return nil }
        self.init(time: time, program: tag, text: s.dropFirst(colon + 2))
    }
}

/// Follows messages through a Postfix log by queue id and reports their facts.
///
/// A message is reported accepted once, when it leaves the queue (`removed`) or at the end of
/// the input, with the recipients its delivery lines named; its time is when it was received
/// (`client=` or pickup). Logins come from `sasl_username=` on `client=` lines, failures from
/// smtpd's `SASL ... authentication failed` warnings; rejections from `reject:` lines; connections
/// from smtpd's `connect from`. With the work shared, a message's lines are its queue id's share,
/// and a login, a rejection or a connection its client IP's.
struct PostfixLogReader {
    private struct Message {
        var received: LocalTime
        /// The queue id, the client IP, the account, then the envelope sender.
        var text: [UInt8] = []
        let keyLength: Int, ipEnd: Int, accountEnd: Int
        var hasAccount: Bool
        var senderStart = -1
        var size = 0
        var recipients = RecipientBuffer()
        /// cleanup's `message-id=<...>` (empty when not logged, or logged empty).
        var messageID: [UInt8] = []

        init(key: UnsafeRawBufferPointer, received: LocalTime, clientIP: UnsafeRawBufferPointer, account: UnsafeRawBufferPointer?) {
            self.received = received
            text.append(contentsOf: key)
            keyLength = key.count
            text.append(contentsOf: clientIP)
            ipEnd = text.count
            if let account { text.append(contentsOf: account) }
            accountEnd = text.count
            hasAccount = account != nil
        }

        mutating func sent(by sender: UnsafeRawBufferPointer, size: Int?) {
            text.removeSubrange(accountEnd...)
            senderStart = text.count
            text.append(contentsOf: sender)
            if let size { self.size = size }
        }

        func withSender<R>(_ body: (UnsafeRawBufferPointer?) -> R) -> R {
            guard senderStart >= 0 else { return body(nil) }
            return text.withUnsafeBytes { body($0.dropFirst(senderStart)) }
        }
    }

    private var messages = KeyTable<UnsafeRawBufferPointer.QueueID, Message>()
    /// The `size=` of messages not received in the log (bounces the server made, messages
    /// received before the log began), for their deliveries; dropped at `removed`.
    private var sizesOnly = KeyTable<UnsafeRawBufferPointer.QueueID, Int>()
    /// This share's `size=` fields out of range (read as absent), for the warning.
    private(set) var badSizes = 0
    /// Whether this reader reads a piece after the first: it keeps aside what needs the pieces before.
    private let carrying: Bool
    /// The queue ids this piece received a message for (carrying).
    private var received = KeyTable<UnsafeRawBufferPointer.QueueID, Bool>()
    /// The lines kept aside (carrying).
    private var keptAside = KeptEntries()

    init(carrying: Bool = false) { self.carrying = carrying }

    private static let client: StaticString = "client=", saslUsername: StaticString = "sasl_username="
    private static let from: StaticString = "from=<", size: StaticString = "size=", to: StaticString = "to=<"
    private static let status: StaticString = "status=", relayLocal: StaticString = "relay=local"
    private static let messageIDField: StaticString = "message-id="
    private static let removed: StaticString = "removed", reject: StaticString = "reject: ", noqueue: StaticString = "NOQUEUE: "
    private static let saslFailed: StaticString = "authentication failed", warning: StaticString = "warning: "
    private static let connectFrom: StaticString = "connect from ", smtpd: StaticString = "smtpd"
    private static let uid: StaticString = "uid=", rcptFrom: StaticString = "RCPT from "
    private static let pickup: StaticString = "pickup", localDaemon: StaticString = "local", virtual: StaticString = "virtual", sent: StaticString = "sent"
    private static let smtpAuth: StaticString = "SMTP AUTH", esmtp: StaticString = "SMTP", pickupProtocol: StaticString = "pickup"

    mutating func read<Sink: MailFactSink>(_ e: PostfixEntry, share: LogShare, into sink: inout Sink) {
        let text = e.text
        if text.matches(Self.noqueue) {
            let rest = text.dropFirst(Self.noqueue.count)
            guard rest.matches(Self.reject) else { return }
            let ip = LogFields.firstBracketed(rest) ?? rest.slice(0..<0)
            guard share.owns(ip) else { return }
            // "NOQUEUE: reject: RCPT from host[ip]: 554 5.7.1 <x>: ...; from=<s> to=<r> proto=..."
            let reason = Self.rejectReason(rest)
            if rest.dropFirst(Self.reject.count).matches(Self.rcptFrom), let r = rest.index(of: Self.to) {
                sink.take(.recipientRejected(RecipientRejection(
                    time: e.time, clientIP: ip, recipient: Self.angled(rest.dropFirst(r + Self.to.count - 1)), code: Self.replyCode(rest),
                    reason: reason)))
            } else {
                sink.take(.rejection(Rejection(time: e.time, clientIP: ip, code: Self.replyCode(rest), reason: reason)))
            }
            return
        }
        if text.matches(Self.warning) {
            // warning: host[ip]: SASL LOGIN authentication failed: ..., sasl_username=user
            // (The sasl_username there is the name tried, not an account that logged in.)
            if text.index(of: Self.saslFailed) != nil, let ip = LogFields.firstBracketed(text), share.owns(ip) {
                Self.smtpAuth.withUTF8Buffer { proto in
                    sink.take(.login(LoginAttempt(time: e.time, ip: ip, protocolName: UnsafeRawBufferPointer(proto), account: nil, success: false)))
                }
            }
            return
        }
        if text.matches(Self.connectFrom) {
            // "connect from host[ip]" (smtpd; postscreen's is "CONNECT from [ip]:port to ...").
            if e.daemon.equals(Self.smtpd),
               let ip = LogFields.firstBracketed(text.dropFirst(Self.connectFrom.count)), share.owns(ip) {
                sink.take(.connection(ClientConnection(time: e.time, clientIP: ip)))
            }
            return
        }
        guard let colon = text.index(of: ": "), colon > 0 else { return }
        let qidBytes = text.slice(0..<colon)
        let qid = UnsafeRawBufferPointer.QueueID(qidBytes)
        guard qid.isValid else { return }
        let rest = text.dropFirst(colon + 2)
        if carrying, received[qid] == nil, Self.needsMessage(rest) {
            keptAside.append(e.time, e.program, e.text)
            return
        }

        if rest.matches(Self.client) {
            guard let ip = LogFields.firstBracketed(rest) else { return }
            var account: UnsafeRawBufferPointer?
            if let u = rest.index(of: Self.saslUsername) {
                var name = rest.dropFirst(u + Self.saslUsername.count)
                if let comma = name.index(of: 0x2C) { name = name.slice(0..<comma) }
                account = EnvelopeAddress.normalised(name)
                if share.owns(ip) {
                    Self.smtpAuth.withUTF8Buffer { proto in
                        sink.take(.login(LoginAttempt(time: e.time, ip: ip, protocolName: UnsafeRawBufferPointer(proto),
                                                      account: account, success: true)))
                    }
                }
            }
            if share.owns(qidBytes) { receive(qid, Message(key: qidBytes, received: e.time, clientIP: ip, account: account)) }
            return
        }
        guard share.owns(qidBytes) else { return }
        if rest.matches(Self.uid), e.daemon.matches(Self.pickup) {
            // Local submission (sendmail, a web script): "uid=33 from=<www-data>".
            let uidEnd = rest.index(of: 0x20) ?? rest.count
            var m = Message(key: qidBytes, received: e.time, clientIP: rest.slice(0..<uidEnd), account: nil)
            if let f = rest.index(of: Self.from) { m.sent(by: Self.angled(rest.dropFirst(f + Self.from.count - 1)), size: nil) }
            receive(qid, m)
        } else if rest.matches(Self.from) {
            guard messages[qid] != nil else {
                // Not received in the log (a bounce, or received before the log began): only its size.
                if rest.index(of: Self.status) == nil, let s = rest.index(of: Self.size),
                   let (n, _) = LogFields.messageSize(rest, at: s + Self.size.count), let n, n > 0 {
                    sizesOnly[qid] = n
                }
                return
            }
            if let st = rest.index(of: Self.status) {
                // "from=<...>, status=expired, returned to sender": a bounce of the whole message.
                var word = rest.dropFirst(st + Self.status.count)
                word = word.slice(0..<(word.index(of: 0x2C) ?? word.count))
                messages[qid]!.withSender { sender in
                    guard let sender else { return }
                    sink.take(.delivery(DeliveryAttempt(time: e.time, key: qidBytes, sender: sender, recipient: sender, isLocal: false,
                                                        outcome: DeliveryClass.of(outcome: word), word: word,
                                                        detail: rest.dropFirst(st + Self.status.count), attempt: 0)))
                }
                return
            }
            var size: Int?
            if let s = rest.index(of: Self.size), let (n, _) = LogFields.messageSize(rest, at: s + Self.size.count) {
                if n == nil { badSizes += 1 }
                size = n
            }
            messages[qid]!.sent(by: Self.angled(rest.dropFirst(Self.from.count - 1)), size: size)
        } else if rest.matches(Self.to), let st = rest.index(of: Self.status) {
            let recipient = Self.angled(rest.dropFirst(Self.to.count - 1))
            let detail = rest.dropFirst(st + Self.status.count)
            var end = 0
            while end < detail.count, isLetter(detail[end]) { end += 1 }
            let word = detail.slice(0..<end)
            let local = rest.index(of: Self.relayLocal) != nil || e.daemon.matches(Self.localDaemon) || e.daemon.matches(Self.virtual)
            let size = messages[qid].map { $0.size > 0 ? $0.size : nil } ?? sizesOnly[qid]
            let fact = { (sender: UnsafeRawBufferPointer?) in
                DeliveryAttempt(time: e.time, key: qidBytes, sender: sender, recipient: recipient,
                                isLocal: local && word.matches(Self.sent), outcome: DeliveryClass.of(outcome: word),
                                word: word, detail: detail, attempt: 0, size: size)
            }
            if messages[qid] == nil {
                sink.take(.delivery(fact(nil)))
            } else {
                messages[qid]!.withSender { sink.take(.delivery(fact($0))) }
                messages[qid]!.recipients.add(recipient)
            }
        } else if rest.matches(Self.messageIDField) {
            // cleanup: "message-id=<id@host>" (`<>` for none).
            guard messages[qid] != nil else { return }
            messages[qid]!.messageID.removeAll(keepingCapacity: true)
            messages[qid]!.messageID.append(contentsOf: LogFields.bareMessageID(rest.dropFirst(Self.messageIDField.count)))
        } else if rest.matches(Self.removed) {
            _ = sizesOnly.removeValue(forKey: qid)
            flush(qid, into: &sink)
            sink.take(.removed(MessageRemoved(time: e.time, key: qidBytes)))
        } else if rest.matches(Self.reject) {
            let ip = messages[qid].map { m in m.text.withUnsafeBytes { Array($0.slice(m.keyLength..<m.ipEnd)) } } ?? []
            ip.withUnsafeBytes { ip in sink.take(.rejection(Rejection(time: e.time, clientIP: ip, code: Self.replyCode(rest), reason: Self.rejectReason(rest)))) }
        }
    }

    private mutating func receive(_ qid: UnsafeRawBufferPointer.QueueID, _ m: Message) {
        messages[qid] = m
        if carrying { received[qid] = true }
    }

    /// Whether a queue id's line reads or ends the message received under it (carrying keeps
    /// such lines aside when the message was not received in the piece).
    private static func needsMessage(_ rest: UnsafeRawBufferPointer) -> Bool {
        rest.matches(from) || rest.matches(to) || rest.matches(messageIDField) || rest.matches(removed) || rest.matches(reject)
    }

    /// Takes over from `later`, the reader of the next piece: reads the lines it kept aside,
    /// then holds the messages still queued at its end. A queue id `later` received a message
    /// under is that message's from then on (Postfix reuses a queue id only once it is free).
    mutating func takeOver<Sink: MailFactSink>(_ later: PostfixLogReader, into sink: inout Sink) {
        later.keptAside.forEach { time, program, text in
            read(PostfixEntry(time: time, program: program, text: text), share: .all, into: &sink)
        }
        for (qid, _) in later.received.entries {
            _ = messages.removeValue(forKey: qid)
            _ = sizesOnly.removeValue(forKey: qid)
        }
        for (qid, m) in later.messages.entries { messages[qid] = m }
        for (qid, n) in later.sizesOnly.entries { sizesOnly[qid] = n }
        badSizes += later.badSizes
    }

    private mutating func flush<Sink: MailFactSink>(_ qid: UnsafeRawBufferPointer.QueueID, into sink: inout Sink) {
        guard let m = messages.removeValue(forKey: qid), m.senderStart >= 0 else { return }
        m.text.withUnsafeBytes { text in
            m.recipients.withList { recipients in
                let ip = text.slice(m.keyLength..<m.ipEnd)
                (ip.matches(Self.uid) ? Self.pickupProtocol : Self.esmtp).withUTF8Buffer { proto in
                    m.messageID.withUnsafeBytes { messageID in
                        sink.take(.accepted(AcceptedMessage(
                            time: m.received, key: text.slice(0..<m.keyLength), clientIP: ip,
                            account: m.hasAccount ? text.slice(m.ipEnd..<m.accountEnd) : nil,
                            sender: text.dropFirst(m.senderStart), recipients: recipients, size: m.size,
                            protocolName: UnsafeRawBufferPointer(proto), spoolName: nil,
                            messageID: messageID.isEmpty ? nil : messageID)))
                    }
                }
            }
        }
    }

    /// Messages still queued at the end of the input count too, oldest first.
    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) {
        for (qid, _) in messages.entries.sorted(by: { $0.value.received < $1.value.received }) { flush(qid, into: &sink) }
    }

    /// Where a reject line's reply begins: after the client, smtpd's `host[ip]: ` or postscreen's
    /// `[ip]:port: ` (nil when there is no client).
    static func replyStart(_ s: UnsafeRawBufferPointer) -> Int? {
        guard let close = s.index(of: 0x5D), close + 2 < s.count, s[close + 1] == 0x3A else { return nil }
        var i = close + 2
        while i < s.count, isDigit(s[i]) { i += 1 }
        guard i + 1 < s.count, s[i] == 0x20 || (i > close + 2 && s[i] == 0x3A && s[i + 1] == 0x20) else { return nil }
        return s[i] == 0x20 ? i + 1 : i + 2
    }

    /// A reject line's reason: the reply after the client, up to the envelope's `; from=<`
    /// (empty when there is no client).
    static func rejectReason(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let c = replyStart(s) else { return s.slice(0..<0) }
        let reason = s.dropFirst(c)
        return reason.index(of: "; from=<").map { reason.slice(0..<$0) } ?? reason
    }

    /// The reply code after the client of a reject line (0 when there is none).
    static func replyCode(_ s: UnsafeRawBufferPointer) -> Int {
        guard let i = replyStart(s), let (code, _) = s.decimal(at: i), (200..<600).contains(code) else { return 0 }
        return code
    }

    /// The address inside `<...>` at the start of `s`.
    static func angled(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard s.first == 0x3C else { return EnvelopeAddress.normalised(s) }
        let close = s.index(of: 0x3E) ?? s.count
        return s.slice(1..<close)
    }
}


extension UnsafeRawBufferPointer {
    /// A Postfix queue id (short hex `8377DA1094` or long `4jcXTb0VD8z7lvy`), packed for hashing.
    struct QueueID: Hashable, TableKey {
        let a: UInt64, b: UInt64
        let isValid: Bool

        init(_ s: UnsafeRawBufferPointer) {
            // Eight bytes or more: the first eight and the last eight, as words.
            if s.count >= 8, s.count <= 16 {
                let head = s.loadUnaligned(as: UInt64.self), tail = s.loadUnaligned(fromByteOffset: s.count - 8, as: UInt64.self)
                if isAlphanumeric(word: head), isAlphanumeric(word: tail) {
                    let restBits = 8 * (s.count - 8)
                    a = UInt64(bigEndian: head)
                    b = (restBits == 64 ? UInt64(bigEndian: tail) : UInt64(bigEndian: tail) & (1 << restBits - 1)) | UInt64(s.count) << 60
                    isValid = true
                    return
                }
            }
            var a: UInt64 = 0, b: UInt64 = 0
            var ok = s.count >= 6 && s.count <= 16
            var i = 0
            while ok, i < s.count {
                let c = s[i]
                guard isDigit(c) || isLetter(c) else { ok = false; break }
                if i < 8 { a = a << 8 | UInt64(c) } else { b = b << 8 | UInt64(c) }
                i += 1
            }
            self.a = a
            self.b = b | UInt64(s.count) << 60
            isValid = ok
        }

        private init() { a = 0; b = 0; isValid = false }

        /// No queue id: what an empty slot of a table holds.
        static let unused = QueueID()

        /// The two words mixed (Fibonacci hashing: the high bits are the best mixed). Only
        /// valid ids are keys.
        var tableHash: UInt64 {
            precondition(isValid)
            return (a ^ (b &* 0x9E37_79B9_7F4A_7C15)) &* 0x9E37_79B9_7F4A_7C15
        }
    }
}
