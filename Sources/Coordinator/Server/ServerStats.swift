/// Counters of what the coordinator server received and did (for logs, `status` and tests).
public struct ServerStats: Sendable, Equatable {
    /// Messages taken off either socket (valid or not).
    public var received = 0
    /// Messages dropped, by reason (`malformed`, `unknownSender`, `badPayload`, `unreachable`, …).
    public var dropped: [String: Int] = [:]
    /// Task assignments sent.
    public var dispatched = 0
    /// Tasks completed (results accepted by the store).
    public var completed = 0
    /// Tasks put back in the queue because their worker died or restarted (no attempt used).
    public var requeued = 0
    /// Attempts that ran past their task timeout and were cancelled on their workers.
    public var timedOut = 0
    /// Results or failures ignored because their attempt was no longer current.
    public var staleReports = 0
    /// Workers marked unhealthy farm-wide since start.
    public var workersMarkedUnhealthy = 0

    public init() {}

    /// Total messages dropped.
    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    mutating func drop(_ reason: String) { dropped[reason, default: 0] += 1 }
}
