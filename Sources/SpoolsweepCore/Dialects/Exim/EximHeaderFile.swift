/// One Exim `-H` spool file (`input/<split>/<id>-H`), read as bytes (Exim's specification,
/// "Format of spool files"):
///
///     1xXVaT-0007iM-0L-H            the id and -H
///     Debian-exim 105 109           login, uid, gid of the submitter
///     <sam@acme-corp.test>          envelope sender (<> for a bounce)
///     1795922905 0                  received (Unix time), warning messages sent
///     -name value / --name value    options (-- marks a tainted value); -aclc/-aclm NAME LEN
///                                   have their value on the following LEN bytes
///     XX | YN address ...           the tree of addresses already delivered (non-recipients)
///     2                             recipient count, then one recipient a line
///     postmaster@acme-corp.test
///     ops@pagerline.test
///                                   an empty line
///     163P Received: from ...       headers: a length (bytes, newline included; folded lines
///     035* To: postmaster, ...      too), a flag (space, B C F I P R S T; * = deleted), a space
///
/// Every number is range-checked and every length checked against the file: a damaged file is
/// a problem string, never a trap.
enum EximHeaderFile {
    /// What the parse found besides the message's fields.
    struct Layout {
        /// Where the first header line starts.
        var headersStart = 0
        /// Bytes of the headers that are part of the message (the deleted ones left out).
        var headerBytes = 0
        /// `-spool_file_wireformat`: the `-D` file has CRLF line ends.
        var wireFormat = false
        var frozen = false
    }

    static let truncated = "truncated -H file"

    /// A line of `bytes` from `pos`: its range without the newline, and where the next starts.
    private static func line(_ bytes: UnsafeRawBufferPointer, _ pos: Int) -> (Range<Int>, next: Int)? {
        guard pos < bytes.count, let lf = bytes.index(of: 0x0A, from: pos) else { return nil }
        return (pos..<lf, lf + 1)
    }

    /// Parses the whole file into `message` (the walker has set id, queue and paths): sender,
    /// recipients still pending, arrival, every option as a field, the state, and the header
    /// bytes. Returns the layout, or why the file is damaged (what was read before stays in
    /// `message`).
    static func parse(_ bytes: UnsafeRawBufferPointer, id: String, into message: inout QueuedMessage) -> Result<Layout, Problem> {
        var layout = Layout()
        var pos = 0
        func next(_ what: String) throws(Problem) -> UnsafeRawBufferPointer {
            guard let (r, n) = line(bytes, pos) else { throw Problem(pos >= bytes.count ? truncated : "\(what): no line end") }
            pos = n
            return bytes.slice(r)
        }
        do throws(Problem) {
            // 1: <id>-H
            let first = try next("id line")
            guard first.count > 2, first.matches("-H", at: first.count - 2) else { throw Problem("not an Exim -H file (first line)") }
            let written = first.slice(0..<(first.count - 2))
            guard written.elementsEqual(id.utf8) else { throw Problem("names message \(written.printable), not \(id)") }
            // 2: login uid gid
            let who = try next("login line")
            let parts = who.split(separator: 0x20, omittingEmptySubsequences: true)
            guard parts.count == 3, let uid = UnsafeRawBufferPointer(rebasing: parts[1]).decimalValue, uid <= UInt32.max,
                  let gid = UnsafeRawBufferPointer(rebasing: parts[2]).decimalValue, gid <= UInt32.max else {
                throw Problem("bad login/uid/gid line")
            }
            message.fields.append(EnvelopeField(key: "login", value: UnsafeRawBufferPointer(rebasing: parts[0]).printable))
            message.fields.append(EnvelopeField(key: "uid", value: String(uid)))
            message.fields.append(EnvelopeField(key: "gid", value: String(gid)))
            // 3: <sender>
            let sender = try next("sender line")
            guard sender.count >= 2, sender[0] == 0x3C, sender[sender.count - 1] == 0x3E else { throw Problem("bad sender line (not <address>)") }
            message.sender = sender.slice(1..<(sender.count - 1)).printable
            // 4: received time and warning count
            let times = try next("time line")
            let t = times.split(separator: 0x20, omittingEmptySubsequences: true)
            guard t.count == 2, let received = UnsafeRawBufferPointer(rebasing: t[0]).decimalValue, received <= Int(Int32.max) * 4,
                  let warnings = UnsafeRawBufferPointer(rebasing: t[1]).decimalValue else {
                throw Problem("bad received-time line")
            }
            message.created = LocalTime(unixTime: received)
            message.fields.append(EnvelopeField(key: "received", value: String(received)))
            message.fields.append(EnvelopeField(key: "warning_count", value: String(warnings)))
            // Options, until the first line that does not start with '-'.
            while pos < bytes.count, bytes[pos] == 0x2D {
                let option = try next("option")
                try readOption(option, bytes, &pos, &message, &layout)
            }
            // The non-recipients tree: XX, or nodes `LR address` (L/R: Y when a left/right
            // subtree follows), in preorder. Counted, not recursed.
            var done = Set<String>()
            var nodes = 1
            while nodes > 0 {
                let node = try next("non-recipients tree")
                nodes -= 1
                guard node.count >= 2, isYN(node[0]), isYN(node[1]) else { throw Problem("bad non-recipients tree line") }
                if node[0] == 0x58 && node[1] == 0x58 && node.count == 2 && done.isEmpty { break } // XX: empty
                guard node[0] != 0x58, node[1] != 0x58, node.count > 3, node[2] == 0x20 else { throw Problem("bad non-recipients tree line") }
                done.insert(node.dropFirst(3).printable)
                if node[0] == 0x59 { nodes += 1 }
                if node[1] == 0x59 { nodes += 1 }
                guard nodes <= bytes.count - pos else { throw Problem("bad non-recipients tree (more nodes than lines)") }
            }
            // Recipients: a count, then one a line.
            guard let count = try next("recipient count").decimalValue, count <= bytes.count - pos else {
                throw Problem("bad recipient count")
            }
            for _ in 0..<count {
                guard let address = recipient(try next("recipient")) else { throw Problem("bad recipient line") }
                let text = address.printable
                if !done.contains(text) { message.recipients.append(text) }
            }
            // An empty line, then the headers.
            guard try next("blank line").isEmpty else { throw Problem("no empty line after the recipients") }
            layout.headersStart = pos
            layout.headerBytes = try forEachHeader(bytes, from: pos) { _, _ in }
        } catch {
            return .failure(error)
        }
        message.state = layout.frozen ? "frozen" : "queued"
        return .success(layout)
    }

