/// Postfix's grand totals counted the way pflogsumm 1.1.5 counts them, so that an admin who
/// knows pflogsumm's report finds the same figures in `spoolsweep summary`.
///
/// pflogsumm's rules (its main loop, read line by line):
/// - received: smtpd/postscreen `QID: client=...` lines, and pickup `QID: uid=`/`sender=` lines;
/// - bytes received, senders, sending hosts/domains: the first `from=<...>, size=N` line of a
///   queue id (qmgr), only for a message received in the log; the sender is kept as written with
///   its domain part lower-cased, `from=<>` for the null sender; its domain is the part after the
///   first `@`, else the client's domain (`gimme_domain`), else the address for pickup;
/// - delivered / forwarded / deferred / bounced: a delivery agent's
///   `to=<...>, [orig_to=<...>, ]relay=..., delay=..., ... status=WORD` line; `sent` with
///   `forwarded as` is forwarded; "deferred" counts queue ids, "deferrals" the lines;
///   bytes delivered add the message's size per delivered recipient; recipients and recipient
///   domains are distinct over delivered (sent) lines only;
/// - rejected / reject warnings / held / discarded: `reject:`, `reject_warning:`, `hold:`,
///   `discard:` lines of smtpd and postscreen, and cleanup's `reject|milter-reject|warning|hold|
///   discard: header|body|END-OF-MESSAGE` lines; all four count in the per-hour "rejected";
/// - per hour: received, delivered, deferred (deferrals), bounced, rejected, at each line's hour;
/// - per recipient host/domain ("Host/Domain Summary: Message Delivery", `%recipDom`): the domain
///   of the `to=` address (after its first `@` when something precedes it, else the whole address;
///   never the relay); a `sent` line (not forwarded) adds one sent, the message's size, and its
///   `delay=` to the sum the average divides; a `deferred` line adds one defer; both raise the max
///   delay. Bounces are not in this table. A domain with only deferrals has a row with 0 sent.
///   Rows: most sent first, then most bytes (pflogsumm leaves ties in hash order; here: most
///   defers, then by name);
/// - per sending host/domain ("Messages Received", `%sendgDom`): the messages and bytes counted
///   above, by the sender's domain as described; most messages first, then most bytes, then name.
///
/// Where pflogsumm is wrong, this differs on purpose, and says so in `contentFilterReinjections`:
/// a message handed to a content filter (`status=sent (... queued as NEWID)` where NEWID is a
/// message received in this log) re-enters Postfix under a new queue id. pflogsumm counts it
/// twice as received (and its bytes twice) and counts the hand-off as a delivery; here the
/// re-injection's receipt and bytes are taken back (from its sending domain's row too) and the
/// hand-off is not a delivery (nor a sent, its bytes or its delay in its recipient domain's row).
///
/// Another difference: lines of a second instance (`postfix-out/smtpd`) count as if pflogsumm had
/// been given that instance's `--syslog-name`; by default pflogsumm skips them.
///
/// Per line, this allocates nothing once its tables have grown: addresses are normalised into a
/// reused buffer and interned.
struct PflogsummTotals {
    var received = 0, delivered = 0, forwarded = 0, deferred = 0, deferrals = 0, bounced = 0
    var rejected = 0, rejectWarnings = 0, held = 0, discarded = 0
    var bytesReceived = 0, bytesDelivered = 0
    /// Content-filter hand-offs found, and the delivery lines not counted for them.
    var contentFilterReinjections = 0, contentFilterHandoffs = 0

    struct Hour: Equatable {
        var received = 0, delivered = 0, deferred = 0, bounced = 0, rejected = 0
    }
    var hours = [Hour](repeating: Hour(), count: 24)

    private var senderNames = ByteInterner(foldCase: false)
    private var senderDomainNames = ByteInterner(foldCase: false)
    /// The sending domain of each sender with a domain part (by `senderNames` id; -1: without
    /// one, the domain is where the message came from).
    private var senderAddressDomain: [Int32] = []
    /// The `to=` addresses of sent and deferred lines, and by their ids, their domain's id and
    /// whether they were delivered: pflogsumm's recipients are the delivered ones.
    private var deliveryAddresses = ByteInterner(foldCase: false)
    private var deliveryAddressFacts: [(domain: Int32, isRecipient: Bool)] = []
    /// Domains of `to=` addresses on sent and deferred lines; the rows are indexed by their ids.
    private var deliveryDomainNames = ByteInterner(foldCase: false)
    /// Client domains (`gimme_domain`) of messages received, for a sender without `@`.
    private var whence = ByteInterner(foldCase: false)

