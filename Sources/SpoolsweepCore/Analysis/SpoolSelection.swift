import Glibc

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
    /// `--id` and `--ids-from`: only these queued messages (nil: any id).
    public var ids: Set<String>?
    /// `--not-sender`, `--not-subject`...: a message one of these matches is not selected.
    public var exclusions: [(field: Field, pattern: Pattern)] = []

    /// What a negated condition (`--not-...`) tests.
    public enum Field: Sendable, Equatable {
        case sender, recipient, account, ip, subject, body
        case header(String)

        var option: String {
            switch self {
            case .sender: "--not-sender"
            case .recipient: "--not-recipient"
            case .account: "--not-auth"
            case .ip: "--not-ip"
            case .subject: "--not-subject"
            case .body: "--not-body"
            case .header(let name): "--not-header \(name)"
            }
        }
    }

    public init() {}

    /// Whether no condition was given (a selection of everything).
    public var isEmpty: Bool {
        sender == nil && recipient == nil && account == nil && ip == nil && subject == nil && body == nil
            && headers.isEmpty && olderThan == nil && youngerThan == nil && minSize == nil && maxSize == nil
            && states.isEmpty && ids == nil && exclusions.isEmpty
    }

    var needsHeaders: Bool {
        subject != nil || !headers.isEmpty || exclusions.contains { if case .subject = $0.field { true } else if case .header = $0.field { true } else { false } }
    }
    var needsBody: Bool { body != nil || exclusions.contains { $0.field == .body } }

    /// The same filter with patterns of its own (a pattern's match data serves one thread).
    func copy() -> SpoolFilter {
        var f = self
        for path in [\SpoolFilter.sender, \.recipient, \.account, \.ip, \.subject, \.body] { f[keyPath: path] = self[keyPath: path]?.copy() }
        f.headers = headers.map { ($0.name, $0.pattern.copy()) }
        f.exclusions = exclusions.map { ($0.field, $0.pattern.copy()) }
        return f
    }

    /// Refuses `--state` words the server's queued messages never have, naming those they have.
    public func checkStates(of dialect: any MailServerDialect) throws(SpoolsweepError) {
        let known = dialect.spoolStates
        for s in states where !known.contains(where: { $0.lowercased() == s }) {
            throw .badValue("--state: '\(s)' is not a state of \(dialect.name) queued messages; the states are \(known.joined(separator: ", "))")
        }
    }

    /// Builds a filter from option texts, compiling each pattern (an error names the option).
    public init(
        sender: String? = nil, recipient: String? = nil, account: String? = nil, ip: String? = nil,
        subject: String? = nil, body: String? = nil, headers: [String] = [],
        olderThan: String? = nil, youngerThan: String? = nil, minSize: String? = nil, maxSize: String? = nil,
        states: [String] = [], ids: [String]? = nil, exclude: [(Field, String)] = [],
        caseless: Bool = false, matchLimit: UInt32 = Pattern.defaultMatchLimit
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
        func header(_ h: String, _ option: String) throws(SpoolsweepError) -> (name: String, regex: String) {
            guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else {
                throw .badValue("\(option): expected 'Name: REGEX', got '\(h)'")
            }
            var regex = h[h.index(after: colon)...]
            while regex.first == " " { regex = regex.dropFirst() }
            return (String(h[..<colon]).trimmingTrailingSpace, String(regex))
        }
        for h in headers {
            let (name, regex) = try header(h, "--header")
            self.headers.append((name, try compile(regex, "--header \(name)")!))
        }
        for (field, text) in exclude {
            if field == .header("") {
                let (name, regex) = try header(text, "--not-header")
                exclusions.append((.header(name), try compile(regex, "--not-header \(name)")!))
            } else {
                exclusions.append((field, try compile(text, field.option)!))
            }
        }
        if let ids {
            guard !ids.isEmpty else { throw .badValue("--ids-from: no id in it (one queued-message id a line)") }
            self.ids = Set(ids)
        }
        func duration(_ text: String?, _ option: String) throws(SpoolsweepError) -> Int64? {
            try text.map { t throws(SpoolsweepError) in try checkedDuration(t, option) }
        }
        self.olderThan = try duration(olderThan, "--older-than")
        self.youngerThan = try duration(youngerThan, "--younger-than")
        func size(_ text: String?, _ option: String) throws(SpoolsweepError) -> Int? {
            guard let text else { return nil }
            guard let s = parseSize(text) else {
                throw .badValue("\(option): expected a size such as 500, 10k, 2M or 1G (k, M, G, T and KiB, MiB... are powers of 1024; kB, MB, GB, TB powers of 1000), up to 1 TiB, got '\(text)'")
            }
            return s
        }
        self.minSize = try size(minSize, "--min-size")
        self.maxSize = try size(maxSize, "--max-size")
        self.states = states.flatMap { $0.split(separator: ",").map { $0.lowercased() } }
    }
}

