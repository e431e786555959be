/// Progress of one job.
public struct JobSummary: Sendable, Hashable {
    public var jobID: String
    public var name: String
    public var priority: Int
    public var state: JobState
    public var framesTotal: Int
    public var framesDone: Int
    public var framesFailed: Int
    /// Tasks per state (states with no task are absent).
    public var tasks: [TaskState: Int]

    public init(jobID: String, name: String, priority: Int, state: JobState, framesTotal: Int,
                framesDone: Int, framesFailed: Int, tasks: [TaskState: Int]) {
        self.jobID = jobID
        self.name = name
        self.priority = priority
        self.state = state
        self.framesTotal = framesTotal
        self.framesDone = framesDone
        self.framesFailed = framesFailed
        self.tasks = tasks
    }
}

/// A task handed to a worker by ``JobStore/claimTasks(for:max:now:)``.
public struct TaskClaim: Sendable, Hashable {
    /// The task as stored after the claim (state `assigned`).
    public var task: TaskRecord
    /// The attempt number the worker must quote in its reports.
    public var attempt: Int
}

/// What ``JobStore/recoverAfterRestart(now:)`` did.
public struct RecoveryReport: Sendable, Hashable {
    /// Tasks that were assigned or running and went back to the queue (no attempt used).
    public var requeuedTasks: Int
    /// Workers marked dead until they register again.
    public var workersMarkedDead: Int
}

/// What ``JobStore/requeueFrames(ofJob:frames:failed:now:)`` did.
public struct RequeueReport: Sendable, Hashable {
    /// Frame indices queued again, ascending.
    public var frames: [Int] = []
    /// Frame indices left alone because a task of theirs is still queued or in flight, ascending.
    public var skipped: [Int] = []
    /// Tasks queued again (the frames' own, and the intermediate steps they need).
    public var tasks = 0

    public init(frames: [Int] = [], skipped: [Int] = [], tasks: Int = 0) {
        self.frames = frames
        self.skipped = skipped
        self.tasks = tasks
    }
}

/// What ending the attempts of a worker's tasks as lost did (``JobStore/requeueTasks(ofWorker:reason:charged:now:)``).
public struct LossReport: Sendable, Hashable {
    /// Tasks queued again, sorted.
    public var requeued: [String] = []
    /// Tasks that failed for good: this loss was their `max_lost`-th (a poison frame), sorted.
    public var failed: [String] = []

    public init(requeued: [String] = [], failed: [String] = []) {
        self.requeued = requeued
        self.failed = failed
    }
}