    var senders: Int { senderNames.count }
    var sendingDomains: Int { senderDomainNames.count }
    private(set) var recipients = 0
    /// Domains with a delivery (pflogsumm's `$recipDomCnt`; deferral-only rows are not counted).
    private(set) var recipientDomains = 0

    /// A row of `%recipDom`: sent, bytes, defers, the sum of the sent lines' delays, the max delay.
    private struct DeliveryRow {
        var sent = 0, bytes = 0, deferrals = 0
        var totalDelay = 0.0, maxDelay = 0.0
    }
    private var deliveryRows: [DeliveryRow] = []
    /// A row of `%sendgDom`, indexed by `senderDomainNames` ids.
    private struct ReceivedRow { var messages = 0, bytes = 0 }
    private var receivedRows: [ReceivedRow] = []

    /// What pflogsumm remembers of a queue id (`%rcvdMsg`, `%msgSizes`, `%msgDfrdFlgs`).
    private struct Track {
        /// -1: no receipt pending; -2: received by pickup; else the client's domain (whence id).
        var whence: Int32 = -1
        /// The hour it was received in this log (-1: not received here).
        var hour: Int8 = -1
        var size = 0
        var bytesCounted = false
        /// The sending domain (id) its receipt and bytes were counted for.
        var senderDomain: Int32 = -1
        var deferred = false
        var reinjected = false
    }
    private var tracks = KeyTable<UnsafeRawBufferPointer.QueueID, Track>()
    /// Queue ids removed lately: a filtered copy can be delivered and removed before the filter's
    /// hand-off line naming it is logged.
    private var recentlyRemoved = [(UnsafeRawBufferPointer.QueueID, Track)]()
    private var recentNext = 0
    private static let recentCapacity = 64

    private var scratch: [UInt8] = []

    /// pflogsumm's problem sections, line by line: rejects, reject warnings, holds, discards (by
    /// the word after `reject:`: RCPT, MAIL, CONNECT, header...), warnings, fatal errors and panics
    /// (by process); each row a reason (`MailDetails.normalise`).
    private var problems: [ProblemKey: Int] = [:]
    private var problemNames = ByteInterner(foldCase: false)
    private var reasonScratch: [UInt8] = []

    /// A row of a problem section: the section, its group (a reject's word or a process), the reason.
    struct ProblemKey: Hashable, Sendable {
        var section: Int8
        var group: Int32
        var reason: Int32
    }
    /// The sections, in pflogsumm's order, with its titles.
    static let problemSections = ["message reject detail", "message reject warning detail", "message hold detail",
                                  "message discard detail", "Warnings", "Fatal Errors", "Panics", "smtp delivery failures"]
    /// smtpd connections per client host/domain (`gimme_domain`), counted at `disconnect from`
    /// as pflogsumm's `--smtpd-stats` counts them.
    private var connections: [Int32: Int] = [:]
    private static let disconnectFrom: StaticString = "disconnect from ", connectTo: StaticString = "connect to "
    private static let smtp: StaticString = "smtp"

    init() { scratch.reserveCapacity(512) }

    private static let client: StaticString = "client=", fromSize: StaticString = "from=<", sizeMark: StaticString = ">, size="
    private static let to: StaticString = "to=<", origTo: StaticString = "orig_to=<", relay: StaticString = "relay="
    private static let connUse: StaticString = "conn_use=", delay: StaticString = "delay=", delays: StaticString = "delays="
    private static let dsn: StaticString = "dsn=", status: StaticString = "status=", commaSpace: StaticString = ", "
    private static let sent: StaticString = "sent", deferredWord: StaticString = "deferred", bouncedWord: StaticString = "bounced"
    private static let forwardedAs: StaticString = "forwarded as ", queuedAs: StaticString = "queued as "
    private static let uid: StaticString = "uid=", sender: StaticString = "sender=", removed: StaticString = "removed"
    private static let rejectWord: StaticString = "reject", rejectWarningWord: StaticString = "reject_warning"
    private static let holdWord: StaticString = "hold", discardWord: StaticString = "discard"
    private static let smtpd: StaticString = "smtpd", postscreen: StaticString = "postscreen", pickup: StaticString = "pickup"
    private static let cleanup: StaticString = "cleanup", qmgr: StaticString = "qmgr"
    private static let smtpsPrefix: StaticString = "smtps/", submissionPrefix: StaticString = "submission/"
    private static let nullSender: StaticString = "from=<>", unknown: StaticString = "unknown"
    private static let cleanupKinds: [(word: StaticString, kind: Int)] = [
        ("milter-reject: ", 0), ("reject: ", 0), ("warning: ", 1), ("hold: ", 2), ("discard: ", 3),
    ]
    private static let smtpdKinds: [(word: StaticString, kind: Int)] = [
        ("reject: ", 0), ("reject_warning: ", 1), ("hold: ", 2), ("discard: ", 3),
    ]
    private static let master: StaticString = "master", warningWord: StaticString = "warning", fatalWord: StaticString = "fatal"
    private static let panicWord: StaticString = "panic", colonRemoved: StaticString = ": removed", colonSpace: StaticString = ": "
    private static let cleanupParts: [StaticString] = ["header ", "body ", "END-OF-MESSAGE "]

