/// The grand totals and per-hour counts of Exim's `eximstats` (Debian's exim4-base 4.96),
/// counted its way from the same lines, for the summary's "as eximstats counts them" section:
/// - received: `<=` lines; their `S=` bytes; "hosts": the distinct first words of `H=` (a host
///   name, or the client's HELO in parentheses, or `[ip]`), `local` for a local submission;
/// - delayed / failed: messages received in the log with at least one `==` / `**` line;
/// - delivered: `=>` lines (a message delivered to three hosts counts three times), addresses
///   `=>` and `->` lines, bytes the message's size per `=>` line, hosts as for received;
/// - rejects: lines without a delivery flag that say `rejected`, `refused` or `dropped`
///   (this includes a failed outgoing connection, `H=host [ip] Connection refused`), and
///   `=>` lines without `T=`; temporary when eximstats' patterns say so; "hosts" by the first
///   `[ip]` after `H=`.
///
/// Where spoolsweep's own figures differ, the summary says so in its notes.
struct EximstatsTotals {
    private struct Message { var size = 0; var delayed = false; var failed = false }
    private var messages = KeyTable<EximID, Message>()
    private var received = 0, receivedBytes = 0, delayed = 0, failed = 0
    private var delivered = 0, deliveredAddresses = 0, deliveredBytes = 0
    private var rejects = 0, temporaryRejects = 0
    private var sendingHosts = ByteInterner(foldCase: false), deliveryHosts = ByteInterner(foldCase: false)
    private var rejectingIPs = ByteInterner(foldCase: false), temporarilyRejectingIPs = ByteInterner(foldCase: false)
    private var hours = Array(repeating: [0, 0], count: 24)

    private static let local: StaticString = "local", hostField: StaticString = " H=", transport: StaticString = " T="

    mutating func read(_ e: EximEntry, line: UnsafeRawBufferPointer) {
        let h = e.time.hour
        let text = e.text
        let flag = text.count >= 2 ? (text[0], text[1]) : (0, 0)
        let isDeliveryFlag = e.id != nil && text.count >= 3 && text[2] == 0x20 && Self.isFlagByte(flag.0) && Self.isFlagByte(flag.1)
        if !isDeliveryFlag {
            if e.id == nil || !(text.count >= 2 && text.matches("SA")),
               line.index(of: "rejected") != nil || line.index(of: "refused") != nil || line.index(of: "dropped") != nil {
                reject(line)
            } else if let id = e.id, text.matches("Completed") {
                _ = messages.removeValue(forKey: EximID(id))
            }
            return
        }
        guard let id = e.id else { return }
        let key = EximID(id)
        switch flag {
        case (0x3C, 0x3D): // <=
            received += 1
            var size = 0
            // eximstats takes the first " S=digits" (a HELO could hold one: see the notes).
            if let s = text.index(of: " S="), let (v, end) = LogFields.messageSize(text, at: s + 3), end == text.count || text[end] == 0x20,
               let v { size = v }
            receivedBytes &+= size
            _ = sendingHosts.id(Self.host(text))
            hours[h][0] += 1
            messages[key] = Message(size: size)
        case (0x3D, 0x3E): // =>
            if text.index(of: Self.transport) == nil { reject(line) }
            let size = messages[key]?.size ?? 0
            delivered += 1
            deliveredAddresses += 1
            deliveredBytes &+= size
            _ = deliveryHosts.id(Self.host(text))
            hours[h][1] += 1
        case (0x2D, 0x3E): // ->
            deliveredAddresses += 1
        case (0x3D, 0x3D): // ==
            if messages[key]?.delayed == false { messages[key]!.delayed = true; delayed += 1 }
        case (0x2A, 0x2A): // **
            if messages[key]?.failed == false { messages[key]!.failed = true; failed += 1 }
        default:
            break
        }
    }

    private static func isFlagByte(_ b: UInt8) -> Bool { b == 0x3C || b == 0x3E || b == 0x3D || b == 0x2A || b == 0x2D }

    /// The first word after ` H=`, or `local`.
    private static func host(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let i = text.index(of: hostField) else {
            return local.withUTF8Buffer { UnsafeRawBufferPointer($0) }
        }
        return EximFields.token(text, at: i + 3)
    }

    private mutating func reject(_ line: UnsafeRawBufferPointer) {
        // The reject's IP: the first "[...]" after "H=" (and a blank), else "local".
        var ip = Self.local.withUTF8Buffer { UnsafeRawBufferPointer($0) }
        if let hAt = line.index(of: "H=") {
            var i = hAt + 2
            while i < line.count {
                if line[i] == 0x5B, i == hAt + 2 || line[i - 1] == 0x20, let close = line.index(of: 0x5D, from: i + 1) {
                    ip = line.slice(i..<(close + 1)); break
                }
                i += 1
            }
        } else if let r = line.index(of: "rejected EHLO from ") ?? line.index(of: "rejected HELO from "),
                  let open = line.index(of: 0x5B, from: r), let close = line.index(of: "]:", from: open) {
            ip = line.slice(open..<(close + 1))
        }
        if Self.isTemporary(line) {
            temporaryRejects += 1
            _ = temporarilyRejectingIPs.id(ip)
        } else {
            rejects += 1
            _ = rejectingIPs.id(ip)
        }
    }

    /// eximstats' tests for a temporary rejection, in its order.
    private static func isTemporary(_ line: UnsafeRawBufferPointer) -> Bool {
        if line.index(of: "SpamAssassin") != nil { return false }
        if let t = line.index(of: "temporarily rejected ") {
            // "temporarily rejected [A-Z]* .*?: "
            var i = t + 21
            while i < line.count, line[i] >= 0x41, line[i] <= 0x5A { i += 1 }
            if i < line.count, line[i] == 0x20, line.index(of: ": ", from: i + 1) != nil { return true }
        }
        if line.index(of: "temporarily refused connection") != nil { return true }
        if line.index(of: "listed at ") != nil || line.index(of: "Forged IP detected in HELO") != nil
            || line.index(of: "Invalid domain or IP given in HELO/EHLO") != nil || line.index(of: ": Connection refused") != nil { return false }
        if let c = line.index(of: "onnection from"), line.index(of: " refused", from: c) != nil,
           c > 0, line[c - 1] == 0x43 || line[c - 1] == 0x63 { return false }
        if let t = line.index(of: "temporarily rejected connection in "), line.index(of: "ACL", from: t) != nil { return true }
        return false
    }

    var serverTotals: ServerTotals {
        ServerTotals(
            title: "Exim totals (as eximstats counts them)",
            counts: [
                .init("received", received), .init("bytes received", receivedBytes), .init("sending hosts", sendingHosts.count),
                .init("delayed", delayed), .init("failed", failed),
                .init("delivered", delivered), .init("delivered addresses", deliveredAddresses),
                .init("bytes delivered", deliveredBytes), .init("delivery hosts", deliveryHosts.count),
                .init("rejects", rejects), .init("rejecting hosts", rejectingIPs.count),
                .init("temporary rejects", temporaryRejects), .init("temporarily rejecting hosts", temporarilyRejectingIPs.count),
            ],
            hourColumns: ["received", "delivered"], hours: hours,
            notes: [
                "delivered counts => lines (local ones included; one per host a message went to); spoolsweep's local deliveries and delivered count addresses",
                "rejects include failed outgoing connections (\"H=host [ip] Connection refused\" before a deferral): spoolsweep's rejected commands count only refusals of clients",
                "sending hosts are told apart by name or HELO, not by IP",
            ])
    }
}
