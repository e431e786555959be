import Foundation

/// The state of a whole job, rolled up from its tasks.
public enum JobState: String, Sendable, Hashable, CaseIterable, Codable {
    /// No task was claimed yet.
    case queued
    /// At least one task was claimed, and some task is not finished.
    case running
    /// Every task completed.
    case completed
    /// Every task finished and at least one failed for good.
    case failed
    /// Cancelled by a user.
    case cancelled

    /// `true` for `completed`, `failed` and `cancelled`.
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// One submitted job, as stored.
public struct JobRecord: Sendable, Hashable {
    /// Unique id (chosen by the submitter/planner).
    public var id: String
    /// Human-readable name.
    public var name: String
    /// The job specification, as JSON (opaque to the store).
    public var spec: Data
    /// 0…100; higher is dispatched first.
    public var priority: Int
    /// Submission order, assigned by the store on insert (ties in priority go first-in, first-out).
    public var sequence: Int64
    public var state: JobState
    public var createdAt: Date
    public var updatedAt: Date
    /// Hash of the style targets (the style images and weights), so workers can cache Gram targets.
    public var styleTargetsHash: String
    /// The name of the client key that submitted it (docs/SECURITY.md); empty without CurveZMQ.
    public var owner: String
    /// Why the job is paused (no task of it is handed out), or nil when it is not.
    public var pausedReason: String?
    /// Failed attempts of one worker after which it gets no more tasks of this job (0: never).
    public var blocklistThreshold: Int

    /// The valid priority range.
    public static let priorityRange = 0...100

    /// A job to insert; `sequence`, `state` and times are set by the store.
    public init(id: String, name: String, spec: Data, priority: Int, styleTargetsHash: String,
                sequence: Int64 = 0, state: JobState = .queued,
                createdAt: Date = Date(timeIntervalSince1970: 0), updatedAt: Date = Date(timeIntervalSince1970: 0),
                owner: String = "", pausedReason: String? = nil, blocklistThreshold: Int = 3) {
        self.blocklistThreshold = blocklistThreshold
        self.owner = owner
        self.pausedReason = pausedReason
        self.id = id
        self.name = name
        self.spec = spec
        self.priority = priority
        self.sequence = sequence
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.styleTargetsHash = styleTargetsHash
    }
}