    // MARK: - One line

    mutating func read(_ e: PostfixEntry) {
        let text = e.text
        let hour = e.time.hour
        // pflogsumm's command: the program name after `postfix/` (and `smtps/` or `submission/`).
        guard let slash = e.program.index(of: 0x2F) else { return }
        var cmd = e.program.dropFirst(slash + 1)
        if cmd.matches(Self.smtpsPrefix) { cmd = cmd.dropFirst(Self.smtpsPrefix.count) }
        else if cmd.matches(Self.submissionPrefix) { cmd = cmd.dropFirst(Self.submissionPrefix.count) }
        // Its "queue id": the first word of the text, up to a colon or a blank.
        var qidEnd = 0
        while qidEnd < text.count, text[qidEnd] != 0x3A, !Self.isSpace(text[qidEnd]) { qidEnd += 1 }
        guard qidEnd > 0 else { return }
        let qidWord = text.slice(0..<qidEnd)

        if cmd.equals(Self.cleanup), let (kind, at) = Self.cleanupAction(text) {
            countReject(kind, hour: hour)
            noteProblem(kind, text.dropFirst(at))
            return
        }
        for (word, kind) in [(Self.rejectWord, 0), (Self.rejectWarningWord, 1), (Self.holdWord, 2), (Self.discardWord, 3)]
        where qidWord.equals(word) {
            countReject(kind, hour: hour)
            noteProblem(kind, text.dropFirst(min(text.count, qidEnd + 2)))
            return
        }

        for (word, section) in [(Self.warningWord, 4), (Self.fatalWord, 5), (Self.panicWord, 6)] where qidWord.equals(word) {
            // "warning: MESSAGE", by process (pflogsumm's $cmd).
            let group = problemNames.id(cmd)
            MailDetails.normalise(text.dropFirst(min(text.count, qidEnd + 2)), into: &reasonScratch)
            let reason = reasonScratch.withUnsafeBytes { problemNames.id($0) }
            problems[ProblemKey(section: Int8(section), group: group, reason: reason), default: 0] += 1
            return
        }
        if cmd.equals(Self.smtpd), text.matches(Self.disconnectFrom) {
            var value = text.dropFirst(Self.disconnectFrom.count)
            value = value.slice(0..<(value.index(of: 0x20) ?? value.count))
            let domain = clientDomain(value)
            if domain >= 0 { connections[domain, default: 0] += 1 }
            return
        }
        if cmd.equals(Self.smtp), let c = text.index(of: Self.connectTo),
           text.index(of: "; address ", from: c) != nil || (text.last == 0x29 && text.index(of: " (port ", from: c) != nil) {
            // pflogsumm's smtp delivery failures: the two older forms of a failed connection,
            // "connect to HOST: REASON; address A port P" and "connect to HOST[IP]: REASON (port P)"
            // (today's "connect to host[ip]:25: reason" is in the deferral that follows).
            MailDetails.normalise(text.dropFirst(c + Self.connectTo.count), into: &reasonScratch)
            let reason = reasonScratch.withUnsafeBytes { problemNames.id($0) }
            problems[ProblemKey(section: 7, group: problemNames.id(cmd), reason: reason), default: 0] += 1
            return
        }
        if cmd.equals(Self.smtpd) || cmd.equals(Self.postscreen) {
            // "QID: client=...", "NOQUEUE: reject: ...", "QID: hold: ..."
            guard Self.isWord(qidWord), qidEnd + 2 < text.count, text[qidEnd] == 0x3A, text[qidEnd + 1] == 0x20 else { return }
            let rest = text.dropFirst(qidEnd + 2)
            if rest.matches(Self.client), rest.count > Self.client.count {
                received += 1
                hours[hour].received += 1
                var value = rest.dropFirst(Self.client.count)
                if let comma = value.index(of: 0x2C) { value = value.slice(0..<comma) }
                let qid = UnsafeRawBufferPointer.QueueID(qidWord)
                guard qid.isValid else { return }
                var t = Track()
                t.hour = Int8(hour)
                t.whence = clientDomain(value)
                tracks[qid] = t
                return
            }
            for (word, kind) in Self.smtpdKinds where rest.matches(word) {
                countReject(kind, hour: hour)
                noteProblem(kind, rest.dropFirst(word.count))
                return
            }
            return
        }
        if cmd.equals(Self.master) { return }

        let qid = UnsafeRawBufferPointer.QueueID(qidWord)
        if let (address, size) = Self.sizeLine(text) {
            guard qid.isValid else { return }
            sizeLine(qid, address: address, size: size)
        } else if let d = Self.deliveryLine(text) {
            delivery(qid, d, hour: hour, text: text)
        } else if cmd.equals(Self.pickup), Self.hasPickupSender(text) {
            received += 1
            hours[hour].received += 1
            guard qid.isValid else { return }
            var t = Track()
            t.hour = Int8(hour)
            t.whence = -2
            tracks[qid] = t
        } else if cmd.equals(Self.qmgr), qid.isValid, text.matches(Self.colonRemoved, at: qidEnd) {
            guard let t = tracks.removeValue(forKey: qid) else { return }
            if recentlyRemoved.count < Self.recentCapacity { recentlyRemoved.append((qid, t)) }
            else { recentlyRemoved[recentNext] = (qid, t) }
            recentNext = (recentNext + 1) % Self.recentCapacity
        }
    }

