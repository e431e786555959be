/// The legal moves of one task, as a value that does no I/O.
///
/// Every input returns an ``Action`` that says what the caller (the job store, the dispatcher) must
/// do; the machine itself only updates its fields. Inputs that come from workers carry the attempt
/// number they were handed, so a result that arrives for an attempt that is no longer current (the
/// task was reassigned after its worker was declared dead, or the job was cancelled) is answered
/// with ``Action/ignoreStale(_:)`` and changes nothing.
///
/// Attempts: each assignment gets a new attempt number (1, 2, …). ``attemptsUsed`` counts only
/// attempts that ended with a result, an error or a timeout; attempts lost to a dead worker or a
/// coordinator restart, or recalled (a pause with `--now`), are numbered but don't count against
/// ``maxAttempts``. Losses charged to the task — its worker died while holding it, as an out-of-memory
/// frame kills every worker it lands on — count in ``attemptsLost``: at ``maxLost`` the task fails
/// ("poison frame") instead of going round the farm for ever; a coordinator restart is not charged.
public struct TaskStateMachine: Sendable, Hashable {
    /// Why an input was ignored.
    public enum IgnoreReason: String, Sendable, Hashable {
        /// The input names an attempt other than the current one.
        case staleAttempt
        /// The task already reached `completed`, `failed` or `cancelled`.
        case alreadyFinished
        /// The task is not in a state where the input applies (e.g. assigning a running task).
        case wrongState
    }

    /// What the caller must do after an input.
    public enum Action: Sendable, Hashable {
        /// Hand the task to the worker as attempt `attempt`.
        case assign(attempt: Int)
        /// Record that the attempt started running.
        case start
        /// Record the result; the task is completed.
        case complete
        /// The attempt failed and attempts remain: the task is queued again.
        case retry
        /// The attempt failed and the task failed for good (no attempts left or not retryable).
        case giveUp
        /// The attempt was lost (dead worker, coordinator restart) or recalled: queued again, no attempt used.
        case requeue
        /// The task was cancelled (a worker that holds it, if any, should be told to drop it).
        case cancel
        /// Nothing changes.
        case ignoreStale(IgnoreReason)
    }

    /// The current state.
    public private(set) var state: TaskState
    /// The number of the latest attempt (0 before the first assignment).
    public private(set) var attempt: Int
    /// Attempts that ended with a result or an error.
    public private(set) var attemptsUsed: Int
    /// How many attempts may end in an error before the task fails for good (at least 1).
    public let maxAttempts: Int
    /// Attempts lost while a worker held the task and died (``lost(attempt:charged:)`` with `charged`).
    public private(set) var attemptsLost: Int
    /// How many charged losses fail the task (at least 1).
    public let maxLost: Int

    /// The default of ``maxLost``: a frame that took three workers down with it is not tried a fourth time.
    public static let defaultMaxLost = 3

    /// A machine in the given state (a fresh task by default, or one loaded from the store).
    public init(state: TaskState = .queued, attempt: Int = 0, attemptsUsed: Int = 0, maxAttempts: Int,
                attemptsLost: Int = 0, maxLost: Int = TaskStateMachine.defaultMaxLost) {
        self.state = state
        self.attempt = max(0, attempt)
        self.attemptsUsed = max(0, attemptsUsed)
        self.maxAttempts = max(1, maxAttempts)
        self.attemptsLost = max(0, attemptsLost)
        self.maxLost = max(1, maxLost)
    }

    /// Hands a queued task to a worker: a new attempt number.
    public mutating func assign() -> Action {
        guard state == .queued else { return .ignoreStale(state.isTerminal ? .alreadyFinished : .wrongState) }
        attempt += 1
        state = .assigned
        return .assign(attempt: attempt)
    }

    /// The worker says attempt `attempt` started.
    public mutating func started(attempt: Int) -> Action {
        if let reason = staleness(of: attempt) { return .ignoreStale(reason) }
        guard state == .assigned else { return .ignoreStale(.wrongState) }
        state = .running
        return .start
    }

    /// The worker returned a result for attempt `attempt` (from `assigned` too: quick tasks may
    /// finish before the start report arrives).
    public mutating func succeeded(attempt: Int) -> Action {
        if let reason = staleness(of: attempt) { return .ignoreStale(reason) }
        attemptsUsed += 1
        state = .completed
        return .complete
    }

    /// The worker reported an error for attempt `attempt`. A retryable error queues the task again
    /// while attempts remain; otherwise the task fails for good.
    public mutating func failed(attempt: Int, retryable: Bool) -> Action {
        if let reason = staleness(of: attempt) { return .ignoreStale(reason) }
        attemptsUsed += 1
        if retryable && attemptsUsed < maxAttempts {
            state = .queued
            return .retry
        }
        state = .failed
        return .giveUp
    }

    /// Attempt `attempt` was lost without a verdict. `charged`: its worker died or restarted while holding
    /// it, which counts toward ``maxLost`` — at that many the task fails for good (``Action/giveUp``);
    /// otherwise (the coordinator restarted, the worker left cleanly) it is queued again and nothing counts.
    public mutating func lost(attempt: Int, charged: Bool) -> Action {
        if let reason = staleness(of: attempt) { return .ignoreStale(reason) }
        if charged {
            attemptsLost += 1
            if attemptsLost >= maxLost {
                state = .failed
                return .giveUp
            }
        }
        state = .queued
        return .requeue
    }

    /// Attempt `attempt` ran past its job's task timeout: it counts as a failed attempt (retried while
    /// attempts remain, else the task fails for good).
    public mutating func timedOut(attempt: Int) -> Action {
        failed(attempt: attempt, retryable: true)
    }

    /// Attempt `attempt` is called back (its job paused with `--now`, or preempted): queued again,
    /// nothing counts.
    public mutating func recall(attempt: Int) -> Action {
        lost(attempt: attempt, charged: false)
    }

    /// The job was cancelled.
    public mutating func cancel() -> Action {
        guard !state.isTerminal else { return .ignoreStale(.alreadyFinished) }
        state = .cancelled
        return .cancel
    }

    private func staleness(of reported: Int) -> IgnoreReason? {
        if state.isTerminal { return .alreadyFinished }
        if reported != attempt || !state.isInFlight { return .staleAttempt }
        return nil
    }
}
