import Glibc

/// The aggregate of a run's log facts behind `summary` and `suspects`: a `MailFactSink`.
///
/// Every table is keyed by interned ids, so memory grows with the number of distinct
/// addresses, not with the size of the logs. Nothing in it depends on the order facts arrive
/// in: whatever depends on which domains are local (a message's direction, which mailboxes and
/// domains are the server's own) and the peak rates are settled by `finish()`, once every fact
/// is in. Two ledgers combine exactly with `merge(_:)`, so logs are read on every core, each
/// part into its own ledger.
///
/// The one order it keeps is the order of logins from one IP: a break-in is failures from an
/// IP reported before a success from it. Readers that split the work keep each IP's logins in
/// one part, and `merge` takes its argument as the later part.
public struct MailLedger: MailFactSink, Sendable {
    /// Only facts inside this range count (nil: everything).
    public var range: TimeRange?
    /// The sliding window for peak rates, in seconds.
    public var rateWindow: Int64

    public internal(set) var addresses = ByteInterner(foldCase: true)
    public internal(set) var domains = ByteInterner(foldCase: true)
    public internal(set) var ips = ByteInterner(foldCase: false)
    public internal(set) var outcomeNames = ByteInterner(foldCase: false)
    var protocolNames = ByteInterner(foldCase: false)
    var domainOfAddress: [Int32] = []
    /// The hosts whose facts these are: one, unnamed (""), for a server's own logs; those event
    /// files name (`MailFact.host`) for several. Which domains are local is each host's own.
    public internal(set) var hosts = ByteInterner(foldCase: false)
    /// The host of the facts being taken.
    var host: Int32 = 0
    /// What depends on which domains each host serves, by host id.
    var perHost = [HostTraffic()]
    /// Domains named by `--local-domain`: local on every host.
    var namedLocal = IDSet()

    // What the facts said, before `finish()`.
    var outcomeCounts: [Int32: Int] = [:]
    var failedLoginCounts: [Int32: Int] = [:]
    /// Messages per envelope sender, indexed by address id (a flat array: one counter per
    /// distinct address, however many there are).
    public internal(set) var envelopeSenderCounts: [Int32] = []
    var accountEvidence: [Int32: SenderEvidence] = [:]
    /// The recipient domains of undecided messages, each set a sorted list of domain ids.
    var domainSets = ByteInterner(foldCase: false)
    /// Remote delivery outcomes per envelope sender.
    public internal(set) var outcomesBySender: [Int32: DeliveryOutcomes] = [:]
    public internal(set) var logins: [Int32: LoginFacts] = [:]
    /// The IPs each account logged in from.
    var loginIPs: [Int32: IDSet] = [:]
    /// Each (account, IP)'s first success, for a merge into a ledger whose facts came first
    /// and hold failures from that IP.
    var firstSuccesses: [FirstSuccess] = []
    /// Per (account, IP) with failures from the IP before a success: the success with the most.
    var strongestSuccess = PairTable(empty: Success(failedBefore: 0, at: 0))
    var blockList: [SecurityBlock] = []
    /// The last delivery's sender and its id: a message's delivery lines come together.
    private var lastSender: (bytes: [UInt8], id: Int32) = ([], -1)
    /// The local domains of the message being counted (kept to reuse its storage).
    private var seenDomains: [Int32] = []
    /// The dialect's own totals, when it keeps any (nil: none).
    public var serverTotals: ServerTotals?
    /// Whether the facts' detail is kept (`summary --detail N`), in `details`.
    public var keepsDetails = false
    public internal(set) var details = MailDetails()
    /// Earliest and latest fact time, for the report header.
    public internal(set) var firstFact = LocalTime(milliseconds: .max), lastFact = LocalTime(milliseconds: .min)
    /// Earliest and latest fact time read, in the range or not: the time the logs cover.
    public internal(set) var firstRead = LocalTime(milliseconds: .max), lastRead = LocalTime(milliseconds: .min)
    /// What the logs read cover, for the report header: set by whoever read them.
    public var coverage = LogCoverage()

    // Settled by `finish()`.
    public private(set) var days: [Int64: TrafficCounts] = [:]
    public private(set) var hours = [TrafficCounts](repeating: TrafficCounts(), count: 24)
    public private(set) var outcomes: [Int32: Int] = [:]
    public private(set) var failedLoginsByProtocol: [String: Int] = [:]
    public private(set) var domainTraffic: [Int32: DomainTraffic] = [:]
    public private(set) var mailboxes: [Int32: MailboxTraffic] = [:]
    public private(set) var evidence: [SenderKey: SenderEvidence] = [:]
    public var loginIPsByAccount: [Int32: IDSet] { loginIPs }
    public private(set) var breakIns: [Int32: BreakIn] = [:]
    public private(set) var blocks: [SecurityBlock] = []
    /// Messages per recipient address id, over every host.
    public private(set) var recipientCounts: [Int32] = []
    /// Each host's totals when the facts named their hosts (event files), in the order first seen.
    public private(set) var hostTotals: [(host: String, counts: TrafficCounts)] = []

