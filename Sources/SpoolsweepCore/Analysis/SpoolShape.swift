/// The queue at a glance: queued messages per recipient domain and per sender, by age bucket,
/// like Postfix's qshape. A spam wave shows as one sender and many domains in the young buckets.
public struct SpoolShape: Sendable {
    /// Upper bounds of the age buckets, in minutes (the last bucket is everything older).
    public static let bucketMinutes: [Int64] = [5, 10, 20, 40, 80, 160, 320, 640, 1280]

    public struct Row: Equatable, Sendable {
        public let name: String
        public let total: Int
        /// One count per bucket, plus one for older than the last bound.
        public let buckets: [Int]
    }

    public let messages: Int
    public let bytes: Int
    public let states: [TrafficSummary.Named]
    public let byRecipientDomain: [Row]
    public let bySender: [Row]
    public let domainCount: Int
    public let senderCount: Int

    /// - Parameter top: rows per table (0: all).
    public init(_ queued: [QueuedMessage], now: LocalTime, top: Int) {
        var domains: [String: [Int]] = [:]
        var senders: [String: [Int]] = [:]
        var states: [String: Int] = [:]
        var bytes = 0
        let width = Self.bucketMinutes.count + 1
        for m in queued {
            bytes += m.size
            states[m.state.isEmpty ? "?" : m.state, default: 0] += 1
            let age = m.created.map { max(0, (now.milliseconds - $0.milliseconds) / 60_000) } ?? 0
            let bucket = Self.bucketMinutes.firstIndex { age < $0 } ?? Self.bucketMinutes.count
            var seen: Set<String> = []
            for r in m.recipients {
                let d = r.split(separator: "@").last.map { String($0).lowercased() } ?? r
                if seen.insert(d).inserted { domains[d, default: Array(repeating: 0, count: width)][bucket] += 1 }
            }
            let sender = (m.account ?? (m.sender.isEmpty ? "<>" : m.sender)).lowercased()
            senders[sender, default: Array(repeating: 0, count: width)][bucket] += 1
        }
        func rows(_ table: [String: [Int]]) -> [Row] {
            let all = table.map { Row(name: $0.key, total: $0.value.reduce(0, +), buckets: $0.value) }
                .sorted { ($1.total, $0.name) < ($0.total, $1.name) }
            return top > 0 ? Array(all.prefix(top)) : all
        }
        messages = queued.count
        self.bytes = bytes
        self.states = TrafficSummary.ranked(states.map { ($0.key, $0.value) }, top: 0)
        byRecipientDomain = rows(domains)
        bySender = rows(senders)
        domainCount = domains.count
        senderCount = senders.count
    }
}
