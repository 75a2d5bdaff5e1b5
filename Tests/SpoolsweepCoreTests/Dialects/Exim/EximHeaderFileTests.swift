import Foundation
import Glibc
import Testing
@testable import SpoolsweepCore

/// Parses `text` as the -H of message `id`.
private func parse(_ text: String, id: String = "1qDO9M-0003B3-2p") -> (message: QueuedMessage, layout: EximHeaderFile.Layout?, problem: String?) {
    parse(Array(text.utf8), id: id)
}

private func parse(_ bytes: [UInt8], id: String = "1qDO9M-0003B3-2p") -> (message: QueuedMessage, layout: EximHeaderFile.Layout?, problem: String?) {
    var m = QueuedMessage(id: id, queue: "", state: "")
    let result = bytes.withUnsafeBytes { EximHeaderFile.parse($0, id: id, into: &m) }
    switch result {
    case .success(let l): return (m, l, nil)
    case .failure(let p): return (m, nil, p.reason)
    }
}

private func block(_ text: String, crlf: Bool = false) throws -> String {
    var out: [UInt8] = []
    let bytes = Array(text.utf8)
    let layout = try #require(parse(bytes).layout)
    try bytes.withUnsafeBytes { try EximHeaderFile.headerBlock($0, from: layout.headersStart, crlf: crlf, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

/// The spec's sample, with a deleted header and a folded one added.
private let sample = """
    1qDO9M-0003B3-2p-H
    nobody 9999 9999
    <nobody@test.ex>
    1687693404 0
    -received_protocol local
    -body_linecount 1
    XX
    1
    nulldeliver@test.ex

    014  Subject: test
    047I Message-Id: <E1qDO9M-0003B3-2p@xxxxxxxtest.ex>
    006* To: x
    026T To: a@test.ex,
    \tb@test.ex

    """

@Suite struct EximHeaderFileTests {
    @Test func theSpecificationsSample() throws {
        let (m, layout, problem) = parse(sample)
        #expect(problem == nil)
        #expect(m.sender == "nobody@test.ex")
        #expect(m.recipients == ["nulldeliver@test.ex"])
        #expect(m.created == LocalTime(unixTime: 1687693404))
        #expect(m.state == "queued")
        #expect(m.account == nil && m.clientIP == nil)
        #expect(m.fields.map(\.key) == ["login", "uid", "gid", "received", "warning_count", "received_protocol", "body_linecount"])
        #expect(m.fields[5].value == "local")
        // 14 + 47 + 26: the deleted To: is not part of the message.
        #expect(layout?.headerBytes == 87)
        #expect(try block(sample) == "Subject: test\nMessage-Id: <E1qDO9M-0003B3-2p@xxxxxxxtest.ex>\nTo: a@test.ex,\n\tb@test.ex\n\n")
        #expect(try block(sample, crlf: true) == "Subject: test\r\nMessage-Id: <E1qDO9M-0003B3-2p@xxxxxxxtest.ex>\r\nTo: a@test.ex,\r\n\tb@test.ex\r\n\r\n")
    }

    @Test func optionsTaintedAclsFrozenAuthAndHosts() throws {
        let acl = "line one\nline two"
        let text = """
            1qDO9M-0003B3-2p-H
            Debian-exim 105 109
            <>
            1795922920 2
            -received_time_usec .075599
            --helo_name WIN-Q4D1R8K2M3N
            -host_address [127.0.0.45]:50269
            -host_name mail.example.test
            --auth_id sam@acme-corp.test
            -auth_sender sam@acme-corp.test
            -aclm 0 \(acl.utf8.count)
            \(acl)
            -aclc _spam 3
            a-b
            -spam_score_int -12
            -frozen 1795923014
            -spool_file_wireformat
            -some_future_option with words
            -manual_thaw
            XX
            0


            """
        let (m, layout, problem) = parse(text)
        #expect(problem == nil)
        #expect(m.sender == "")
        #expect(m.state == "frozen")
        #expect(m.account == "sam@acme-corp.test")
        #expect(m.clientIP == "127.0.0.45")
        #expect(m.helo == "WIN-Q4D1R8K2M3N")
        #expect(m.recipients == [])
        #expect(layout?.wireFormat == true && layout?.frozen == true && layout?.headerBytes == 0)
        let fields = Dictionary(m.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(fields["aclm 0"] == acl)
        #expect(fields["aclc _spam"] == "a-b")
        #expect(fields["warning_count"] == "2")
        #expect(fields["some_future_option"] == "with words")
        #expect(fields["manual_thaw"] == "")
        #expect(fields["host_name"] == "mail.example.test")
        #expect(fields["auth_sender"] == "sam@acme-corp.test")
    }

    @Test func hostAddressForms() {
        func ip(_ s: String) -> String? { Array(s.utf8).withUnsafeBytes { EximHeaderFile.hostAddress($0) } }
        #expect(ip("[127.0.0.45]:48759") == "127.0.0.45")
        #expect(ip("[2001:db8::1]:25") == "2001:db8::1")
        #expect(ip("[10.0.0.1]") == "10.0.0.1")
        #expect(ip("192.168.1.3.44810") == "192.168.1.3")
        #expect(ip("::1.25") == "::1")
        #expect(ip("[10.0.0.1]:99999") == nil)
        #expect(ip("10.0.0.1.port") == nil)
        #expect(ip("") == nil)
    }

    /// The non-recipients tree: delivered addresses are not pending.
    @Test func deliveredAddressesAreNotPending() {
        let text = """
            1xXVYT-0007W4-0O-H
            root 0 0
            <monitor@acme-corp.test>
            1795922781 0
            -ident root
            YY postmaster@acme-corp.test
            NN olivia@acme-corp.test
            NN root@acme-corp.test
            3
            postmaster@acme-corp.test
            ops@pagerline.test
            olivia@acme-corp.test


            """
        let (m, _, problem) = parse(text, id: "1xXVYT-0007W4-0O")
        #expect(problem == nil)
        #expect(m.recipients == ["ops@pagerline.test"])
    }

    /// DSN and errors-to suffixes (`#1`, `#3`) are taken off the address by their lengths.
    @Test func recipientSuffixes() {
        func address(_ s: String) -> String? { Array(s.utf8).withUnsafeBytes { EximHeaderFile.recipient($0)?.printable } }
        #expect(address("a@b.test") == "a@b.test")
        #expect(address("a@b.test err@x.test 10,-1#1") == "a@b.test")
        #expect(address("a@b.test rfc822;a@b.test 15,6  0,-1#3") == "a@b.test")
        #expect(address("a@b.test x 5,-1#1") == nil)
        #expect(address("") == nil)
        #expect(address("x#1") == nil)
    }

    @Test func damagedFilesAreProblemsNotTraps() throws {
        let good = sample
        func problem(_ from: String, _ to: String) -> String? {
            #expect(good.contains(from))
            return parse(good.replacingOccurrences(of: from, with: to)).problem
        }
        #expect(parse("").problem == "truncated -H file")
        #expect(parse(good, id: "1qDO9M-0003B3-2q").problem == "names message 1qDO9M-0003B3-2p, not 1qDO9M-0003B3-2q")
        #expect(problem("-H\n", "-X\n") == "not an Exim -H file (first line)")
        #expect(problem("nobody 9999 9999", "nobody 99999999999 9999") == "bad login/uid/gid line")
        #expect(problem("nobody 9999 9999", "nobody 9999") == "bad login/uid/gid line")
        #expect(problem("<nobody@test.ex>", "nobody@test.ex") == "bad sender line (not <address>)")
        #expect(problem("1687693404 0", "1687693404") == "bad received-time line")
        #expect(problem("1687693404 0", "99999999999999999999 0") == "bad received-time line")
        #expect(problem("-body_linecount 1", "-body_linecount x") == "bad -body_linecount number")
        #expect(problem("-body_linecount 1", "-aclc x 999999") == "bad -aclc line (NAME LEN, value of LEN bytes)")
        #expect(problem("XX\n1\n", "XY a\n1\n") == "bad non-recipients tree line")
        #expect(problem("XX\n1\n", "YY a\n1\n") == "bad non-recipients tree line")
        #expect(problem("XX\n1\n", "XX\n99999999999999999999\n") == "bad recipient count")
        #expect(problem("XX\n1\n", "XX\n5\n") == "bad recipient line")
        #expect(problem("014  Subject", "999  Subject") == "bad header length at byte 135")
        #expect(problem("014  Subject", "14  Subject") == "bad header length at byte 135")
        #expect(problem("014  Subject", "014XSubject") == "bad header length at byte 135")
    }

    @Test func randomBytesNeverCrashOrHang() {
        var rng = SplitMix(seed: 7)
        let sound = Array(sample.utf8)
        for _ in 0..<3000 {
            var bytes = sound
            for _ in 0...(rng.next() % 6) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            let (_, layout, _) = parse(bytes)
            if let layout {
                var out: [UInt8] = []
                _ = try? bytes.withUnsafeBytes { try EximHeaderFile.headerBlock($0, from: layout.headersStart, crlf: true, into: &out) }
            }
        }
    }
}
