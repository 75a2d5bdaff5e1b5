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