/// Parses a size: `500`; `10k`, `2M`, `1G`, `1T` or `10KiB`, `2MiB`... (powers of 1024, as `du`
/// and `find -size` read them); `10kB`, `2MB`, `1GB` (powers of 1000, as the SI says). Nil when
/// malformed, negative or over 1 TiB (no message is larger: `LogFields.largestMessageSize`).
public func parseSize(_ text: String) -> Int? {
    var t = Substring(text)
    var decimal = false
    if t.hasSuffix("iB") || t.hasSuffix("ib") {
        t = t.dropLast(2)
    } else if t.count > 1, t.last == "B" || t.last == "b", let unit = t.dropLast().last, unit.isLetter {
        t = t.dropLast()
        decimal = true
    } else if t.last == "B" || t.last == "b" {
        t = t.dropLast() // 500B: bytes
    }
    guard let last = t.last else { return nil }
    let powers: [Character: Int] = ["k": 1, "m": 2, "g": 3, "t": 4]
    var unit = 1
    if let p = powers[Character(last.lowercased())] {
        t = t.dropLast()
        for _ in 0..<p { unit *= decimal ? 1000 : 1024 }
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
        if let ids = f.ids, !ids.contains(m.id) { return nil }
        let age = m.created.map { (now.milliseconds - $0.milliseconds) / 1000 }
        if let min = f.olderThan, (age ?? -1) < min { return nil }
        if let max = f.youngerThan, (age ?? .max) >= max { return nil }
        if let min = f.minSize, m.size < min { return nil }
        if let max = f.maxSize, m.size > max { return nil }
        if !f.states.isEmpty, !f.states.contains(Self.stateWord(m.state)) { return nil }
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
        // A negated condition selects only what it proves unmatched: a pattern that gives up
        // (match limit) or content that cannot be read leaves the message unselected.
        func excluded(_ p: Pattern, _ value: String, _ option: String) -> Bool {
            outcome(p.match(value), option, path, &diagnostics, unsure: true)
        }
        for (field, p) in f.exclusions {
            switch field {
            case .sender: if excluded(p, m.sender, field.option) { return nil }
            case .account: if excluded(p, m.account ?? "", field.option) { return nil }
            case .ip: if excluded(p, m.clientIP ?? "", field.option) { return nil }
            case .recipient: if m.recipients.contains(where: { excluded(p, $0, field.option) }) { return nil }
            case .subject, .body, .header: break
            }
        }

        var subject = ""
        let needsBody = f.needsBody
        if needsBody, !f.needsHeaders, !wantsSubject, let content = m.contentPath {
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
            if !bodyMatches(from: start, path, &diagnostics) { return nil }
        } else if f.needsHeaders || wantsSubject || needsBody, let content = m.contentPath {
            let headers: MessageHeaders
            do {
                headers = try (needsBody ? MessageContent.whole(m, into: &buffer) : MessageContent.headers(of: m, buffer: &buffer))
                    ?? MessageHeaders(fields: [], bodyOffset: nil)
            } catch .vanished {
                return nil // delivered between listing and reading
            } catch {
                diagnostics.warn(content, error.reason)
                return nil
            }
            if headers.cutShort {
                // What a filter asks of the fields past the limit cannot be known: not selected, said.
                diagnostics.warn(content, "header block longer than \(MessageHeaders.headerLimit >> 20) MiB: its first \(MessageHeaders.headerLimit >> 20) MiB read"
                                 + (f.needsHeaders ? ", counted as not selected" : ""))
                if f.needsHeaders { return nil }
            }
            subject = headers.first("Subject")?.decoded ?? ""
            guard test(f.subject, subject, "--subject") else { return nil }
            for (name, p) in f.headers {
                let fields = headers.all(name)
                if !fields.contains(where: { outcome(p.match($0.decoded), "--header \(name)", path, &diagnostics) }) { return nil }
            }
            for (field, p) in f.exclusions {
                switch field {
                case .subject: if excluded(p, subject, field.option) { return nil }
                case .header(let name): if headers.all(name).contains(where: { excluded(p, $0.decoded, field.option) }) { return nil }
                default: break
                }
            }
            if needsBody, !bodyMatches(from: headers.bodyOffset ?? buffer.count, path, &diagnostics) { return nil }
        } else if f.needsHeaders || needsBody {
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

    /// `--body` matches and no `--not-body` does, on the body in `buffer` from `start`.
    private func bodyMatches(from start: Int, _ path: String, _ diagnostics: inout Diagnostics) -> Bool {
        buffer.withUnsafeBytes { raw in
            let body = raw.dropFirst(start)
            if let p = filter.body, !outcome(p.match(body), "--body", path, &diagnostics) { return false }
            for (field, p) in filter.exclusions where field == .body {
                if outcome(p.match(body), field.option, path, &diagnostics, unsure: true) { return false }
            }
            return true
        }
    }

    /// The state word `--state` compares: `incoming (being written)` is `incoming`.
    static func stateWord(_ state: String) -> String {
        (state.split(separator: " ", maxSplits: 1).first ?? "").lowercased()
    }

    /// Whether the pattern matched; `unsure` is the answer when it could not tell (a negated
    /// condition treats a pattern that gave up as matching, so the message is not selected).
    private func outcome(_ o: MatchOutcome, _ option: String, _ path: String, _ diagnostics: inout Diagnostics,
                         unsure: Bool = false) -> Bool {
        switch o {
        case .match: return true
        case .noMatch: return false
        case .limitExceeded:
            diagnostics.warn(path, "\(option): match limit exceeded (pattern too costly on this message); counted as not selected")
            return unsure
        case .failed(let message):
            diagnostics.warn(path, "\(option): \(message); counted as not selected")
            return unsure
        }
    }
}

/// A selection streamed (issue #14, memory that does not grow with the spool): queued messages
/// given one at a time, in the dialect's visiting order, are selected a window at a time (the
/// window's content filters on every thread) and each selected one handed to the sink at once,
/// in that order. It keeps no message once its window is done: only counters, and of the ids
/// `--id` asks for, those seen. The same messages, order and warnings as `SpoolSelector.select`
/// on all of them.
public struct SpoolStream {
    public let filter: SpoolFilter
    public let now: LocalTime
    public let wantsSubject: Bool
    public let threads: Int
    /// Messages selected together (at most this many are held).
    public let window: Int
    /// What selecting said (unreadable content, patterns that gave up), in the messages' order.
    public private(set) var diagnostics = Diagnostics()
    /// Messages given, and selected.
    public private(set) var seen = 0, selected = 0
    private var pending: [QueuedMessage] = []
    /// Of the ids `--id` asks for: those queued, and those selected.
    private var queuedIDs: Set<String> = [], chosenIDs: Set<String> = []

    public init(filter: SpoolFilter, now: LocalTime, wantsSubject: Bool, threads: Int, window: Int = Parallel.readWindow) {
        (self.filter, self.now, self.wantsSubject, self.threads) = (filter, now, wantsSubject, threads)
        self.window = max(1, window)
        pending.reserveCapacity(self.window)
    }

    /// Messages given and not yet selected or dropped (never more than `window`).
    public var held: Int { pending.count }

    /// Takes the next message; when the window is full, selects it and hands on what matches.
    public mutating func add(_ m: QueuedMessage, to sink: (SelectedMessage) -> Void) {
        seen += 1
        if let ids = filter.ids, ids.contains(m.id) { queuedIDs.insert(m.id) }
        pending.append(m)
        if pending.count >= window { flush(to: sink) }
    }

    /// Selects what is left; call once the last message was given.
    public mutating func finish(to sink: (SelectedMessage) -> Void) {
        flush(to: sink)
    }

    private mutating func flush(to sink: (SelectedMessage) -> Void) {
        guard !pending.isEmpty else { return }
        let found = SpoolSelector.select(pending, filter: filter, now: now, wantsSubject: wantsSubject,
                                         threads: threads, diagnostics: &diagnostics)
        pending.removeAll(keepingCapacity: true)
        for s in found {
            selected += 1
            if filter.ids != nil { chosenIDs.insert(s.message.id) }
            sink(s)
        }
    }

    /// An id asked for and not selected is said, not silently dropped: mail moves on.
    public func noteAskedIDs(into diagnostics: inout Diagnostics) {
        guard let ids = filter.ids else { return }
        for id in ids.sorted() where !chosenIDs.contains(id) {
            diagnostics.note(id, queuedIDs.contains(id) ? "--id: queued, but another condition excludes it"
                                                        : "--id: no queued message has this id (delivered or removed since?)")
        }
    }
}

extension SpoolFilter {
    /// The longest id list `--ids-from` reads (about ten million ids).
    static let idListLimit = 256 << 20

    /// `spool list --sender /var/spool/postfix`, the pattern forgotten, takes the path for the
    /// pattern and lists nothing: a pattern that is an existing path with a `/` in it is refused.
    public static func refuseForgottenPattern(_ option: String, _ text: String, paths: [String]) throws(SpoolsweepError) {
        guard text.count > 1, text.contains("/"), FileSystem.exists(text) else { return }
        let rest = paths.isEmpty ? "" : " " + paths.joined(separator: " ")
        throw .badValue("\(option) '\(text)' is a path that exists, not a pattern: was the pattern forgotten? Write \(option) REGEX \(text)\(rest)")
    }

    /// `--ids-from FILE|-` (`-`: standard input): the first word of each line is an id, so the
    /// output of `spool list --ids-only`, `exiqgrep -i` and `postqueue -p` (whose `*` and `!`
    /// marks after an id are dropped) can be given as it is. Blank lines and `#` comments are
    /// skipped. A file that cannot be read is `noInput` (exit 66).
    public static func ids(from path: String) throws(SpoolsweepError) -> [String] {
        var bytes: [UInt8] = []
        do {
            if path == "-" {
                bytes = try readStandardInput(limit: idListLimit)
            } else {
                guard FileSystem.exists(path) else { throw SpoolsweepError.noInput(LayoutError("--ids-from \(path): no such file")) }
                let source = try ByteSource(path: FileSystem.resolved(path) ?? path, allowMapping: false)
                guard try source.readAll(into: &bytes, limit: idListLimit) else {
                    throw SpoolsweepError.badValue("--ids-from \(path): longer than \(idListLimit >> 20) MiB")
                }
            }
        } catch let error as FileReadError {
            throw .noInput(LayoutError("--ids-from \(path): \(error.reason)"))
        } catch let error as SpoolsweepError {
            throw error
        } catch {
            throw .badValue("--ids-from \(path): \(error)")
        }
        var ids: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard var word = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }).first,
                  word.first != UInt8(ascii: "#") else { continue }
            while let last = word.last, last == UInt8(ascii: "*") || last == UInt8(ascii: "!") { word = word.dropLast() }
            if !word.isEmpty { ids.append(String(decoding: word, as: UTF8.self)) }
        }
        return ids
    }

    private static func readStandardInput(limit: Int) throws(FileReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(operation: "read", errno: errno)
            }
            bytes.append(contentsOf: chunk[..<n])
        }
        throw .damaged("longer than \(limit >> 20) MiB")
    }
}
