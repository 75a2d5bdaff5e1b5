/// Which queued messages a command acts on. Every condition given must hold (AND).
public struct SpoolFilter: Sendable {
    public var sender, recipient, account, ip, subject, body: Pattern?
    /// `--header 'Name: REGEX'`: some header field of that name matches.
    public var headers: [(name: String, pattern: Pattern)] = []
    /// Age bounds in seconds: at least `olderThan`, less than `youngerThan`.
    public var olderThan, youngerThan: Int64?
    public var minSize, maxSize: Int?
    /// Lower-cased state words; empty: any state.
    public var states: [String] = []

    public init() {}

    /// Whether no condition was given (a selection of everything).
    public var isEmpty: Bool {
        sender == nil && recipient == nil && account == nil && ip == nil && subject == nil && body == nil
            && headers.isEmpty && olderThan == nil && youngerThan == nil && minSize == nil && maxSize == nil
            && states.isEmpty
    }

    var needsHeaders: Bool { subject != nil || !headers.isEmpty }

    /// The same filter with patterns of its own (a pattern's match data serves one thread).
    func copy() -> SpoolFilter {
        var f = self
        for path in [\SpoolFilter.sender, \.recipient, \.account, \.ip, \.subject, \.body] { f[keyPath: path] = self[keyPath: path]?.copy() }
        f.headers = headers.map { ($0.name, $0.pattern.copy()) }
        return f
    }

    /// Builds a filter from option texts, compiling each pattern (an error names the option).
    public init(
        sender: String? = nil, recipient: String? = nil, account: String? = nil, ip: String? = nil,
        subject: String? = nil, body: String? = nil, headers: [String] = [],
        olderThan: String? = nil, youngerThan: String? = nil, minSize: String? = nil, maxSize: String? = nil,
        states: [String] = [], caseless: Bool = false, matchLimit: UInt32 = Pattern.defaultMatchLimit
    ) throws(SpoolsweepError) {
        func compile(_ text: String?, _ option: String) throws(SpoolsweepError) -> Pattern? {
            guard let text else { return nil }
            do { return try Pattern(text, caseless: caseless, matchLimit: matchLimit) } catch {
                throw .badPattern(option: option, error)
            }
        }
        self.sender = try compile(sender, "--sender")
        self.recipient = try compile(recipient, "--recipient")
        self.account = try compile(account, "--auth")
        self.ip = try compile(ip, "--ip")
        self.subject = try compile(subject, "--subject")
        self.body = try compile(body, "--body")
        for h in headers {
            guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else {
                throw .badValue("--header: expected 'Name: REGEX', got '\(h)'")
            }
            var regex = h[h.index(after: colon)...]
            while regex.first == " " { regex = regex.dropFirst() }
            let name = String(h[..<colon]).trimmingTrailingSpace
            self.headers.append((name, try compile(String(regex), "--header \(name)")!))
        }
        func duration(_ text: String?, _ option: String) throws(SpoolsweepError) -> Int64? {
            guard let text else { return nil }
            guard let d = parseDuration(text) else {
                throw .badValue("\(option): expected a duration such as 90s, 30m, 2h or 3d, up to 36500d, got '\(text)'")
            }
            return d
        }
        self.olderThan = try duration(olderThan, "--older-than")
        self.youngerThan = try duration(youngerThan, "--younger-than")
        func size(_ text: String?, _ option: String) throws(SpoolsweepError) -> Int? {
            guard let text else { return nil }
            guard let s = parseSize(text) else {
                throw .badValue("\(option): expected a size such as 500, 10k, 2M or 1G (powers of 1024), up to 1T, got '\(text)'")
            }
            return s
        }
        self.minSize = try size(minSize, "--min-size")
        self.maxSize = try size(maxSize, "--max-size")
        self.states = states.flatMap { $0.split(separator: ",").map { $0.lowercased() } }
    }
}

