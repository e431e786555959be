import JobModel
/// One unit of work: a frame, or a tile of a frame.
public struct TaskRecord: Sendable, Hashable {
    /// Unique id (chosen by the planner).
    public var id: String
    public var jobID: String
    public var frameIndex: Int
    public var region: TaskRegion
    public var state: TaskState
    /// Attempts that ended with a result or an error (lost attempts don't count).
    public var attemptsUsed: Int
    /// Attempts allowed to end in an error before the task fails for good.
    public var maxAttempts: Int
    /// Attempts lost because the worker holding the task died (``TaskStateMachine/attemptsLost``).
    public var attemptsLost: Int
    /// Charged losses that fail the task (a poison frame; ``TaskStateMachine/maxLost``).
    public var maxLost: Int
    /// The number of the latest attempt (0 if never assigned); results must name it.
    public var currentAttempt: Int
    /// The worker holding the task while `assigned`/`running`.
    public var assignedWorker: String?
    /// The error of the latest failed attempt.
    public var lastError: String?
    /// SHA-256 (hex) of the task's result (the rendered frame or tile), once completed.
    public var resultSHA256: String?
    /// Tasks of the same job that must complete before this one is dispatched (a frame's flow before
    /// its stylization, frame t−1 before t in a sequential job, sweep k−1 before sweep k). If one fails
    /// for good, this task fails too.
    public var dependencies: [String]
    /// Whether this task's result is its frame's output. Flow tasks and the intermediate sweeps of a
    /// multipass job are not: their results only feed other tasks.
    public var producesOutput: Bool

    /// A task to insert (state queued, no attempts).
    public init(id: String, jobID: String, frameIndex: Int, region: TaskRegion, maxAttempts: Int = 3,
                state: TaskState = .queued, attemptsUsed: Int = 0, currentAttempt: Int = 0,
                assignedWorker: String? = nil, lastError: String? = nil, resultSHA256: String? = nil,
                dependencies: [String] = [], producesOutput: Bool = true,
                attemptsLost: Int = 0, maxLost: Int = TaskStateMachine.defaultMaxLost) {
        self.attemptsLost = attemptsLost
        self.maxLost = maxLost
        self.id = id
        self.jobID = jobID
        self.frameIndex = frameIndex
        self.region = region
        self.state = state
        self.attemptsUsed = attemptsUsed
        self.maxAttempts = maxAttempts
        self.currentAttempt = currentAttempt
        self.assignedWorker = assignedWorker
        self.lastError = lastError
        self.resultSHA256 = resultSHA256
        self.dependencies = dependencies
        self.producesOutput = producesOutput
    }
}
