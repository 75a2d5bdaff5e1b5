/// The detail behind pflogsumm's detail sections, for every server, from the facts: bytes per
/// envelope sender (the ledger counts its messages), deliveries and their bytes per recipient,
/// deferrals and bounces by recipient domain and reason, logins per account, and per client IP
/// the messages accepted and the commands rejected. Kept only when a report asks for it
/// (`summary --detail N`): it interns every recipient of every delivery.
public struct MailDetails: Sendable {
    /// Bytes per envelope sender (address id of the ledger).
    var senderBytes: [Int] = []
    /// Deliveries (local, or remote and delivered) per recipient address id, and their bytes where
    /// the log gives the message's size.
    var deliveredTo: [Int32] = []
    var deliveredBytes: [Int] = []
    /// Remote deferrals and bounces by (bounced, recipient domain id, reason id).
    var problems: [Problem: Int] = [:]
    /// Permanent rejections by reason id (the reply normalised; `-1`: the log gives none).
    var rejections: [Int32: Int] = [:]
    var reasons = ByteInterner(foldCase: false)
    /// Logins per account id: successes, and failures where the log names the account.
    var accountLogins: [Int32: LoginTally] = [:]
    /// Per client IP id: SMTP connections, messages accepted, and commands rejected with a 5xx (or
    /// no) code.
    var clients: [Int32: ClientTally] = [:]
    /// Refusals (permanent or temporary) naming the DNS blocklist that listed the client, by the
    /// list's name (an id of `reasons`), and greylisting replies.
    var blocklists: [Int32: Int] = [:]
    var greylisted = 0
    /// Scratch for the normalised reason (reused).
    private var scratch: [UInt8] = []

    struct Problem: Hashable, Sendable {
        var bounced: Bool
        var domain: Int32
        var reason: Int32
    }

    public struct LoginTally: Sendable, Equatable {
        public var successes = 0, failures = 0
    }

    public struct ClientTally: Sendable, Equatable {
        public var connections = 0, messages = 0, rejected = 0
    }

    /// A refusal's reply: a permanent one's, normalised, for the reject detail; any one's for the
    /// blocklist and greylisting counts. The rule: the list is the
    /// word after `blocked using ` (Postfix's smtpd and postscreen), `listed at `, `listed in ` or
    /// `black list at ` (Exim's ACL messages: Debian's `$sender_host_address is listed at
    /// $dnslist_domain`, the specification's `is in a black list at $dnslist_domain`), up to a
    /// blank, `;`, `,` or `)`, a final `.` dropped; SmarterMail's `SMTP Spam Blocking` refusal
    /// names no list and counts as `(SMTP spam blocking)`. A reply holding `greylist` (any case)
    /// is a greylisting reply.
    mutating func refusal(_ reason: UnsafeRawBufferPointer?, permanent: Bool) {
        guard let reason, reason.count > 0 else {
            if permanent { rejections[-1, default: 0] += 1 }
            return
        }
        if permanent {
            Self.normalise(reason, into: &scratch)
            rejections[scratch.withUnsafeBytes { reasons.id($0) }, default: 0] += 1
        }
        if reason.indexIgnoringCase(of: "greylist") != nil { greylisted += 1 }
        for phrase in Self.blocklistPhrases {
            guard let at = reason.index(of: phrase) else { continue }
            var name = reason.dropFirst(at + phrase.count)
            var n = 0
            while n < name.count, name[n] != 0x20, name[n] != 0x3B, name[n] != 0x2C, name[n] != 0x29, name[n] != 0x09 { n += 1 }
            if n > 0, name[n - 1] == 0x2E { n -= 1 }
            name = name.slice(0..<n)
            if name.count > 0 { blocklists[reasons.id(name), default: 0] += 1 }
            return
        }
        if reason.indexIgnoringCase(of: "smtp spam blocking") != nil {
            Self.spamBlocking.withUTF8Buffer { blocklists[reasons.id(UnsafeRawBufferPointer($0)), default: 0] += 1 }
        }
    }

    private static let blocklistPhrases: [StaticString] = ["blocked using ", "listed at ", "listed in ", "black list at "]
    private static let spamBlocking: StaticString = "(SMTP spam blocking)"

