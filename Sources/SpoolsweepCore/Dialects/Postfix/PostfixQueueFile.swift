import Glibc

/// One Postfix queue file (`deferred/8/8377DA1094`, `hold/4jcXTb0VD8z7lvy`...), read as bytes.
///
/// A queue file is a sequence of records: one type byte, the data length in 7-bit groups (least
/// significant first, high bit set when another group follows, at most 4 groups), then the data.
/// The envelope comes first (`C` sizes, `T` arrival time, `S` sender, `A` attributes, `R`/`D`/`O`
/// recipients), then the content between `M` and `X` (`N` lines, `L` pieces of long lines), then
/// records extracted from the headers (more recipients, for `sendmail -t`), then `E`.
/// `p` records splice in records written later (a 15-digit offset; 0 is a placeholder) and `w`
/// records are padding. Reading follows pointers with a loop guard and never trusts a length.
enum PostfixQueueFile {
    static let truncated = "truncated queue file"
    static let notQueueFile = "not a Postfix queue file"
    static let pointerLoop = "pointer loop"

    // Record types (Postfix rec_type.h).
    static let size: UInt8 = 0x43      // C
    static let time: UInt8 = 0x54      // T
    static let sender: UInt8 = 0x53    // S
    static let recipient: UInt8 = 0x52 // R
    static let attribute: UInt8 = 0x41 // A
    static let message: UInt8 = 0x4D   // M
    static let line: UInt8 = 0x4E      // N
    static let piece: UInt8 = 0x4C     // L (in the content; in the envelope: content filter)
    static let extracted: UInt8 = 0x58 // X
    static let end: UInt8 = 0x45       // E
    static let pointer: UInt8 = 0x70   // p
    static let padding: UInt8 = 0x77   // w

    /// Reads the envelope of a queue file into `message`: sender, pending recipients (`R`; done
    /// `D` and cancelled ones are left out), arrival time, content size (first number of the `C`
    /// record, what `postqueue -j` calls `message_size`; the rebuilt content's length when there
    /// is no `C` record, as in a maildrop file) and every `A` attribute, in file order.
    ///
    /// Returns nil for a sound file, or why it is damaged. What was read before the damage is
    /// left in `message`.
    static func parse(_ bytes: UnsafeRawBufferPointer, into message: inout QueuedMessage) -> String? {
        guard !bytes.isEmpty else { return truncated }
        // cleanup starts every queue file with `C`; postdrop's maildrop files start with `T`.
        guard bytes[0] == size || bytes[0] == time else { return notQueueFile }
        var records = Records(bytes)
        var first = true
        var inContent = false
        var sawSize = false
        var contentSize = 0
        while let r = records.next() {
            let data = bytes.slice(r.data)
            if first {
                first = false
                guard leadingNumber(data) != nil else { return notQueueFile }
            }
            if inContent {
                switch r.type {
                case line: contentSize += data.count + 1
                case piece: contentSize += data.count
                case extracted: inContent = false
                default: break
                }
                continue
            }
            switch r.type {
            case size:
                if !sawSize, let n = leadingNumber(data) {
                    sawSize = true
                    message.size = n
                }
            case time:
                if let n = leadingNumber(data) { message.created = LocalTime(unixTime: n) }
            case sender:
                message.sender = data.printable
            case recipient:
                message.recipients.append(data.printable)
            case attribute:
                addAttribute(data, to: &message)
            case PostfixQueueFile.message:
                inContent = true
            default:
                break
            }
        }
        if let problem = records.problem { return problem }
        if !sawSize { message.size = contentSize }
        return nil
    }

    /// The RFC 5322 message (headers and body) rebuilt from the content records: each `N` record
    /// is a line (a LF is added), each `L` record a piece of a long line (nothing added). A
    /// damaged file gives what could be read.
    static func content(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        guard !bytes.isEmpty, bytes[0] == size || bytes[0] == time else { return out }
        var records = Records(bytes)
        var inContent = false
        while let r = records.next() {
            if !inContent {
                if r.type == message {
                    inContent = true
                    out.reserveCapacity(bytes.count)
                }
                continue
            }
            switch r.type {
            case line:
                out.append(contentsOf: bytes.slice(r.data))
                out.append(0x0A)
            case piece:
                out.append(contentsOf: bytes.slice(r.data))
            case extracted:
                return out
            default:
                break
            }
        }
        return out
    }