    private mutating func countReject(_ kind: Int, hour: Int) {
        switch kind {
        case 0: rejected += 1
        case 1: rejectWarnings += 1
        case 2: held += 1
        default: discarded += 1
        }
        hours[hour].rejected += 1
    }

    /// `from=<ADDR>, size=N`: the first one of a queue id gives its size; for a message received
    /// in the log it also counts the bytes, the sender and the sender's domain.
    private mutating func sizeLine(_ qid: UnsafeRawBufferPointer.QueueID, address: UnsafeRawBufferPointer, size: Int) {
        var t = tracks[qid] ?? Track()
        if t.size != 0 { return } // pflogsumm: "avoid double-counting!"
        t.size = size
        defer { tracks[qid] = t }
        guard t.whence != -1, !t.reinjected else { return }
        let whenceID = t.whence
        t.whence = -1
        t.bytesCounted = true
        bytesReceived &+= size
        // The sender: as written, the domain part lower-cased; "from=<>" for the null sender.
        normalise(address.count == 0 ? nil : address)
        let domain: Int32 = scratch.withUnsafeBytes { s in
            let sender = Int(senderNames.id(s))
            // Its domain: after the first "@" (with something before it), else where it came from.
            if sender == senderAddressDomain.count {
                if let at = s.index(of: 0x40), at > 0, at + 1 < s.count {
                    senderAddressDomain.append(senderDomainNames.id(s.dropFirst(at + 1)))
                } else {
                    senderAddressDomain.append(-1)
                }
            }
            if senderAddressDomain[sender] >= 0 {
                return senderAddressDomain[sender]
            } else if whenceID == -2 {
                return senderDomainNames.id(s)
            } else {
                return whence.withBytes(whenceID) { senderDomainNames.id($0) }
            }
        }
        if Int(domain) == receivedRows.count { receivedRows.append(ReceivedRow()) }
        receivedRows[Int(domain)].messages += 1
        receivedRows[Int(domain)].bytes &+= size
        t.senderDomain = domain
    }

    private struct Delivery {
        var address: UnsafeRawBufferPointer
        var delay: Double
        var status: UnsafeRawBufferPointer
        var rest: UnsafeRawBufferPointer
    }

    private mutating func delivery(_ qid: UnsafeRawBufferPointer.QueueID, _ d: Delivery, hour: Int, text: UnsafeRawBufferPointer) {
        if d.status.equals(Self.sent) {
            if d.rest.index(of: Self.forwardedAs) != nil {
                forwarded += 1
                return
            }
            if isContentFilterHandoff(d.rest) {
                contentFilterHandoffs += 1
                return
            }
            let domain = deliveryDomain(d.address, isDelivery: true)
            hours[hour].delivered += 1
            delivered += 1
            let size = qid.isValid ? tracks[qid]?.size ?? 0 : 0
            bytesDelivered &+= size
            if deliveryRows[domain].sent == 0 { recipientDomains += 1 }
            deliveryRows[domain].sent += 1
            deliveryRows[domain].bytes &+= size
            deliveryRows[domain].totalDelay += d.delay
            deliveryRows[domain].maxDelay = max(deliveryRows[domain].maxDelay, d.delay)
        } else if d.status.equals(Self.deferredWord) {
            hours[hour].deferred += 1
            deferrals += 1
            let domain = deliveryDomain(d.address, isDelivery: false)
            deliveryRows[domain].deferrals += 1
            deliveryRows[domain].maxDelay = max(deliveryRows[domain].maxDelay, d.delay)
            guard qid.isValid else { deferred += 1; return }
            var t = tracks[qid] ?? Track()
            if !t.deferred { deferred += 1; t.deferred = true }
            tracks[qid] = t
        } else if d.status.equals(Self.bouncedWord) {
            hours[hour].bounced += 1
            bounced += 1
        }
    }