    struct Problem: Error { let reason: String; init(_ r: String) { reason = r } }

    private static func isYN(_ b: UInt8) -> Bool { b == 0x59 || b == 0x4E || b == 0x58 }

    /// One option line (`-name [value]`, `--name [value]` for a tainted value).
    private static func readOption(
        _ option: UnsafeRawBufferPointer, _ bytes: UnsafeRawBufferPointer, _ pos: inout Int,
        _ message: inout QueuedMessage, _ layout: inout Layout
    ) throws(Problem) {
        let tainted = option.count > 1 && option[1] == 0x2D
        let body = option.dropFirst(tainted ? 2 : 1)
        let space = body.index(of: 0x20) ?? body.count
        let name = body.slice(0..<space).printable
        var value = space < body.count ? body.dropFirst(space + 1) : UnsafeRawBufferPointer(start: nil, count: 0)
        guard !name.isEmpty else { throw Problem("empty option name") }
        if name == "aclc" || name == "aclm" || name == "acl" {
            // `-aclc NAME LEN`: the value is the next LEN bytes, then a newline.
            let words = value.split(separator: 0x20, omittingEmptySubsequences: true)
            guard words.count == 2, let length = UnsafeRawBufferPointer(rebasing: words[1]).decimalValue,
                  length <= bytes.count - pos else {
                throw Problem("bad -\(name) line (NAME LEN, value of LEN bytes)")
            }
            let variable = UnsafeRawBufferPointer(rebasing: words[0]).printable
            let text = bytes.slice(pos..<(pos + length)).printable
            pos += length
            if pos < bytes.count, bytes[pos] == 0x0A { pos += 1 }
            message.fields.append(EnvelopeField(key: "\(name) \(variable)", value: text))
            return
        }
        message.fields.append(EnvelopeField(key: name, value: value.printable))
        switch name {
        case "frozen":
            guard value.decimalValue != nil else { throw Problem("bad -frozen time") }
            layout.frozen = true
        case "auth_id":
            message.account = value.printable
        case "host_address":
            guard let ip = hostAddress(value) else { throw Problem("bad -host_address") }
            message.clientIP = ip
        case "helo_name":
            message.helo = value.printable
        case "spool_file_wireformat":
            layout.wireFormat = true
        case "body_linecount", "body_zerocount", "max_received_linelength":
            guard value.decimalValue != nil else { throw Problem("bad -\(name) number") }
        case "spam_score_int":
            if value.count > 0, value[0] == 0x2D { value = value.dropFirst(1) }
            guard value.decimalValue != nil else { throw Problem("bad -spam_score_int number") }
        default:
            break // kept as a field
        }
    }

