/// What a worker measured of an attempt it reported a result for (its `TaskStats`), kept with the attempt: a job's detail shows
/// each frame's render time, evaluations and final losses from it.
public struct AttemptStats: Sendable, Hashable, Codable {
    /// The attempt's wall time on its worker.
    public var wallSeconds: Double
    /// Objective evaluations (all scales).
    public var evaluations: Int
    /// The worker's peak resident memory while it ran.
    public var peakRSSBytes: UInt64
    /// The optimizer's last losses (0 for tasks that do not optimize: flows, blends, statistics).
    public var lossTotal: Double
    public var lossContent: Double
    public var lossStyle: Double
    public var lossTV: Double

    public init(wallSeconds: Double, evaluations: Int, peakRSSBytes: UInt64,
                lossTotal: Double = 0, lossContent: Double = 0, lossStyle: Double = 0, lossTV: Double = 0) {
        self.wallSeconds = wallSeconds
        self.evaluations = evaluations
        self.peakRSSBytes = peakRSSBytes
        self.lossTotal = lossTotal
        self.lossContent = lossContent
        self.lossStyle = lossStyle
        self.lossTV = lossTV
    }
}