    /// `name=value` of an `A` record: kept as a field, and the ones spoolsweep knows copied to
    /// the message.
    private static func addAttribute(_ data: UnsafeRawBufferPointer, to message: inout QueuedMessage) {
        let eq = data.index(of: 0x3D) ?? data.count
        let key = data.slice(0..<eq).printable
        let value = eq < data.count ? data.dropFirst(eq + 1).printable : ""
        message.fields.append(EnvelopeField(key: key, value: value))
        guard !value.isEmpty else { return }
        switch key {
        case "sasl_username":
            message.account = value
        case "client_address":
            message.clientIP = value
        case "log_client_address":
            if message.clientIP == nil { message.clientIP = value }
        case "log_helo_name", "helo_name":
            if message.helo == nil { message.helo = value }
        default:
            break
        }
    }

    /// The decimal number at the start of `data`, after blanks (`C` records pad with spaces).
    static func leadingNumber(_ data: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        while i < data.count, data[i] == 0x20 { i += 1 }
        return data.decimal(at: i)?.value
    }

    /// One record: its type, where its data lies, and where it starts (its type byte).
    struct Record {
        let type: UInt8
        let data: Range<Int>
        let offset: Int
    }

    /// The records of a queue file in reading order: pointers followed, padding skipped, stops
    /// after `E`. `problem` says why it stopped early.
    struct Records {
        let bytes: UnsafeRawBufferPointer
        private var position = 0
        private(set) var problem: String?
        private var ended = false
        /// Offsets of the pointer records already followed: following one twice is a loop.
        private var followed: Set<Int> = []
        /// Bytes walked so far; a sound file is walked about once.
        private var walked = 0
        private let budget: Int

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
            budget = 2 * bytes.count + 4096
        }

        mutating func next() -> Record? {
            while problem == nil && !ended {
                guard position < bytes.count else {
                    problem = PostfixQueueFile.truncated
                    return nil
                }
                let start = position
                let type = bytes[start]
                var i = start + 1
                var length = 0
                var shift = 0
                while true {
                    guard i < bytes.count else {
                        problem = PostfixQueueFile.truncated
                        return nil
                    }
                    let b = bytes[i]
                    i += 1
                    length |= Int(b & 0x7F) << shift
                    if b & 0x80 == 0 { break }
                    shift += 7
                    if shift >= 28 {
                        problem = "bad record length at offset \(start)"
                        return nil
                    }
                }
                guard length <= bytes.count - i else {
                    problem = PostfixQueueFile.truncated
                    return nil
                }
                position = i + length
                walked += position - start
                if walked > budget {
                    problem = PostfixQueueFile.pointerLoop
                    return nil
                }
                switch type {
                case PostfixQueueFile.padding:
                    continue
                case PostfixQueueFile.pointer:
                    guard let target = pointerTarget(bytes.slice(i..<position)), target < bytes.count else {
                        problem = "bad pointer record at offset \(start)"
                        return nil
                    }
                    if target == 0 { continue } // a placeholder
                    guard followed.insert(start).inserted else {
                        problem = PostfixQueueFile.pointerLoop
                        return nil
                    }
                    position = target
                    continue
                case PostfixQueueFile.end:
                    ended = true
                default:
                    break
                }
                return Record(type: type, data: i..<position, offset: start)
            }
            return nil
        }

        /// `%15ld`: blanks, then digits and nothing else.
        private func pointerTarget(_ data: UnsafeRawBufferPointer) -> Int? {
            var i = 0
            while i < data.count, data[i] == 0x20 { i += 1 }
            guard let (value, end) = data.decimal(at: i), end == data.count else { return nil }
            return value
        }
    }
}