    /// `-host_address`: `[ip]:port` (Exim 4.9x) or `ip.port` (older; the port after the last dot).
    static func hostAddress(_ value: UnsafeRawBufferPointer) -> String? {
        guard value.count > 0 else { return nil }
        if value[0] == 0x5B {
            guard let close = value.index(of: 0x5D), close > 1 else { return nil }
            let rest = value.dropFirst(close + 1)
            if rest.count > 0 {
                guard rest[0] == 0x3A, rest.dropFirst(1).decimalValue.map({ $0 <= 65535 }) == true else { return nil }
            }
            return value.slice(1..<close).printable
        }
        guard let dot = value.lastIndex(of: 0x2E), dot > 0,
              value.dropFirst(dot + 1).decimalValue.map({ $0 <= 65535 }) == true else { return nil }
        return value.slice(0..<dot).printable
    }

    /// The address of a recipient line: the line itself, or (a DSN or errors-to suffix ending in
    /// `#1`, `#2` or `#3`) what is left once its length-counted parts are taken off the end.
    static func recipient(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard !line.isEmpty else { return nil }
        let n = line.count
        guard n >= 3, line[n - 2] == 0x23, let kind = line.slice((n - 1)..<n).decimalValue, (1...3).contains(kind) else { return line }
        var end = n - 2
        // Each part: ` text len,number` with `len` bytes of text; #3 has two (orcpt, errors_to).
        for _ in 0..<(kind == 3 ? 2 : 1) {
            guard let space = line.slice(0..<end).lastIndex(of: 0x20) else { return nil }
            let pair = line.slice((space + 1)..<end)
            guard let comma = pair.index(of: 0x2C), let length = pair.slice(0..<comma).decimalValue else { return nil }
            let rest = pair.dropFirst(comma + 1)
            guard rest.decimalValue != nil || (rest.count > 1 && rest[0] == 0x2D && rest.dropFirst(1).decimalValue != nil) else { return nil }
            // ` <text of length>` before the pair.
            guard space >= length + 1, line[space - length - 1] == 0x20 else { return nil }
            end = space - length - 1
        }
        return end > 0 ? line.slice(0..<end) : nil
    }

    /// Calls `visit(flag, text)` for every header from `start` to the end (text with its
    /// newline); returns the bytes of the headers that are not deleted (`*`).
    static func forEachHeader(
        _ bytes: UnsafeRawBufferPointer, from start: Int, _ visit: (UInt8, UnsafeRawBufferPointer) -> Void
    ) throws(Problem) -> Int {
        var pos = start, total = 0
        while pos < bytes.count {
            guard let (length, end) = bytes.decimal(at: pos), end - pos >= 3, end + 2 <= bytes.count,
                  bytes[end + 1] == 0x20, length >= 1, length <= bytes.count - end - 2 else {
                throw Problem("bad header length at byte \(pos)")
            }
            let flag = bytes[end]
            let text = bytes.slice((end + 2)..<(end + 2 + length))
            if flag != 0x2A { total += length }
            visit(flag, text)
            pos = end + 2 + length
        }
        return total
    }

    /// The message's header block as it is sent: the headers that are not deleted, in order,
    /// without their length and flag (CRLF line ends when `crlf`), then the empty line.
    static func headerBlock(_ bytes: UnsafeRawBufferPointer, from start: Int, crlf: Bool, into out: inout [UInt8]) throws(Problem) {
        _ = try forEachHeader(bytes, from: start) { flag, text in
            guard flag != 0x2A else { return }
            guard crlf else { out.append(contentsOf: text); return }
            var from = 0
            while let lf = text.index(of: 0x0A, from: from) {
                out.append(contentsOf: text.slice(from..<lf))
                if lf == from || text[lf - 1] != 0x0D { out.append(0x0D) }
                out.append(0x0A)
                from = lf + 1
            }
            out.append(contentsOf: text.dropFirst(from))
        }
        if crlf { out.append(0x0D) }
        out.append(0x0A)
    }
}