/// Parses `500`, `10k`, `2M`, `1G` (powers of 1024; a trailing `B` or `iB` is allowed); nil when
/// malformed, negative or over 1 TiB (no message is larger: `LogFields.largestMessageSize`).
public func parseSize(_ text: String) -> Int? {
    var t = Substring(text)
    if t.hasSuffix("iB") || t.hasSuffix("ib") { t = t.dropLast(2) } else if t.last == "B" || t.last == "b" { t = t.dropLast() }
    guard let last = t.last else { return nil }
    let units: [Character: Int] = ["k": 1024, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
    var unit = 1
    if let u = units[Character(last.lowercased())] {
        t = t.dropLast()
        unit = u
    }
    guard t.first != "-", t.first != "+", let n = Int(t) else { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(by: unit)
    return overflow || bytes > LogFields.largestMessageSize ? nil : bytes
}

/// A queued message that matched, with what a listing shows.
public struct SelectedMessage: Sendable {
    public let message: QueuedMessage
    /// The decoded Subject (empty when none or not read).
    public let subject: String
    /// Seconds since the server received it.
    public let age: Int64?
    /// Its story in the logs, when asked for (`--history`).
    public var history: MessageHistory?
}

/// Applies a `SpoolFilter` to queued messages: envelope conditions first, then the header block
/// (read only when a condition or the listing needs it), then the body (read only for `--body`).
public struct SpoolSelector {
    public let filter: SpoolFilter
    public let now: LocalTime
    /// Read each message's headers even when no condition needs them (to show the subject).
    public var wantsSubject: Bool
    private var buffer: [UInt8] = []
    private var folder = MessageContent.OpenFolder()

    public init(filter: SpoolFilter, now: LocalTime, wantsSubject: Bool) {
        self.filter = filter
        self.now = now
        self.wantsSubject = wantsSubject
    }

    /// The message with its subject when it matches; nil otherwise. Unreadable content and
    /// patterns that hit the match limit are reported, and the message does not match.
    public mutating func select(_ m: QueuedMessage, diagnostics: inout Diagnostics) -> SelectedMessage? {
        let f = filter
        let age = m.created.map { (now.milliseconds - $0.milliseconds) / 1000 }
        if let min = f.olderThan, (age ?? -1) < min { return nil }
        if let max = f.youngerThan, (age ?? .max) >= max { return nil }
        if let min = f.minSize, m.size < min { return nil }
        if let max = f.maxSize, m.size > max { return nil }
        if !f.states.isEmpty, !f.states.contains(m.state.lowercased()) { return nil }
        let path = m.contentPath ?? m.envelopePath ?? m.id
        func test(_ p: Pattern?, _ value: String, _ option: String) -> Bool {
            guard let p else { return true }
            return outcome(p.match(value), option, path, &diagnostics)
        }
        guard test(f.sender, m.sender, "--sender"), test(f.account, m.account ?? "", "--auth"),
              test(f.ip, m.clientIP ?? "", "--ip") else { return nil }
        if let p = f.recipient, !m.recipients.contains(where: { outcome(p.match($0), "--recipient", path, &diagnostics) }) {
            return nil
        }

        var subject = ""
        if let p = f.body, !f.needsHeaders, !wantsSubject, let content = m.contentPath {
            // The body alone is matched: the header block is only skipped.
            let start: Int
            do {
                start = try MessageContent.body(of: m, into: &buffer, folder: &folder) ?? buffer.count
            } catch .vanished {
                return nil
            } catch {
                diagnostics.warn(content, error.reason)
                return nil
            }
            let matched = buffer.withUnsafeBytes { outcome(p.match($0.dropFirst(start)), "--body", path, &diagnostics) }
            if !matched { return nil }
        } else if f.needsHeaders || wantsSubject || f.body != nil, let content = m.contentPath {
            let headers: MessageHeaders
            do {
                headers = try (f.body == nil ? MessageContent.headers(of: m, buffer: &buffer) : MessageContent.whole(m, into: &buffer))
                    ?? MessageHeaders(fields: [], bodyOffset: nil)
            } catch .vanished {
                return nil // delivered between listing and reading
            } catch {
                diagnostics.warn(content, error.reason)
                return nil
            }
            subject = headers.first("Subject")?.decoded ?? ""
            guard test(f.subject, subject, "--subject") else { return nil }
            for (name, p) in f.headers {
                let fields = headers.all(name)
                if !fields.contains(where: { outcome(p.match($0.decoded), "--header \(name)", path, &diagnostics) }) { return nil }
            }
            if let p = f.body {
                let start = headers.bodyOffset ?? buffer.count
                let matched = buffer.withUnsafeBytes { outcome(p.match($0.dropFirst(start)), "--body", path, &diagnostics) }
                if !matched { return nil }
            }
        } else if f.needsHeaders || f.body != nil {
            return nil // no content file: nothing to match
        }
        return SelectedMessage(message: m, subject: subject, age: age)
    }

    /// Selects among `messages` on `threads` threads (contiguous chunks, each thread with its
    /// own copy of the patterns): the same messages, in the same order, with the same warnings as
    /// one thread would give.
    public static func select(
        _ messages: [QueuedMessage], filter: SpoolFilter, now: LocalTime, wantsSubject: Bool, threads: Int,
        diagnostics: inout Diagnostics
    ) -> [SelectedMessage] {
        let parts = Parallel.chunks(count: messages.count, threads: threads, chunk: Parallel.readChunk, worker: {
            SpoolSelector(filter: threads > 1 ? filter.copy() : filter, now: now, wantsSubject: wantsSubject)
        }) { selector, range in
            var found: [SelectedMessage] = [], seen = Diagnostics()
            for m in messages[range] {
                if let s = selector.select(m, diagnostics: &seen) { found.append(s) }
            }
            return (found, seen)
        }
        for (_, seen) in parts { diagnostics.append(seen) }
        return parts.flatMap(\.0)
    }

    private func outcome(_ o: MatchOutcome, _ option: String, _ path: String, _ diagnostics: inout Diagnostics) -> Bool {
        switch o {
        case .match: return true
        case .noMatch: return false
        case .limitExceeded:
            diagnostics.warn(path, "\(option): match limit exceeded (pattern too costly on this message); counted as not matching")
            return false
        case .failed(let message):
            diagnostics.warn(path, "\(option): \(message); counted as not matching")
            return false
        }
    }
}
