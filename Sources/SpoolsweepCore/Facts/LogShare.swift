import Dispatch

/// One part of the work when the logs are read on several threads: every reading goes over
/// every line, and keeps the facts of the keys it owns (a client IP, a queue id, a delivery id)
/// by a hash of the key. Whatever one key's facts depend on in order (an SMTP session's lines,
/// one IP's failed logins before a success) stays in one part, so the parts' ledgers merge
/// exactly. Lines with no key belong to part 0, which also reports on the files themselves.
public struct LogShare: Sendable, Equatable {
    public let index: Int, count: Int

    /// The whole of the facts, in one part.
    public static let all = LogShare(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count > 0 && index >= 0 && index < count)
        self.index = index
        self.count = count
    }

    /// Whether the facts of `key` are this part's.
    @inline(__always) public func owns(_ key: UnsafeRawBufferPointer) -> Bool {
        count == 1 || Int(ByteInterner.hash(key, foldCase: false) % UInt64(count)) == index
    }

    /// Whether this part reports what concerns whole files (read errors, odd lines).
    public var reportsFiles: Bool { index == 0 }
}

/// Reads a layout's logs into ledgers on every core and merges them.
enum LogReading {
    /// Fills one ledger per part on `parts` threads (`read` fills part `i`'s), merges them in
    /// part order and finishes the result. The figures do not depend on `parts`.
    static func ledger(
        parts: Int, template: MailLedger,
        read: @Sendable (LogShare, inout MailLedger, inout Diagnostics) -> Void
    ) -> (MailLedger, Diagnostics) {
        var results = Parallel.map(count: parts, slices: parts) { range -> (MailLedger, Diagnostics) in
            var ledger = template
            var diagnostics = Diagnostics()
            read(LogShare(index: range.lowerBound, count: parts), &ledger, &diagnostics)
            return (ledger, diagnostics)
        }
        var (ledger, diagnostics) = results[0]
        results[0].0 = MailLedger()
        for i in results.indices.dropFirst() {
            let other = results[i].0
            results[i].0 = MailLedger() // merged from its only copy, freed as it goes
            ledger.merge(other)
            diagnostics.append(results[i].1)
        }
        ledger.finish()
        return (ledger, diagnostics)
    }
}
