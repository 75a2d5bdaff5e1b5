/// Correlates queued messages with the Postfix log by queue id: the smtpd `client=` line (client
/// IP, SASL login, time received) and the delivery agents' `status=` lines (attempts, last
/// outcome with the server's reason).
struct PostfixHistoryReader {
    private var wanted: [UnsafeRawBufferPointer.QueueID: String] = [:]
    private var lastAttemptSecond: [String: Int64] = [:]
    private(set) var history: [String: MessageHistory] = [:]

    private static let client: StaticString = "client=", saslUsername: StaticString = "sasl_username="
    private static let status: StaticString = "status=", to: StaticString = "to=<"

    init(_ messages: [QueuedMessage]) {
        for m in messages {
            var id = m.id
            let key = id.withUTF8 { UnsafeRawBufferPointer.QueueID(UnsafeRawBufferPointer($0)) }
            if key.isValid { wanted[key] = m.id }
        }
    }

    mutating func read(_ e: PostfixEntry) {
        let text = e.text
        guard let colon = text.index(of: ": "), colon > 0,
              let id = wanted[UnsafeRawBufferPointer.QueueID(text.slice(0..<colon))] else { return }
        let rest = text.dropFirst(colon + 2)
        if rest.matches(Self.client) {
            history[id, default: MessageHistory()].received = e.time
            history[id, default: MessageHistory()].clientIP = LogFields.firstBracketed(rest)?.printable
            if let u = rest.index(of: Self.saslUsername) {
                var name = rest.dropFirst(u + Self.saslUsername.count)
                if let comma = name.index(of: 0x2C) { name = name.slice(0..<comma) }
                history[id, default: MessageHistory()].login = name.trimmed.printable
            }
        } else if rest.matches(Self.to), let st = rest.index(of: Self.status) {
            // One line per recipient per attempt: lines in the same second are one attempt.
            let attempt = lastAttemptSecond[id] == e.time.seconds ? 0 : 1
            lastAttemptSecond[id] = e.time.seconds
            history[id, default: MessageHistory()].noteAttempt(
                (history[id]?.attempts ?? 0) + attempt, outcome: rest.dropFirst(st + Self.status.count).printable, at: e.time)
        }
    }
}