    mutating func problem(bounced: Bool, domain: Int32, detail: UnsafeRawBufferPointer) {
        Self.normalise(detail, into: &scratch)
        let reason = scratch.withUnsafeBytes { reasons.id($0) }
        problems[Problem(bounced: bounced, domain: domain, reason: reason), default: 0] += 1
    }

    /// A server's reply made a reason shared by many messages (the rule `--detail` names): the
    /// text between its first `(` and a `)` that ends it, when at most one word comes before
    /// (Postfix's `deferred (connect to ...: Connection refused)`); every address (a word holding `@`)
    /// becomes `<address>`; every run of digits `N` (ids, IPs, ports, queue numbers, times);
    /// runs of blanks one space; at most 120 characters.
    static func normalise(_ text: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var s = text
        if s.count >= 2, s[s.count - 1] == 0x29, let open = s.index(of: 0x28), open + 1 < s.count - 1,
           s.slice(0..<max(0, open - 1)).index(of: 0x20) == nil {
            s = s.slice((open + 1)..<(s.count - 1)) // one word at most before it: `deferred (...)`
        }
        var i = 0
        while i < s.count, out.count < 120 {
            let c = s[i]
            if c == 0x20 || c == 0x09 {
                if out.last != 0x20, !out.isEmpty { out.append(0x20) }
                i += 1
                continue
            }
            // A word: up to a blank, or a delimiter around addresses.
            var end = i
            while end < s.count, !Self.isDelimiter(s[end]) { end += 1 }
            if end > i, s.slice(i..<end).contains(0x40) {
                // `<john@example.com>` and `john@example.com` alike.
                if out.last == 0x3C { out.removeLast() }
                out.append(contentsOf: Array("<address>".utf8))
                i = end < s.count && s[end] == 0x3E ? end + 1 : end
                continue
            }
            if end == i { out.append(c); i += 1; continue }
            var j = i
            while j < end {
                if s[j] >= 0x30 && s[j] <= 0x39 {
                    out.append(0x4E) // N
                    while j < end, s[j] >= 0x30 && s[j] <= 0x39 { j += 1 }
                } else {
                    out.append(s[j] < 0x20 || s[j] == 0x7F ? 0x3F : s[j])
                    j += 1
                }
            }
            i = end
        }
        if out.count > 120 { out.removeLast(out.count - 120) }
        while out.last == 0x20 { out.removeLast() }
    }

    @inline(__always) private static func isDelimiter(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x3C || c == 0x3E || c == 0x28 || c == 0x29 || c == 0x2C || c == 0x3B || c == 0x22 || c == 0x27
    }

    /// Adds `later`'s, its ids mapped through the ledger's maps.
    mutating func add(_ later: MailDetails, address: [Int32], domain: [Int32], ip: [Int32]) {
        for (i, n) in later.senderBytes.enumerated() where n != 0 { MailLedger.add(&senderBytes, address[i], n) }
        for (i, n) in later.deliveredTo.enumerated() where n > 0 {
            MailLedger.add(&deliveredTo, address[i], n)
            MailLedger.add(&deliveredBytes, address[i], later.deliveredBytes[i])
        }
        let reason = MailLedger.map(later.reasons, into: &reasons)
        for (p, n) in later.problems {
            problems[Problem(bounced: p.bounced, domain: domain[Int(p.domain)], reason: reason[Int(p.reason)]), default: 0] += n
        }
        for (r, n) in later.rejections { rejections[r < 0 ? -1 : reason[Int(r)], default: 0] += n }
        for (b, n) in later.blocklists { blocklists[reason[Int(b)], default: 0] += n }
        greylisted += later.greylisted
        for (a, t) in later.accountLogins {
            accountLogins[address[Int(a)], default: LoginTally()].successes += t.successes
            accountLogins[address[Int(a)]]!.failures += t.failures
        }
        for (c, t) in later.clients {
            clients[ip[Int(c)], default: ClientTally()].messages += t.messages
            clients[ip[Int(c)]]!.rejected += t.rejected
            clients[ip[Int(c)]]!.connections += t.connections
        }
    }
}

