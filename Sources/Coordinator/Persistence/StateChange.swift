/// What a worker reported about one task, to be applied by ``JobStore/apply(_:now:)``; many changes
/// are applied in one transaction. Each names the attempt it is about, so reports about an attempt
/// that is no longer current are ignored (``StateChangeOutcome/ignored(_:)``).
public enum StateChange: Sendable, Hashable {
    /// The worker started the attempt.
    case started(taskID: String, attempt: Int)
    /// The attempt returned a result whose bytes hash to `resultSHA256` (hex).
    case completed(taskID: String, attempt: Int, resultSHA256: String)
    /// The attempt failed; a retryable failure queues the task again while attempts remain. `byWorker`: the
    /// worker's failure (its error, a bad result), which counts toward blocklisting it for the job; false when
    /// the coordinator could not prepare the task.
    case failed(taskID: String, attempt: Int, error: String, retryable: Bool, byWorker: Bool = true)
    /// The attempt ended without a verdict: its worker died or restarted (`charged`: counts toward the task's
    /// `max_lost`), or the coordinator restarted (not charged). Queued again, or failed at `max_lost`.
    case lost(taskID: String, attempt: Int, reason: String, charged: Bool)
    /// The attempt ran past its job's task timeout (its worker was told to drop it): a failed attempt, retried
    /// while attempts remain; the attempt's outcome is `timeout`.
    case timedOut(taskID: String, attempt: Int, error: String)
    /// The attempt was called back (its job paused with `--now`): queued again, nothing counted, outcome
    /// `cancelled`.
    case recalled(taskID: String, attempt: Int, reason: String)
    /// The log a worker shipped with its report on the attempt (kept with the attempt, for `stylefarm logs`).
    case attemptLog(taskID: String, attempt: Int, text: String)
    /// What the worker measured of the attempt it reported a result for (kept with the attempt: a job's detail).
    case attemptStats(taskID: String, attempt: Int, stats: AttemptStats)
    /// The coordinator measured the finished frame's warp error against its predecessor (`WarpErrorMeter`), over
    /// `certain` of its pixels (0…1).
    case frameWarpError(jobID: String, frameIndex: Int, warpError: Double, certain: Double)
    /// Reassembly wrote a tiled frame; records the frame's hash.
    case frameAssembled(jobID: String, frameIndex: Int, sha256: String)
}

/// What applying one ``StateChange`` did.
public enum StateChangeOutcome: Sendable, Hashable {
    /// The task moved to this state (`running`, `completed`, `queued` on retry or loss, `failed`).
    case task(TaskState)
    /// The frame's hash was recorded.
    case frameRecorded
    /// The attempt's log (or its stats) was stored.
    case logRecorded
    /// Nothing changed (stale attempt, task already finished, or wrong state).
    case ignored(TaskStateMachine.IgnoreReason)
}

extension StateChange {
    /// The task the change is about (nil for the frame's own changes, ``frameAssembled(jobID:frameIndex:sha256:)`` and
    /// ``frameWarpError(jobID:frameIndex:warpError:certain:)``).
    public var taskID: String? {
        switch self {
        case .started(let id, _), .completed(let id, _, _), .failed(let id, _, _, _, _), .lost(let id, _, _, _),
             .timedOut(let id, _, _), .recalled(let id, _, _), .attemptLog(let id, _, _), .attemptStats(let id, _, _):
            return id
        case .frameAssembled, .frameWarpError:
            return nil
        }
    }

    /// Whether the change, if it fails an attempt, counts toward blocklisting the task's worker for its job
    /// (a worker's failure or a timeout; not a loss, a recall or a task the coordinator could not prepare).
    public var countsAgainstWorker: Bool {
        switch self {
        case .failed(_, _, _, _, let byWorker): return byWorker
        case .timedOut: return true
        default: return false
        }
    }
}