    public init(range: TimeRange? = nil, rateWindow: Int64 = 600) {
        self.range = range
        self.rateWindow = rateWindow
        _ = hosts.id(UnsafeRawBufferPointer(start: nil, count: 0)) // host 0: the unnamed one
    }

    // MARK: - Addresses and domains

    /// The id of an address (normalised, case-folded).
    public mutating func address(_ raw: UnsafeRawBufferPointer) -> Int32 { normalisedAddress(EnvelopeAddress.normalised(raw)) }

    /// The id of an address already normalised.
    mutating func normalisedAddress(_ a: UnsafeRawBufferPointer) -> Int32 {
        let id = addresses.id(a)
        if Int(id) >= domainOfAddress.count { domainOfAddress.append(domains.id(EnvelopeAddress.domain(a))) }
        return id
    }

    public mutating func address(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { address(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) public func domain(ofAddress id: Int32) -> Int32 { domainOfAddress[Int(id)] }

    /// Whether `address` is of a domain host `host` serves.
    public func isLocal(address id: Int32, host: Int32 = 0) -> Bool { perHost[Int(host)].localDomains.contains(domainOfAddress[Int(id)]) }

    /// Marks the domain of `address` as one the current host serves.
    public mutating func noteLocal(address id: Int32) { perHost[Int(host)].localDomains.insert(domainOfAddress[Int(id)]) }

    /// `--local-domain`: a domain every host serves.
    public mutating func noteLocal(domain: String) {
        var d = domain
        let id = d.withUTF8 { domains.id(UnsafeRawBufferPointer($0)) }
        namedLocal.insert(id)
        for h in perHost.indices { perHost[h].localDomains.insert(id) }
    }

    /// Makes `name` the host of the facts that follow.
    mutating func select(host name: UnsafeRawBufferPointer) {
        host = hosts.id(name)
        while perHost.count < hosts.count { perHost.append(HostTraffic(localDomains: namedLocal)) }
    }

    public mutating func ip(_ raw: UnsafeRawBufferPointer) -> Int32 { ips.id(raw) }

    // MARK: - Facts

    public mutating func take(_ fact: MailFact) {
        if case .host(let h) = fact { return select(host: h.name) }
        guard admit(fact.time) else { return }
        switch fact {
        case .accepted(let m): accepted(m)
        case .connection(let c):
            if keepsDetails { details.clients[ip(c.clientIP), default: MailDetails.ClientTally()].connections += 1 }
        case .recipientRejected(let r): refused(at: r.time, clientIP: r.clientIP, reason: r.reason, permanent: r.code >= 500)
        case .rejection(let r): refused(at: r.time, clientIP: r.clientIP, reason: r.reason, permanent: r.isPermanent)
        case .delivery(let d): delivery(d)
        case .login(let l): login(l)
        case .securityBlock(let b):
            blockList.append(SecurityBlock(at: b.time, ip: ip(b.ip), rule: b.rule.printable))
        case .removed, .host: break
        }
    }

    /// A refused recipient or command: a permanent refusal counts as rejected; with the details
    /// kept, every refusal's reply goes to the blocklist and greylisting counts.
    private mutating func refused(at t: LocalTime, clientIP: FactBytes, reason: FactBytes?, permanent: Bool) {
        if permanent { perHost[Int(host)].calendar.count(t) { $0.rejected += 1 } }
        guard keepsDetails else { return }
        details.refusal(reason, permanent: permanent)
        if permanent { details.clients[ip(clientIP), default: MailDetails.ClientTally()].rejected += 1 }
    }

    @inline(__always) private mutating func admit(_ t: LocalTime) -> Bool {
        if t < firstRead { firstRead = t }
        if t > lastRead { lastRead = t }
        if let range, !range.contains(t) { return false }
        if t < firstFact { firstFact = t }
        if t > lastFact { lastFact = t }
        return true
    }

    private mutating func accepted(_ m: AcceptedMessage) {
        let t = m.time, size = m.size, n = m.recipients.count
        let sender = normalisedAddress(m.sender)
        let account = m.account.map { normalisedAddress($0) }
        if let account { noteLocal(address: account) }
        perHost[Int(host)].calendar.count(t) { c in
            if account != nil { c.authenticated += 1 }
            c.recipients += n
            c.bytes &+= size
        }
        // An unknown sender is no envelope sender (nor the null sender).
        if m.senderKnown { MailLedger.add(&envelopeSenderCounts, sender, 1) }
        if keepsDetails {
            if m.senderKnown { MailLedger.add(&details.senderBytes, sender, size) }
            details.clients[ip(m.clientIP), default: MailDetails.ClientTally()].messages += 1
        }
        // The mailbox that sent it: the account when authenticated, else the envelope sender.
        let mailbox = account ?? sender
        let h = Int(host)
        perHost[h].sent[mailbox, default: SentTraffic()].add(SentTraffic(messages: 1, recipients: n, bytes: size))
        let mailboxDomain = Int(domain(ofAddress: mailbox))
        MailLedger.grow(&perHost[h].domains, toHold: mailboxDomain, DomainTraffic())
        perHost[h].domains[mailboxDomain].addSent(recipients: n, size: size)
        seenDomains.removeAll(keepingCapacity: true)
        var allLocal = true
        for raw in m.recipients {
            let r = normalisedAddress(raw)
            MailLedger.add(&perHost[h].received, r, 1)
            MailLedger.add(&perHost[h].receivedBytes, r, size)
            let d = domainOfAddress[Int(r)]
            let first = !seenDomains.contains(d)
            if first {
                seenDomains.append(d)
                if !perHost[h].localDomains.contains(d) { allLocal = false }
            }
            MailLedger.grow(&perHost[h].domains, toHold: Int(d), DomainTraffic())
            perHost[h].domains[Int(d)].addReceived(firstForMessage: first, size: size)
        }
        perHost[h].mailboxDomains[mailbox, default: MailboxDomains()].add(seenDomains, authenticated: account != nil)
        if let account {
            accountEvidence[account, default: SenderEvidence()].record(at: t, sender: sender, recipients: n, host: host)
        } else if allLocal {
            perHost[Int(host)].calendar.count(t) { $0.inbound += 1 } // local domains only ever grow: inbound for good
        } else {
            seenDomains.sort()
            let set = seenDomains.withUnsafeBytes { domainSets.id($0) }
            perHost[h].undecided.append(UndecidedMessage(time: t.milliseconds, clientIP: ip(m.clientIP), domains: set,
                                                         sender: sender, recipients: Int32(clamping: n)))
        }
    }

    private mutating func delivery(_ d: DeliveryAttempt) {
        if keepsDetails {
            if d.isLocal || d.outcome == .delivered {
                let r = address(d.recipient)
                MailLedger.add(&details.deliveredTo, r, 1)
                MailLedger.add(&details.deliveredBytes, r, d.size ?? 0)
            } else {
                details.problem(bounced: d.outcome == .bounced, domain: domains.id(EnvelopeAddress.domain(EnvelopeAddress.normalised(d.recipient))),
                                detail: d.detail)
            }
        }
        if d.isLocal {
            let local = domains.id(EnvelopeAddress.domain(d.recipient))
            perHost[Int(host)].localDomains.insert(local)
            perHost[Int(host)].calendar.count(d.time) { $0.localDeliveries += 1 }
            return
        }
        outcomeCounts[outcomeNames.id(d.word), default: 0] += 1
        perHost[Int(host)].calendar.count(d.time) { $0.add(d.outcome) }
        if let raw = d.sender {
            let sender = senderID(raw)
            outcomesBySender[sender, default: DeliveryOutcomes()].add(d.outcome) // in place: one lookup
        }
    }

    /// The id of a delivery's sender; the same as the last delivery's is not looked up again.
    private mutating func senderID(_ raw: UnsafeRawBufferPointer) -> Int32 {
        let same = lastSender.id >= 0 && lastSender.bytes.count == raw.count
            && lastSender.bytes.withUnsafeBytes { memcmp($0.baseAddress!, raw.baseAddress!, raw.count) == 0 }
        if same { return lastSender.id }
        let id = normalisedAddress(raw)
        lastSender.bytes.removeAll(keepingCapacity: true)
        lastSender.bytes.append(contentsOf: raw)
        lastSender.id = id
        return id
    }

    private mutating func login(_ l: LoginAttempt) {
        let ipID = ip(l.ip)
        if keepsDetails, let raw = l.account, !raw.isEmpty {
            let account = address(raw)
            if l.success { details.accountLogins[account, default: MailDetails.LoginTally()].successes += 1 }
            else { details.accountLogins[account, default: MailDetails.LoginTally()].failures += 1 }
        }
        let failures = logins[ipID, default: LoginFacts()].record(success: l.success, at: l.time) // in place: one lookup
        if l.success {
            guard let raw = l.account, !raw.isEmpty else { return }
            let account = normalisedAddress(raw)
            noteLocal(address: account)
            if loginIPs[account, default: IDSet()].insert(ipID) {
                firstSuccesses.append(FirstSuccess(account: account, ip: ipID, at: l.time.milliseconds))
            }
            guard failures > 0 else { return }
            // One IP's failures only grow: a later success is stronger only with more of them.
            noteSuccess(account, ipID, Success(failedBefore: Int32(clamping: failures), at: l.time.milliseconds))
        } else {
            failedLoginCounts[protocolNames.id(l.protocolName), default: 0] += 1
            perHost[Int(host)].calendar.count(l.time) { $0.failedLogins += 1 }
        }
    }

    /// Keeps `s` as the pair's strongest success unless one with as many failures before it came first.
    mutating func noteSuccess(_ account: Int32, _ ip: Int32, _ s: Success) {
        strongestSuccess.update(account, ip, new: s) { kept in
            if kept.failedBefore < s.failedBefore { kept = s }
        }
    }

    /// Makes `i` an index of a flat table indexed by id, new slots `fill`.
    @inline(__always) static func grow<T>(_ table: inout [T], toHold i: Int, _ fill: T) {
        if i >= table.count { table.append(contentsOf: repeatElement(fill, count: i + 1 - table.count)) }
    }

    /// Adds `n` to the counter of `id` in a flat table indexed by id.
    @inline(__always) static func add<N: FixedWidthInteger>(_ table: inout [N], _ id: Int32, _ n: N) {
        grow(&table, toHold: Int(id), 0)
        table[Int(id)] &+= n
    }

    // MARK: - The end

    /// Settles everything that depends on all the facts: each undecided message's direction,
    /// which mailboxes and domains are local, the relays' and accounts' evidence with their exact
    /// peak rates, the break-ins. May be called again after more facts or a merge.
    public mutating func finish() {
        var settled = perHost.map(\.calendar)
        var relays: [Int32: SenderEvidence] = [:]
        var relayDomains: [Int32: IDSet] = [:]
        for (h, traffic) in perHost.enumerated() {
            let local = traffic.localDomains
            for m in traffic.undecided {
                let t = LocalTime(milliseconds: m.time)
                let relayed = domainSets.withBytes(m.domains) { set in
                    set.withMemoryRebound(to: Int32.self) { ds in ds.contains { !local.contains($0) } }
                }
                settled[h].count(t) { $0.add(relayed ? .relayed : .inbound) }
                guard relayed else { continue }
                relays[m.clientIP, default: SenderEvidence()].record(at: t, sender: m.sender, recipients: Int(m.recipients), host: Int32(h))
                domainSets.withBytes(m.domains) { set in
                    set.withMemoryRebound(to: Int32.self) { ds in for d in ds { relayDomains[m.clientIP, default: IDSet()].insert(d) } }
                }
            }
        }
        var all = DayHourCounts()
        for c in settled { all.add(c) }
        days = all.days
        hours = all.hours
        // Named hosts (event files): each one's totals; the unnamed one only if it holds any.
        hostTotals = []
        if hosts.count > 1 {
            for (h, c) in settled.enumerated() where h > 0 || !c.days.isEmpty {
                var total = TrafficCounts()
                for d in c.days.values { total.add(d) }
                hostTotals.append((hosts.string(Int32(h)), total))
            }
        }
        outcomes = outcomeCounts
        failedLoginsByProtocol = Dictionary(uniqueKeysWithValues: failedLoginCounts.map { (protocolNames.string($0.key), $0.value) })

        // Each host's traffic counts where that host serves the domain; a mailbox of two hosts
        // is one mailbox, its recipient domains those of both.
        domainTraffic = [:]
        mailboxes = [:]
        var mailboxDomains: [Int32: IDSet] = [:]
        for t in perHost {
            for (d, traffic) in t.domains.enumerated() where t.localDomains.contains(Int32(d)) && traffic != DomainTraffic() {
                domainTraffic[Int32(d), default: DomainTraffic()].add(traffic)
            }
            for (mailbox, s) in t.sent where t.localDomains.contains(domainOfAddress[Int(mailbox)]) {
                mailboxes[mailbox, default: MailboxTraffic()].add(sent: s)
                guard let ds = t.mailboxDomains[mailbox]?.all else { continue }
                if perHost.count == 1 {
                    mailboxes[mailbox]!.recipientDomains = ds.count // one host: no union to build
                } else {
                    for d in ds.elements { mailboxDomains[mailbox, default: IDSet()].insert(d) }
                }
            }
            for r in t.received.indices where t.received[r] > 0 && t.localDomains.contains(domainOfAddress[r]) {
                mailboxes[Int32(r), default: MailboxTraffic()].received += Int(t.received[r])
                mailboxes[Int32(r)]!.receivedBytes &+= t.receivedBytes[r]
            }
        }
        for (mailbox, ds) in mailboxDomains { mailboxes[mailbox]!.recipientDomains = ds.count }
        recipientCounts = perHost.count == 1 ? perHost[0].received : perHost.reduce(into: []) { all, t in
            for (r, n) in t.received.enumerated() where n > 0 { MailLedger.add(&all, Int32(r), n) }
        }

        evidence = [:]
        for (account, var e) in accountEvidence {
            e.recipientDomains = authenticatedDomains(of: account)
            e.computePeak(window: rateWindow * 1000)
            evidence[.account(account)] = e
        }
        for (ipID, var e) in relays {
            e.recipientDomains = relayDomains[ipID]?.count ?? 0
            e.computePeak(window: rateWindow * 1000)
            evidence[.relayIP(ipID)] = e
        }

        breakIns = [:]
        strongestSuccess.forEach { account, ip, s in
            let b = BreakIn(ip: ip, failedBefore: Int(s.failedBefore), at: LocalTime(milliseconds: s.at))
            if let kept = breakIns[account], !b.isStronger(than: kept, ipName: ips.string) { return }
            breakIns[account] = b
        }
        blocks = blockList.sorted { a, b in
            if a.at != b.at { return a.at < b.at }
            let (ia, ib) = (ips.string(a.ip), ips.string(b.ip))
            return ia != ib ? ia < ib : a.rule < b.rule
        }
    }

    /// How many distinct domains `account`'s authenticated messages went to, on every host.
    private func authenticatedDomains(of account: Int32) -> Int {
        if perHost.count == 1 { return perHost[0].mailboxDomains[account]?.authenticatedCount ?? 0 }
        var all = IDSet()
        for t in perHost {
            guard let ds = t.mailboxDomains[account] else { continue }
            for d in ds.all.elements where !ds.unauthenticatedOnly.contains(d) { all.insert(d) }
        }
        return all.count
    }

    /// Totals over every day read (after `finish()`).
    public var totals: TrafficCounts {
        var all = TrafficCounts()
        for c in days.values { all.add(c) }
        return all
    }
}

/// An unauthenticated message whose direction waits for the end (24 bytes): its host's local
/// domains decide (`HostTraffic.undecided`).
struct UndecidedMessage: Sendable {
    var time: Int64
    var clientIP: Int32
    /// Its recipient domains, as a set id of `MailLedger.domainSets`.
    var domains: Int32
    var sender: Int32
    var recipients: Int32
}

/// What depends on which domains one host serves, kept per host so that a domain one host
/// serves is not local on another: every domain's traffic and every mailbox's, local or not
/// (which are local is known at the end).
struct HostTraffic: Sendable {
    /// Counts by day and by hour.
    var calendar = DayHourCounts()
    /// Domains this host serves: named by `--local-domain`, an account's, or one a local
    /// delivery went to.
    var localDomains = IDSet()
    /// Traffic by domain id.
    var domains: [DomainTraffic] = []
    /// What each mailbox sent.
    var sent: [Int32: SentTraffic] = [:]
    /// Messages per recipient address id, and their bytes (flat arrays).
    var received: [Int32] = []
    var receivedBytes: [Int] = []
    /// The recipient domains each mailbox's messages reached.
    var mailboxDomains: [Int32: MailboxDomains] = [:]
    /// Unauthenticated messages whose recipients were not all known to be local when they
    /// arrived: inbound or relayed is decided at the end.
    var undecided: [UndecidedMessage] = []
}

/// Remote delivery attempts of one envelope sender, by outcome.
public struct DeliveryOutcomes: Sendable, Equatable {
    public var delivered = 0, deferred = 0, bounced = 0

    mutating func add(_ c: DeliveryClass) {
        switch c {
        case .delivered: delivered += 1
        case .deferred: deferred += 1
        case .bounced: bounced += 1
        }
    }

    mutating func add(_ o: DeliveryOutcomes) { delivered += o.delivered; deferred += o.deferred; bounced += o.bounced }
}
