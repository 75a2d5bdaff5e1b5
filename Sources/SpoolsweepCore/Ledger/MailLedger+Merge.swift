extension MailLedger {
    /// Adds the facts of `later`, a ledger of the same range and window filled from the input
    /// that follows this one's (or from other hosts), exactly as if they had been taken here:
    /// its ids are mapped to this ledger's, distinct sets are united, counters added, rate
    /// windows joined, and its break-ins count this ledger's failures from the same IP first.
    /// Call `finish()` after the last merge. `later` is used up table by table, so that the two
    /// ledgers are not held whole at once.
    public mutating func merge(_ later: consuming MailLedger) {
        var later = later
        let address = (0..<later.addresses.count).map { i in later.addresses.withBytes(Int32(i)) { normalisedAddress($0) } }
        later.addresses = ByteInterner(foldCase: true)
        let domain = MailLedger.map(later.domains, into: &domains)
        let ip = MailLedger.map(later.ips, into: &ips)
        let outcome = MailLedger.map(later.outcomeNames, into: &outcomeNames)
        let proto = MailLedger.map(later.protocolNames, into: &protocolNames)
        let domainSet = (0..<later.domainSets.count).map { i in
            var ids = later.domainSets.withBytes(Int32(i)) { set in
                set.withMemoryRebound(to: Int32.self) { $0.map { domain[Int($0)] } }
            }
            ids.sort()
            return ids.withUnsafeBytes { domainSets.id($0) }
        }

        for d in later.namedLocal.elements { namedLocal.insert(domain[Int(d)]) }
        // Each of its hosts' traffic into this ledger's host of the same name.
        let host = MailLedger.map(later.hosts, into: &hosts)
        while perHost.count < hosts.count { perHost.append(HostTraffic(localDomains: namedLocal)) }
        for (lh, t) in later.perHost.enumerated() {
            let h = Int(host[lh])
            perHost[h].calendar.add(t.calendar)
            for d in t.localDomains.elements { perHost[h].localDomains.insert(domain[Int(d)]) }
            for (d, traffic) in t.domains.enumerated() where traffic != DomainTraffic() {
                let mapped = Int(domain[d])
                MailLedger.grow(&perHost[h].domains, toHold: mapped, DomainTraffic())
                perHost[h].domains[mapped].add(traffic)
            }
            for (m, s) in t.sent { perHost[h].sent[address[Int(m)], default: SentTraffic()].add(s) }
            for (i, n) in t.received.enumerated() where n > 0 {
                MailLedger.add(&perHost[h].received, address[i], n)
                MailLedger.add(&perHost[h].receivedBytes, address[i], t.receivedBytes[i])
            }
            for (m, ds) in t.mailboxDomains { perHost[h].mailboxDomains[address[Int(m)], default: MailboxDomains()].add(ds, domain: domain) }
            perHost[h].undecided.reserveCapacity(perHost[h].undecided.count + t.undecided.count)
            for var m in t.undecided {
                m.clientIP = ip[Int(m.clientIP)]
                m.domains = domainSet[Int(m.domains)]
                m.sender = address[Int(m.sender)]
                perHost[h].undecided.append(m)
            }
        }
        later.perHost = []
        // Facts after the merge are the later part's host's.
        self.host = host[Int(later.host)]
        for (k, n) in later.outcomeCounts { outcomeCounts[outcome[Int(k)], default: 0] += n }
        for (k, n) in later.failedLoginCounts { failedLoginCounts[proto[Int(k)], default: 0] += n }
        for (i, n) in later.envelopeSenderCounts.enumerated() where n > 0 {
            MailLedger.add(&envelopeSenderCounts, address[i], n)
        }
        later.envelopeSenderCounts = []
        for (a, e) in later.accountEvidence {
            accountEvidence[address[Int(a)], default: SenderEvidence()].add(e, address: { address[Int($0)] }, host: { host[Int($0)] })
        }
        for (s, o) in later.outcomesBySender { outcomesBySender[address[Int(s)], default: DeliveryOutcomes()].add(o) }
        // The later part's successes come after every failure counted here.
        for f in later.firstSuccesses {
            let (account, ipID) = (address[Int(f.account)], ip[Int(f.ip)])
            // Its first success from an IP that failed here: a break-in of those failures.
            let before = Int32(clamping: logins[ipID]?.failures ?? 0)
            if before > 0 { noteSuccess(account, ipID, Success(failedBefore: before, at: f.at)) }
            if loginIPs[account, default: IDSet()].insert(ipID) {
                firstSuccesses.append(FirstSuccess(account: account, ip: ipID, at: f.at))
            }
        }
        later.firstSuccesses = []
        later.strongestSuccess.forEach { a, i, s in
            let (account, ipID) = (address[Int(a)], ip[Int(i)])
            noteSuccess(account, ipID, Success(failedBefore: s.failedBefore &+ Int32(clamping: logins[ipID]?.failures ?? 0), at: s.at))
        }
        for (i, l) in later.logins { logins[ip[Int(i)], default: LoginFacts()].add(l) }
        keepsDetails = keepsDetails || later.keepsDetails
        details.add(later.details, address: address, domain: domain, ip: ip)
        later.details = MailDetails()
        blockList += later.blockList.map { SecurityBlock(at: $0.at, ip: ip[Int($0.ip)], rule: $0.rule) }
        if serverTotals == nil { serverTotals = later.serverTotals }
        if later.firstFact < firstFact { firstFact = later.firstFact }
        if later.lastFact > lastFact { lastFact = later.lastFact }
        if later.firstRead < firstRead { firstRead = later.firstRead }
        if later.lastRead > lastRead { lastRead = later.lastRead }
    }

    /// The id in `target` of each id of `source`.
    static func map(_ source: ByteInterner, into target: inout ByteInterner) -> [Int32] {
        (0..<source.count).map { i in source.withBytes(Int32(i)) { target.id($0) } }
    }
}