    /// The row of the domain of a `to=` address (after its first `@` when something precedes it,
    /// else the whole address), the address lower-cased from its `@`; a delivery also counts the
    /// address among the recipients.
    private mutating func deliveryDomain(_ address: UnsafeRawBufferPointer, isDelivery: Bool) -> Int {
        normalise(address)
        let id = Int(scratch.withUnsafeBytes { deliveryAddresses.id($0) })
        if id == deliveryAddressFacts.count {
            let domain: Int32 = scratch.withUnsafeBytes { s in
                if let at = s.index(of: 0x40), at > 0 { return deliveryDomainNames.id(s.dropFirst(at + 1)) }
                return deliveryDomainNames.id(s)
            }
            if Int(domain) == deliveryRows.count { deliveryRows.append(DeliveryRow()) }
            deliveryAddressFacts.append((domain, false))
        }
        if isDelivery, !deliveryAddressFacts[id].isRecipient {
            deliveryAddressFacts[id].isRecipient = true
            recipients += 1
        }
        return Int(deliveryAddressFacts[id].domain)
    }

    /// Whether a `sent` reply names (`queued as NEWID`) a message received in this log: a content
    /// filter's hand-off. The first line naming it takes back the copy's receipt and bytes.
    private mutating func isContentFilterHandoff(_ reply: UnsafeRawBufferPointer) -> Bool {
        guard let q = reply.index(of: Self.queuedAs) else { return false }
        var end = q + Self.queuedAs.count
        while end < reply.count, isDigit(reply[end]) || isLetter(reply[end]) { end += 1 }
        let copy = UnsafeRawBufferPointer.QueueID(reply.slice((q + Self.queuedAs.count)..<end))
        guard copy.isValid else { return false }
        if var t = tracks[copy] {
            guard takeBack(&t) else { return false }
            tracks[copy] = t
            return true
        }
        if let i = recentlyRemoved.firstIndex(where: { $0.0 == copy }) {
            var t = recentlyRemoved[i].1
            guard takeBack(&t) else { return false }
            recentlyRemoved[i].1 = t
            return true
        }
        return false
    }

    private mutating func takeBack(_ t: inout Track) -> Bool {
        if t.reinjected { return true }
        guard t.hour >= 0 else { return false }
        t.reinjected = true
        contentFilterReinjections += 1
        received -= 1
        hours[Int(t.hour)].received -= 1
        if t.bytesCounted {
            bytesReceived &-= t.size
            if t.senderDomain >= 0 {
                receivedRows[Int(t.senderDomain)].messages -= 1
                receivedRows[Int(t.senderDomain)].bytes &-= t.size
            }
        }
        t.whence = -1
        return true
    }

    /// The address into `scratch` as pflogsumm keeps it: the domain part (from the first `@`)
    /// lower-cased; nil is the null sender, kept as `from=<>`.
    private mutating func normalise(_ address: UnsafeRawBufferPointer?) {
        scratch.removeAll(keepingCapacity: true)
        guard let address else { Self.nullSender.withUTF8Buffer { scratch.append(contentsOf: $0) }; return }
        scratch.append(contentsOf: address)
        guard let at = address.index(of: 0x40) else { return }
        scratch.withUnsafeMutableBufferPointer { s in
            for i in at..<s.count { s[i] = asciiLower(s[i]) }
        }
    }

    // MARK: - Line shapes

    /// cleanup's `...reject|milter-reject|warning|hold|discard: header|body|END-OF-MESSAGE ...`:
    /// 0 reject, 1 warning, 2 hold, 3 discard. pflogsumm's `.*?\b(...)` takes the leftmost match
    /// at a word boundary; each word ends in its only colon, so that is the match ending at the
    /// first colon that ends one.
    private static func cleanupAction(_ text: UnsafeRawBufferPointer) -> (Int, Int)? {
        var from = 0
        while let colon = text.index(of: 0x3A, from: from) {
            from = colon + 1
            guard cleanupParts.contains(where: { text.matches($0, at: colon + 2) }), text.matches(colonSpace, at: colon) else { continue }
            for (word, kind) in cleanupKinds {
                let start = colon + 2 - word.count
                if start >= 0, start == 0 || !isWordByte(text[start - 1]), text.matches(word, at: start) { return (kind, colon + 2) }
            }
        }
        return nil
    }

