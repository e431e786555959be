import Foundation

/// The coordinator's persistent state: jobs, their frames and tasks, attempts and workers.
///
/// Every method is one transaction. Implementations: ``SQLiteJobStore`` over a file
/// (`DatabasePool`, WAL mode) for the coordinator, and over `:memory:` (`DatabaseQueue`) for tests.
/// All methods throw ``PersistenceError``.
public protocol JobStore: Sendable {
    /// Stores a job with its frames and tasks. The store assigns the job's submission sequence and
    /// sets it `queued`, the frames `pending` and the tasks `queued` with no attempts.
    /// Throws `duplicateJob` or `invalidJob` (priority outside 0…100, a task for a missing frame,
    /// a task of another job, duplicate ids, no tasks).
    @discardableResult
    func insertJob(_ job: JobRecord, frames: [FrameRecord], tasks: [TaskRecord], now: Date) throws -> JobRecord

    /// Hands up to `max` queued tasks to `workerID`: highest job priority first, then earliest
    /// submitted job, then lowest frame index. Each becomes `assigned` with a new attempt
    /// recorded; the job becomes `running`. One transaction: no task is handed out twice.
    func claimTasks(for workerID: String, max: Int, now: Date) throws -> [TaskClaim]

    /// Applies many worker reports in one transaction, in order; returns one outcome per change.
    /// Finishing the last task of a frame or job rolls the frame and job state up.
    /// Throws `taskNotFound`/`jobNotFound` (and applies nothing) if a change names an unknown id.
    func apply(_ changes: [StateChange], now: Date) throws -> [StateChangeOutcome]

    /// Ends the attempts of the tasks `workerID` holds as `lost` (with `reason`) and marks the worker dead.
    /// They go back to the queue without using an attempt; `charged` losses (the worker died holding them)
    /// count toward each task's `max_lost`, and a task that reaches it fails for good (its dependents too).
    func requeueTasks(ofWorker workerID: String, reason: String, charged: Bool, now: Date) throws -> LossReport

    /// Cancels a job: unfinished tasks and frames become `cancelled`, held attempts `cancelled`.
    /// Returns the ids of tasks that were assigned or running (their workers should drop them).
    /// Cancelling a finished job changes nothing.
    func cancelJob(_ jobID: String, now: Date) throws -> [String]

    /// Pauses a job that has not finished: none of its tasks is claimed until ``resumeJob(_:now:)``; tasks in
    /// flight go on (the caller may recall them). Returns false when it was paused already. Throws
    /// `jobNotFound`, or `invalidJob` for a finished job.
    func pauseJob(_ jobID: String, reason: String, now: Date) throws -> Bool

    /// Resumes a paused job. Returns false when it was not paused.
    func resumeJob(_ jobID: String, now: Date) throws -> Bool

    /// Changes a job's priority (0…100); its queued tasks move in the dispatch order at once.
    func setPriority(ofJob jobID: String, to priority: Int, now: Date) throws

    /// Queues frames of a job again (also of a finished job): `frames` (indices), and every failed frame when
    /// `failed`. Frames with a task still queued or in flight are skipped. Each chosen frame's tasks go back to
    /// `queued` with fresh attempt counts, with the intermediate steps they need (flows, earlier sweeps,
    /// tiles: tasks whose results are not outputs, which are removed when a job finishes). Throws
    /// `jobNotFound`, or `invalidJob` for a cancelled job or an index the job does not have.
    func requeueFrames(ofJob jobID: String, frames: [Int], failed: Bool, now: Date) throws -> RequeueReport

    /// Forgets the failures of `worker` (nil: every worker) on a job, so a blocklisted worker takes its tasks
    /// again. Returns the workers whose count was cleared, sorted.
    func unblockWorkers(ofJob jobID: String, worker: String?, now: Date) throws -> [String]

    /// Deletes a finished job and everything stored about it. Returns the tasks deleted.
    @discardableResult
    func deleteJob(_ jobID: String) throws -> Int

    /// After a coordinator restart: tasks that were assigned or running go back to the queue
    /// (attempts recorded as `lost`, none used), workers are marked dead until they register again.
    /// Finished tasks and frames stay finished.
    func recoverAfterRestart(now: Date) throws -> RecoveryReport

    /// Registers or updates a worker (alive, seen at `worker.lastSeen`).
    func upsertWorker(_ worker: WorkerRecord) throws

    /// Records a heartbeat. Returns `false` (and changes nothing) for an unknown worker.
    @discardableResult
    func recordHeartbeat(workerID: String, at time: Date) throws -> Bool

    /// One job, or `nil`.
    func job(_ jobID: String) throws -> JobRecord?
    /// All jobs, in dispatch order (priority descending, then submission order).
    func listJobs() throws -> [JobRecord]
    /// Progress of one job. Throws `jobNotFound`.
    func summary(ofJob jobID: String) throws -> JobSummary
    /// One task, or `nil`.
    func task(_ taskID: String) throws -> TaskRecord?
    /// The tasks of a job, by frame index then id.
    func tasks(ofJob jobID: String) throws -> [TaskRecord]
    /// The frames of a job, by index.
    func frames(ofJob jobID: String) throws -> [FrameRecord]
    /// The attempts of a task, by number.
    func attempts(ofTask taskID: String) throws -> [AttemptRecord]
    /// One worker, or `nil`.
    func worker(_ workerID: String) throws -> WorkerRecord?
    /// All workers, by id.
    func listWorkers() throws -> [WorkerRecord]
}

extension JobStore {
    /// The worker `workerID` died holding its tasks: ``requeueTasks(ofWorker:reason:charged:now:)``, charged.
    /// Returns the requeued task ids, sorted.
    @discardableResult
    public func requeueTasks(ofWorker workerID: String, now: Date) throws -> [String] {
        try requeueTasks(ofWorker: workerID, reason: "worker died", charged: true, now: now).requeued
    }

    /// The worker started attempt `attempt` of `taskID`.
    @discardableResult
    public func markRunning(_ taskID: String, attempt: Int, now: Date) throws -> StateChangeOutcome {
        try apply([.started(taskID: taskID, attempt: attempt)], now: now)[0]
    }

    /// Attempt `attempt` of `taskID` returned a result.
    @discardableResult
    public func complete(_ taskID: String, attempt: Int, resultSHA256: String, now: Date) throws -> StateChangeOutcome {
        try apply([.completed(taskID: taskID, attempt: attempt, resultSHA256: resultSHA256)], now: now)[0]
    }

    /// Attempt `attempt` of `taskID` failed.
    @discardableResult
    public func fail(_ taskID: String, attempt: Int, error: String, retryable: Bool, now: Date) throws -> StateChangeOutcome {
        try apply([.failed(taskID: taskID, attempt: attempt, error: error, retryable: retryable)], now: now)[0]
    }
}
