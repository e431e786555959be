import Foundation

/// How an attempt ended.
public enum AttemptOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// Still assigned or running.
    case pending
    /// Returned a result.
    case succeeded
    /// Returned an error.
    case failed
    /// Its worker died, or the coordinator restarted: no verdict, no attempt used (a worker's death counts
    /// toward the task's `max_lost`; the error message says which it was).
    case lost
    /// The job was cancelled, or paused with `--now`, while the attempt was out.
    case cancelled
    /// It ran past its job's task timeout and was cancelled on its worker; it counts as an attempt.
    case timeout
}

/// One hand-out of a task to a worker.
public struct AttemptRecord: Sendable, Hashable {
    public var taskID: String
    /// 1, 2, … per task.
    public var number: Int
    public var workerID: String
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: AttemptOutcome
    public var errorMessage: String?
    /// The worker's log of the attempt, when it shipped one.
    public var log: String?
    /// What the worker measured, on a succeeded attempt.
    public var stats: AttemptStats?

    public init(taskID: String, number: Int, workerID: String, startedAt: Date, endedAt: Date? = nil,
                outcome: AttemptOutcome = .pending, errorMessage: String? = nil, log: String? = nil,
                stats: AttemptStats? = nil) {
        self.log = log
        self.stats = stats
        self.taskID = taskID
        self.number = number
        self.workerID = workerID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.errorMessage = errorMessage
    }
}