    /// A reject (0), reject warning (1), hold (2) or discard (3): `what` is the text after its
    /// word (`RCPT from host[ip]: 554 5.7.1 <a@b>: Relay access denied; from=<...> ...`, or for
    /// cleanup `header Subject: ... from host[ip]; from=<...>: 5.7.1 reason`). Its group is the
    /// first word (RCPT, MAIL, header, body...), its reason the reply after the client (for
    /// cleanup after the envelope) up to its first `;`, normalised.
    private mutating func noteProblem(_ kind: Int, _ what: UnsafeRawBufferPointer) {
        var end = 0
        while end < what.count, what[end] != 0x20, what[end] != 0x3A { end += 1 }
        let group = problemNames.id(what.slice(0..<end))
        var reply = what.dropFirst(end)
        if let close = reply.index(of: 0x5D), let c = reply.index(of: ": ", from: close) {
            reply = reply.dropFirst(c + 2) // smtpd's `host[ip]: `, postscreen's `[ip]:port: `
        } else if let f = reply.index(of: "; from=<") {
            // cleanup: `header Subject: ... from host[ip]; from=<a> to=<b> proto=P helo=<h>: REASON`
            var last = f
            while let c = reply.index(of: ">: ", from: last + 1) { last = c }
            reply = last > f ? reply.dropFirst(last + 3) : reply.slice(0..<f)
        }
        if let semicolon = reply.index(of: 0x3B) { reply = reply.slice(0..<semicolon) }
        MailDetails.normalise(reply, into: &reasonScratch)
        let reason = reasonScratch.withUnsafeBytes { problemNames.id($0) }
        problems[ProblemKey(section: Int8(kind), group: group, reason: reason), default: 0] += 1
    }



    /// `from=<A>, size=N` (the first such, as pflogsumm's unanchored match).
    private static func sizeLine(_ text: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, Int)? {
        var from = 0
        while let f = text.index(of: fromSize, from: from) {
            from = f + 1
            if let close = text.index(of: 0x3E, from: f + fromSize.count), text.matches(sizeMark, at: close),
               let (size, _) = LogFields.messageSize(text, at: close + sizeMark.count) {
                return (text.slice((f + fromSize.count)..<close), size ?? 0) // out of range: warned by the facts' reader
            }
        }
        return nil
    }

    /// `to=<A>, [orig_to=<B>, ]relay=R, [conn_use=N, ]delay=D, [delays=X, ][dsn=Y, ]status=WORD...`
    private static func deliveryLine(_ text: UnsafeRawBufferPointer) -> Delivery? {
        var from = 0
        while let t = text.index(of: to, from: from) {
            from = t + 1
            if let d = delivery(text, at: t) { return d }
        }
        return nil
    }

    private static func delivery(_ text: UnsafeRawBufferPointer, at start: Int) -> Delivery? {
        var i = start + to.count
        guard let close = text.index(of: 0x3E, from: i) else { return nil }
        let address = text.slice(i..<close)
        i = close + 1
        guard text.matches(commaSpace, at: i) else { return nil }
        i += 2
        if text.matches(origTo, at: i) {
            guard let c = text.index(of: 0x3E, from: i + origTo.count), text.matches(commaSpace, at: c + 1) else { return nil }
            i = c + 3
        }
        // relay=[^,]+, delay=[^,]+,
        var value = 0..<0
        func field(_ name: StaticString, optional: Bool) -> Bool {
            guard text.matches(name, at: i) else { return optional }
            var j = i + name.count
            let valueStart = j
            while j < text.count, text[j] != 0x2C { j += 1 }
            guard j > valueStart, text.matches(commaSpace, at: j) else { return optional }
            value = valueStart..<j
            i = j + 2
            return true
        }
        guard field(relay, optional: false) else { return nil }
        _ = field(connUse, optional: true)
        guard field(delay, optional: false) else { return nil }
        let delayValue = perlNumber(text.slice(value))
        _ = field(delays, optional: true)
        _ = field(dsn, optional: true)
        guard text.matches(status, at: i) else { return nil }
        i += status.count
        var end = i
        while end < text.count, !isSpace(text[end]) { end += 1 }
        guard end > i else { return nil }
        return Delivery(address: address, delay: delayValue, status: text.slice(i..<end), rest: text.dropFirst(end))
    }

