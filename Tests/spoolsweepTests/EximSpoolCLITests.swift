import Foundation
import Testing

/// The Exim corpus spool (fixtures/exim, real Exim 4.96): every `spool list` filter against the
/// answer key of its GROUND_TRUTH.md, read from the files (no exim needed).
@Suite struct EximSpoolCLITests {
    static let now = ["--now", "2026-11-29T04:00:00"]
    static let spool = CLI.root.appendingPathComponent("fixtures/exim/spool/exim4").path

    /// `spool list --count` with `filter`.
    func count(_ filter: [String]) throws -> String {
        let r = try CLI.run(["spool", "list", "--count"] + filter + Self.now + [Self.spool])
        #expect(r.stderr == "", "\(filter)")
        return r.stdout
    }

    static let cases: [([String], Int)] = [
        ([], 235),
        (["--frozen"], 11),
        (["--state", "queued"], 224),
        (["--state", "Queued,frozen"], 235),
        (["--subject", "^Invoice overdue - payment details updated$"], 180),
        (["--subject", "^Invoice overdue", "--frozen"], 6),
        (["--body", "pay-portal\\.invoice-update\\.test"], 180),
        (["--subject", "^Invoice overdue", "--body", "pay-portal\\.invoice-update\\.test"], 180),
        (["--body", "voucher-free\\.promo-gift\\.test"], 35),
        (["--subject", "voucher", "-i"], 35),
        (["--auth", "^sam@acme-corp\\.test$"], 182),
        (["--sender", "^sam@acme-corp\\.test$"], 131),
        (["--sender", "^billing@acme-corp\\.test$"], 51),
        (["--sender", "^shop@widgets-store\\.test$"], 40),
        (["--ip", "^127\\.0\\.0\\.90$"], 40),
        (["--ip", "^127\\.0\\.0\\.90$", "--auth", "^$"], 37),
        (["--header", "X-Mailer: ^PHPMailer"], 40), // the shop's legitimate mail too
        (["--header", "X-PHP-Originating-Script: newsletter-signup\\.php$"], 35),
        (["--header", "Reply-To: ar-desk@invoice-update\\.test"], 180),
        (["--recipient", "@retailhub\\.test$"], 9),
        (["--min-size", "500k"], 1),
        (["--max-size", "600"], 2),
        (["--older-than", "35m"], 3),
        (["--younger-than", "31m"], 50),
    ]

    @Test(arguments: 0..<cases.count)
    func filtersMatchTheAnswerKey(_ index: Int) throws {
        let (filter, expected) = Self.cases[index]
        #expect(try count(filter) == "\(expected)\n", "\(filter)")
    }
}
