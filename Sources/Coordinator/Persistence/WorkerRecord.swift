import Foundation

/// What the coordinator last knew of a worker.
public enum WorkerState: String, Sendable, Hashable, CaseIterable, Codable {
    case alive
    /// Declared dead (missed heartbeats) or not yet re-registered after a coordinator restart.
    case dead
}

/// A worker, as registered.
public struct WorkerRecord: Sendable, Hashable {
    public var id: String
    public var hostname: String
    public var cores: Int
    public var memoryBytes: Int64
    public var engineVersion: String
    /// Task slots it announced.
    public var slots: Int
    public var lastSeen: Date
    public var state: WorkerState
    /// Why it was marked unhealthy (it claims no tasks until cleared); `nil` while healthy. Registering
    /// (``JobStore/upsertWorker(_:)``) leaves it as it is.
    public var unhealthyReason: String?

    public init(id: String, hostname: String, cores: Int, memoryBytes: Int64, engineVersion: String,
                slots: Int, lastSeen: Date, state: WorkerState = .alive, unhealthyReason: String? = nil) {
        self.unhealthyReason = unhealthyReason
        self.id = id
        self.hostname = hostname
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.engineVersion = engineVersion
        self.slots = slots
        self.lastSeen = lastSeen
        self.state = state
    }
}