    /// A number as Perl reads a string such as `0.35` or `700`: digits, a point, digits (what
    /// follows is ignored: 0 for no digits). The same double as Perl's (strtod's, correctly
    /// rounded): the digits as an integer divided by a power of ten, both exact, in one rounding.
    /// Beyond 15 significant digits (never in a Postfix delay) the rest count as zeros.
    static func perlNumber(_ s: UnsafeRawBufferPointer) -> Double {
        var i = 0
        while i < s.count, isSpace(s[i]) { i += 1 }
        var digits: Int64 = 0, significant = 0, fraction = 0, dropped = 0, point = false
        while i < s.count {
            let c = s[i]
            if c == 0x2E, !point { point = true; i += 1; continue }
            guard isDigit(c) else { break }
            if significant < 15 {
                digits = digits * 10 + Int64(c - 0x30)
                if digits > 0 { significant += 1 }
                if point { fraction += 1 }
            } else if !point {
                dropped += 1
            }
            i += 1
        }
        var scale = 1.0
        for _ in 0..<fraction { scale *= 10 }
        var value = Double(digits) / scale
        for _ in 0..<dropped { value *= 10 }
        return value
    }

    /// pickup's `: uid=` or `: sender=`.
    private static func hasPickupSender(_ text: UnsafeRawBufferPointer) -> Bool {
        var from = 0
        while let c = text.index(of: colonSpace, from: from) {
            if text.matches(uid, at: c + 2) || text.matches(sender, at: c + 2) { return true }
            from = c + 1
        }
        return false
    }

    /// pflogsumm's `gimme_domain` of `host[ip]`: the IP when the host is unknown, else the host
    /// shortened to its last two labels (three for `xx.yy` endings), lower-cased. -1 when it
    /// yields nothing (pflogsumm then forgets the message was received).
    private mutating func clientDomain(_ value: UnsafeRawBufferPointer) -> Int32 {
        var host: UnsafeRawBufferPointer, ip: UnsafeRawBufferPointer
        if let open = value.index(of: 0x5B), let close = value.index(of: 0x5D, from: open + 1), Self.isIPv4(value.slice((open + 1)..<close)) {
            host = value.slice(0..<open); ip = value.slice((open + 1)..<close)
        } else if let slash = value.index(of: 0x2F), slash + 1 < value.count, Self.isHexDotColon(value[slash + 1]) {
            var end = slash + 1
            while end < value.count, Self.isHexDotColon(value[end]) { end += 1 }
            host = value.slice(0..<slash); ip = value.slice((slash + 1)..<end)
        } else {
            var open = 0
            while open < value.count, value[open] != 0x5B, value[open] != 0x28, value[open] != 0x2F { open += 1 }
            var close = open + 1
            while close < value.count, value[close] != 0x5D, value[close] != 0x29 { close += 1 }
            guard open < value.count, close < value.count, close > open + 1 else { return -1 }
            // Then only ":digits" may follow.
            var j = close + 1
            if j < value.count, value[j] == 0x3A { j += 1 }
            while j < value.count, isDigit(value[j]) { j += 1 }
            guard j == value.count else { return -1 }
            host = value.slice(0..<open); ip = value.slice((open + 1)..<close)
        }
        var result: Int32 = -1
        if host.count == 0 || host.equals(Self.unknown) {
            if ip.count > 0, !(ip.count == 1 && ip[0] == 0x30) { result = whence.id(ip) }
            return result
        }
        guard let (a, b) = Self.registeredDomain(host) else { return whence.id(host) }
        scratch.removeAll(keepingCapacity: true)
        for c in host.slice(a..<b) { scratch.append(asciiLower(c)) }
        scratch.withUnsafeBytes { result = whence.id($0) }
        return result
    }

    /// `s/^(.*)\.([^\.]+)\.([^\.]{3}|[^\.]{2,3}\.[^\.]{2})$/$2.$3/`: where `$2.$3` begins and ends.
    private static func registeredDomain(_ h: UnsafeRawBufferPointer) -> (Int, Int)? {
        // Greedy `(.*)`: try the rightmost dot first.
        var p = h.count - 1
        while p >= 0 {
            if h[p] == 0x2E {
                let rest = h.dropFirst(p + 1)
                var dotCount = 0, d0 = -1, d1 = -1
                for (k, c) in rest.enumerated() where c == 0x2E {
                    dotCount += 1
                    if d0 < 0 { d0 = k } else if d1 < 0 { d1 = k }
                }
                if dotCount == 1, d0 > 0, rest.count - d0 - 1 == 3 { return (p + 1, h.count) }
                if dotCount == 2, d0 > 0 {
                    let mid = d1 - d0 - 1, last = rest.count - d1 - 1
                    if (2...3).contains(mid) && last == 2 { return (p + 1, h.count) }
                }
            }
            p -= 1
        }
        return nil
    }

