import Testing
@testable import SpoolsweepCore

@Suite struct MailLedgerTests {
    /// A mailbox's recipient domains count every message it sent; its account's (a suspect's
    /// figure) only the authenticated ones. Both come from one set, and stay exact as a domain
    /// first reached unauthenticated is later reached authenticated.
    @Test func accountDomainsCountOnlyAuthenticatedMessages() {
        var ledger = MailLedger()
        var text = "192.0.2.7"
        let ip = text.withUTF8 { ledger.ip(UnsafeRawBufferPointer($0)) }
        let joe = ledger.address("joe@example.com")
        func send(_ authenticated: Bool, to recipients: [String], at second: Int64) {
            ledger.message(at: LocalTime(seconds: 1_800_000_000 + second), clientIP: ip, account: authenticated ? joe : nil,
                           sender: joe, recipients: recipients.map { ledger.address($0) }, size: 100)
        }
        func figures() -> (mailbox: Int, account: Int) {
            (ledger.mailboxes[joe]!.recipientDomains.count, ledger.evidence[.account(joe)]!.recipientDomains)
        }
        send(true, to: ["a@x.test", "b@x.test"], at: 0)
        #expect(figures() == (1, 1))
        send(false, to: ["c@y.test", "d@z.test"], at: 1)
        #expect(figures() == (3, 1))
        send(true, to: ["e@y.test"], at: 2)
        #expect(figures() == (3, 2))
        send(true, to: ["f@y.test", "g@w.test"], at: 3)
        #expect(figures() == (4, 3))
        send(false, to: ["h@v.test", "i@w.test"], at: 4)
        #expect(figures() == (5, 3))
        #expect(ledger.mailboxes[joe]!.authenticatedDomains == 3)
    }
}
