/// Parses a SmarterMail `.hdr` envelope file.
///
/// Layout: line 1 the state (`Writing`, `Written `, `Failed `), line 2 the envelope sender (`<>`
/// or empty for the null sender), line 3 every recipient comma-separated, then `key: value` lines
/// (keys repeat, unknown keys appear, key case varies by version) up to an empty line. CRLF or LF.
enum SmarterMailEnvelope {
    static let states = ["writing", "written", "failed"]

    /// Fills `message` from the envelope bytes, or returns the reason they are not an envelope.
    static func parse(_ bytes: UnsafeRawBufferPointer, into message: inout QueuedMessage) -> String? {
        var lines: [UnsafeRawBufferPointer] = []
        var start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        while start < bytes.count {
            let nl = bytes.index(of: 0x0A, from: start) ?? bytes.count
            var line = bytes.slice(start..<nl)
            if line.last == 0x0D { line = line.slice(0..<(line.count - 1)) }
            if lines.count >= 3 && line.trimmed.isEmpty { break }
            lines.append(line)
            start = nl + 1
        }
        guard let first = lines.first else { return "empty envelope (.hdr)" }
        let state = first.trimmed.printable
        guard states.contains(state.lowercased()) else {
            return "not a SmarterMail envelope: first line is not a state (Writing, Written, Failed)"
        }
        message.state = state
        guard lines.count >= 3 else {
            // A state line alone: the server has only begun writing it.
            return state.lowercased() == "writing" ? nil : "envelope (.hdr) cut short: no sender and recipient lines"
        }
        let sender = EnvelopeAddress.normalised(lines[1]).printable
        message.sender = sender == "<>" ? "" : sender
        message.recipients = lines[2].split(separator: 0x2C).compactMap { part in
            let a = EnvelopeAddress.normalised(part).printable
            return a.isEmpty ? nil : a
        }
        for line in lines.dropFirst(3) {
            guard let colon = line.index(of: 0x3A) else { continue }
            let key = line.slice(0..<colon).trimmed.printable
            let value = line.dropFirst(colon + 1).trimmed.printable
            message.fields.append(EnvelopeField(key: key, value: value))
            switch key.lowercased() {
            case "auth": message.account = value.isEmpty ? nil : value
            case "connectedip": message.clientIP = value
            case "helo": message.helo = value
            case "smtpsessionid": message.sessionID = value
            case "creationdate": message.created = parseDate(value)
            case "retry":
                let parts = value.split(separator: ";", maxSplits: 1)
                message.attempts = parts.first.flatMap { Int($0.trimmingCharacters(in: " ")) }
                if parts.count > 1 { message.nextAttempt = parseDate(String(parts[1])) }
            default: break
            }
        }
        return nil
    }

    /// `M/d/yyyy H:mm:ss`, with an optional `AM`/`PM`.
    static func parseDate(_ text: String) -> LocalTime? {
        var numbers: [Int] = []
        var current: Int?
        var pm: Bool?
        for c in text.utf8 {
            // Capped: a field of 20 digits is out of range, not an overflow.
            if isDigit(c) { current = min((current ?? 0) * 10 + Int(c - 0x30), 1_000_000_000); continue }
            if let n = current { numbers.append(n); current = nil }
            if c == 0x50 || c == 0x70 { pm = true } else if c == 0x41 || c == 0x61 { pm = false }
        }
        if let n = current { numbers.append(n) }
        guard numbers.count >= 5, (1...12).contains(numbers[0]), (1...31).contains(numbers[1]),
              (1970...9999).contains(numbers[2]) else { return nil }
        var hour = numbers[3]
        if let pm { hour = hour % 12 + (pm ? 12 : 0) }
        guard hour < 24, numbers[4] < 60, numbers.count <= 5 || numbers[5] < 1_000_000_000 else { return nil }
        return LocalTime(year: numbers[2], month: numbers[0], day: numbers[1], hour: hour,
                         minute: numbers[4], second: numbers.count > 5 ? min(numbers[5], 59) : 0)
    }
}

extension UnsafeRawBufferPointer {
    /// The parts between `separator` bytes.
    func split(separator: UInt8) -> [UnsafeRawBufferPointer] {
        var parts: [UnsafeRawBufferPointer] = []
        var start = 0
        while start <= count {
            let end = index(of: separator, from: start) ?? count
            parts.append(slice(start..<end))
            start = end + 1
        }
        return parts
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