    private static func isIPv4(_ s: UnsafeRawBufferPointer) -> Bool {
        var groups = 0, digits = 0
        for c in s {
            if isDigit(c) { digits += 1; if digits > 3 { return false } }
            else if c == 0x2E, digits > 0 { groups += 1; digits = 0 }
            else { return false }
        }
        return groups == 3 && digits > 0
    }

    @inline(__always) private static func isHexDotColon(_ c: UInt8) -> Bool {
        isDigit(c) || (asciiLower(c) >= 0x61 && asciiLower(c) <= 0x66) || c == 0x2E || c == 0x3A
    }

    @inline(__always) private static func isWordByte(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) || c == 0x5F }
    @inline(__always) private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
    private static func isWord(_ s: UnsafeRawBufferPointer) -> Bool { s.allSatisfy(isWordByte) }

    // MARK: - For the ledger

    /// The totals in pflogsumm's order, with its labels, and the per-hour table.
    var serverTotals: ServerTotals {
        var counts: [ServerTotals.Count] = [
            .init("received", received), .init("delivered", delivered), .init("forwarded", forwarded),
            .init("deferred", deferred), .init("deferrals", deferrals), .init("bounced", bounced),
            .init("rejected", rejected), .init("reject warnings", rejectWarnings), .init("held", held),
            .init("discarded", discarded), .init("bytes received", bytesReceived),
            .init("bytes delivered", bytesDelivered), .init("senders", senders),
            .init("sending hosts/domains", sendingDomains), .init("recipients", recipients),
            .init("recipient hosts/domains", recipientDomains),
        ]
        var notes = ["per hour, \"deferred\" counts deferrals and \"rejected\" also reject warnings, holds and discards"]
        if contentFilterReinjections > 0 {
            counts.append(.init("content-filter re-injections", contentFilterReinjections))
            notes.append("\(contentFilterReinjections) message(s) re-injected by a content filter counted once "
                         + "(pflogsumm counts them twice as received, and \(contentFilterHandoffs) hand-off(s) as delivered)")
        }
        var totals = ServerTotals(
            title: "Postfix totals (as pflogsumm counts them)", counts: counts,
            hourColumns: ["received", "delivered", "deferred", "bounced", "rejected"],
            hours: hours.map { [$0.received, $0.delivered, $0.deferred, $0.bounced, $0.rejected] }, notes: notes)
        totals.deliveryDomains = deliveryRows.enumerated().map { id, r in
            ServerTotals.DeliveryDomain(domain: deliveryDomainNames.string(Int32(id)), sent: r.sent, bytes: r.bytes,
                                        deferrals: r.deferrals, totalDelay: r.totalDelay, maxDelay: r.maxDelay)
        }.sorted { ($1.sent, $1.bytes, $1.deferrals, $0.domain) < ($0.sent, $0.bytes, $0.deferrals, $1.domain) }
        // A domain whose every message was a content filter's re-injection has none left.
        totals.receivedDomains = receivedRows.enumerated().filter { $0.element.messages > 0 }.map { id, r in
            ServerTotals.ReceivedDomain(domain: senderDomainNames.string(Int32(id)), messages: r.messages, bytes: r.bytes)
        }.sorted { ($1.messages, $1.bytes, $0.domain) < ($0.messages, $0.bytes, $1.domain) }
        totals.problems = Self.problemSections.enumerated().map { section, title in
            var groups: [Int32: [(reason: String, count: Int)]] = [:]
            for (k, n) in problems where Int(k.section) == section { groups[k.group, default: []].append((problemNames.string(k.reason), n)) }
            return ServerTotals.ProblemSection(title: title, groups: groups.map { g, rows in
                ServerTotals.ProblemGroup(name: problemNames.string(g), rows: rows.sorted { ($1.count, $0.reason) < ($0.count, $1.reason) })
            }.sorted { ($1.total, $0.name) < ($0.total, $1.name) })
        }
        totals.connections = connections.map { ServerTotals.Count(whence.string($0.key), $0.value) }
            .sorted { ($1.value, $0.name) < ($0.value, $1.name) }
        return totals
    }
}
