/// Totals a server dialect counts in its own reference tool's way (named counts in that tool's
/// order, and a per-hour table), shown beside spoolsweep's own.
public struct ServerTotals: Sendable, Equatable {
    public struct Count: Sendable, Equatable {
        public let name: String
        public let value: Int
        public init(_ name: String, _ value: Int) { self.name = name; self.value = value }
    }

    public var title: String
    public var counts: [Count]
    /// Column names of `hours`; `hours` has 24 rows, one value per column.
    public var hourColumns: [String]
    public var hours: [[Int]]
    /// How to read the counts, and where and why they differ from the reference tool's.
    public var notes: [String]
    /// Deliveries per recipient host/domain, most sent first (empty: the tool keeps none).
    public var deliveryDomains: [DeliveryDomain] = []
    /// Messages received per sending host/domain, most first (empty: the tool keeps none).
    public var receivedDomains: [ReceivedDomain] = []
    /// The tool's problem sections (pflogsumm's reject, reject warning, hold and discard detail,
    /// warnings, fatal errors, panics), each by group, each group's reasons most first.
    public var problems: [ProblemSection] = []
    /// SMTP connections per client host/domain (pflogsumm's `--smtpd-stats`).
    public var connections: [Count] = []

    public struct ProblemSection: Sendable, Equatable {
        public let title: String
        public let groups: [ProblemGroup]
        public var total: Int { groups.reduce(0) { $0 + $1.total } }
    }

    public struct ProblemGroup: Sendable, Equatable {
        public let name: String
        public let rows: [(reason: String, count: Int)]
        public var total: Int { rows.reduce(0) { $0 + $1.count } }
        public static func == (a: ProblemGroup, b: ProblemGroup) -> Bool {
            a.name == b.name && a.rows.map(\.reason) == b.rows.map(\.reason) && a.rows.map(\.count) == b.rows.map(\.count)
        }
    }

    /// One recipient host/domain: messages delivered to it, their bytes, deferral lines, and the
    /// delays (seconds) the server logged: the sum over deliveries, the most over deliveries and
    /// deferrals.
    public struct DeliveryDomain: Sendable, Equatable {
        public let domain: String
        public let sent, bytes, deferrals: Int
        public let totalDelay, maxDelay: Double
        /// The mean delay of the deliveries (0 when none).
        public var averageDelay: Double { sent > 0 ? totalDelay / Double(sent) : 0 }
        public init(domain: String, sent: Int, bytes: Int, deferrals: Int, totalDelay: Double, maxDelay: Double) {
            self.domain = domain; self.sent = sent; self.bytes = bytes; self.deferrals = deferrals
            self.totalDelay = totalDelay; self.maxDelay = maxDelay
        }
    }

    /// One sending host/domain: messages received from it and their bytes.
    public struct ReceivedDomain: Sendable, Equatable {
        public let domain: String
        public let messages, bytes: Int
        public init(domain: String, messages: Int, bytes: Int) { self.domain = domain; self.messages = messages; self.bytes = bytes }
    }

    public init(title: String, counts: [Count], hourColumns: [String], hours: [[Int]], notes: [String] = []) {
        self.title = title; self.counts = counts; self.hourColumns = hourColumns; self.hours = hours; self.notes = notes
    }

    public subscript(name: String) -> Int? { counts.first { $0.name == name }?.value }
}
