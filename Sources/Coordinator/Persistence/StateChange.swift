/// What a worker reported about one task, to be applied by ``JobStore/apply(_:now:)``; many changes
/// are applied in one transaction. Each names the attempt it is about, so reports about an attempt
/// that is no longer current are ignored (``StateChangeOutcome/ignored(_:)``).
public enum StateChange: Sendable, Hashable {
    /// The worker started the attempt.
    case started(taskID: String, attempt: Int)
    /// The attempt returned a result whose bytes hash to `resultSHA256` (hex).
    case completed(taskID: String, attempt: Int, resultSHA256: String)
    /// The attempt failed; a retryable failure queues the task again while attempts remain.
    case failed(taskID: String, attempt: Int, error: String, retryable: Bool)
    /// Reassembly wrote a tiled frame; records the frame's hash.
    case frameAssembled(jobID: String, frameIndex: Int, sha256: String)
}

/// What applying one ``StateChange`` did.
public enum StateChangeOutcome: Sendable, Hashable {
    /// The task moved to this state (`running`, `completed`, `queued` on retry, `failed`).
    case task(TaskState)
    /// The frame's hash was recorded.
    case frameRecorded
    /// Nothing changed (stale attempt, task already finished, or wrong state).
    case ignored(TaskStateMachine.IgnoreReason)
}
