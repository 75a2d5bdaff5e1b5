/// Correlates queued messages with the logs: the `.hdr` `smtpSessionId` is the SMTP log's
/// session id, and the delivery log names a message by the last 8 characters of its spool base
/// name (`422405313455` → `[05313455]`, `[05313455-2]` for the second attempt).
struct SmarterMailHistoryReader {
    private var byDeliveryID: [String: [String]] = [:]
    private var bySession: [Int: [String]] = [:]
    private var bySpoolName: [String: String] = [:]
    private(set) var history: [String: MessageHistory] = [:]

    private static let hasCompleted: StaticString = "has completed ("
    private static let authenticatedAs: StaticString = "Authenticated as "
    private static let writingMail: StaticString = "writing mail to "
    private static let hdrPath: StaticString = "Successfully wrote to the HDR file"

    init(_ messages: [QueuedMessage]) {
        for m in messages {
            byDeliveryID[String(m.id.suffix(8)).lowercased(), default: []].append(m.id)
            bySpoolName[m.id.lowercased()] = m.id
            if let s = m.sessionID.flatMap({ Int($0) }) { bySession[s, default: []].append(m.id) }
        }
    }

    mutating func readDelivery(_ entry: SmarterMailEntry) {
        guard let (idBytes, after) = LogFields.bracketGroup(entry.text, at: 0) else { return }
        let dash = idBytes.index(of: 0x2D)
        let key = idBytes.slice(0..<(dash ?? idBytes.count)).printable.lowercased()
        guard let ids = byDeliveryID[key] else { return }
        let attempt = dash.flatMap { idBytes.dropFirst($0 + 1).decimalValue } ?? 0
        let text = entry.text.dropFirst(after)
        var outcome: String?
        if let done = text.index(of: Self.hasCompleted) {
            var inside = text.dropFirst(done + Self.hasCompleted.count)
            if let close = inside.lastIndex(of: 0x29) { inside = inside.slice(0..<close) }
            outcome = inside.printable
        }
        for id in ids {
            history[id, default: MessageHistory()].noteAttempt(attempt, outcome: outcome, at: entry.time)
        }
    }

    mutating func readSMTP(_ entry: SmarterMailEntry) {
        let s = entry.text
        guard let (ip, afterIP) = LogFields.bracketGroup(s, at: 0) else { return }
        var i = afterIP
        if i < s.count, s[i] == 0x20 { i += 1 }
        guard let (idBytes, afterID) = LogFields.bracketGroup(s, at: i), let sid = idBytes.decimalValue,
              let ids = bySession[sid] else { return }
        let text = s.dropFirst(afterID).trimmed
        for id in ids {
            history[id, default: MessageHistory()].sessionID = String(sid)
            history[id, default: MessageHistory()].clientIP = ip.printable
        }
        if text.matches(Self.authenticatedAs) {
            let login = text.dropFirst(Self.authenticatedAs.count).trimmed.printable
            for id in ids { history[id, default: MessageHistory()].login = login }
        } else if let w = text.index(of: Self.writingMail) {
            // "writing mail to NAME.eml": the session received this very message now.
            let name = text.dropFirst(w + Self.writingMail.count)
            let end = name.index(of: 0x2E) ?? name.count
            if let id = bySpoolName[name.slice(0..<end).printable.lowercased()] {
                history[id, default: MessageHistory()].received = entry.time
            }
        } else if text.matches(Self.hdrPath), let slash = text.lastIndex(of: 0x2F) {
            let name = text.dropFirst(slash + 1)
            let end = name.index(of: 0x2E) ?? name.count
            if let id = bySpoolName[name.slice(0..<end).printable.lowercased()] {
                history[id, default: MessageHistory()].received = entry.time
            }
        }
    }
}

extension MessageHistory {
    mutating func noteAttempt(_ attempt: Int, outcome: String?, at time: LocalTime) {
        attempts = max(attempts, attempt)
        if let outcome {
            lastOutcome = outcome
            lastAttempt = time
        }
    }
}