/// The detail sections of a summary (`--detail N`): the first N rows of each list.
public struct SummaryDetails: Sendable {
    public struct Row: Sendable, Equatable {
        public let name: String
        public let count: Int
        public let bytes: Int
    }

    public struct Problem: Sendable, Equatable {
        public let domain: String
        public let reason: String
        public let count: Int
    }

    public struct Account: Sendable, Equatable {
        public let account: String
        public let successes, failures: Int
    }

    public struct Client: Sendable, Equatable {
        public let ip: String
        public let connections, messages, rejected: Int
    }

    public let limit: Int
    public let sendersByCount, sendersBySize, recipientsByCount, recipientsBySize: [Row]
    public let deferrals, bounces: [Problem]
    /// Permanent rejections by reason (the empty reason: the log gave none), most first.
    public let rejections: [(reason: String, count: Int)]
    public let rejectionTotal: Int
    public let deferralTotal, bounceTotal: Int
    public let logins: [Account]
    public let clients: [Client]
    /// Refusals per DNS blocklist named in the reply, most first, and greylisting replies.
    public let blocklists: [(name: String, count: Int)]
    public let greylisted: Int

    init(_ ledger: MailLedger, limit: Int) {
        self.limit = limit
        let d = ledger.details
        // Only the rows shown are named.
        func rows(_ counts: [Int32], _ bytes: [Int], bySize: Bool) -> [Row] {
            func size(_ id: Int32) -> Int { Int(id) < bytes.count ? bytes[Int(id)] : 0 }
            let seen = counts.indices.lazy.filter { counts[$0] > 0 }.map { Int32($0) }
            return ledger.topAddresses(seen, top: limit) { bySize ? (size($0), Int(counts[Int($0)])) : (Int(counts[Int($0)]), size($0)) }
                .map { Row(name: ledger.addresses.string($0), count: Int(counts[Int($0)]), bytes: size($0)) }
        }
        // The senders' counts are the ledger's own (envelope senders known).
        sendersByCount = rows(ledger.envelopeSenderCounts, d.senderBytes, bySize: false)
        sendersBySize = rows(ledger.envelopeSenderCounts, d.senderBytes, bySize: true)
        recipientsByCount = rows(d.deliveredTo, d.deliveredBytes, bySize: false)
        recipientsBySize = rows(d.deliveredTo, d.deliveredBytes, bySize: true)
        func problems(_ bounced: Bool) -> ([Problem], Int) {
            let list = d.problems.filter { $0.key.bounced == bounced }
                .map { Problem(domain: ledger.domains.string($0.key.domain), reason: d.reasons.string($0.key.reason), count: $0.value) }
                .sorted { ($1.count, $0.domain, $0.reason) < ($0.count, $1.domain, $1.reason) }
            return (Array(list.prefix(limit)), list.reduce(0) { $0 + $1.count })
        }
        let rejected = d.rejections.map { (reason: $0.key < 0 ? "" : d.reasons.string($0.key), count: $0.value) }
            .sorted { ($1.count, $0.reason) < ($0.count, $1.reason) }
        rejections = Array(rejected.prefix(limit))
        rejectionTotal = rejected.reduce(0) { $0 + $1.count }
        (deferrals, deferralTotal) = problems(false)
        (bounces, bounceTotal) = problems(true)
        logins = d.accountLogins.map { Account(account: ledger.addresses.string($0.key), successes: $0.value.successes, failures: $0.value.failures) }
            .sorted { ($1.failures, $1.successes, $0.account) < ($0.failures, $0.successes, $1.account) }.prefix(limit).map { $0 }
        blocklists = d.blocklists.map { (name: d.reasons.string($0.key), count: $0.value) }
            .sorted { ($1.count, $0.name) < ($0.count, $1.name) }.prefix(limit).map { $0 }
        greylisted = d.greylisted
        clients = d.clients.map { c in
            Client(ip: ledger.ips.string(c.key), connections: c.value.connections, messages: c.value.messages, rejected: c.value.rejected)
        }.sorted { ($1.rejected, $1.connections, $1.messages, $0.ip) < ($0.rejected, $0.connections, $0.messages, $1.ip) }
            .prefix(limit).map { $0 }
    }
}
