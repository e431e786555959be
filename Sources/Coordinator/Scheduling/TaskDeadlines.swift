import Foundation

/// When each task a worker holds runs out of time (its job's `task_timeout`, else the coordinator's
/// `--task-timeout`): a value that does no I/O and reads no clock.
///
/// The clock starts when the assignment is sent, so the limit covers fetching the task's inputs too. The
/// coordinator calls ``expired(now:)`` every loop iteration; the check is one comparison until the earliest
/// deadline passes, then one pass over the held tasks (as many as the farm has slots). An expired task's
/// worker is told to drop it and the attempt ends as `timeout` (counted; retried while attempts remain).
public struct TaskDeadlines: Sendable {
    /// A task whose time ran out.
    public struct Expired: Sendable, Hashable {
        public var taskID: String
        public var attempt: Int
        public var workerID: String
        /// The limit it ran past, in seconds.
        public var limit: TimeInterval
    }

    private struct Entry: Sendable {
        var attempt: Int
        var workerID: String
        var limit: TimeInterval
        var deadline: Date
    }

    private var entries: [String: Entry] = [:]
    /// No deadline is earlier than this (it may be earlier than the true earliest after ``end(_:)``: one
    /// pass more, never one missed).
    public private(set) var earliest: Date?

    public init() {}

    /// Attempt `attempt` of `taskID` was sent to `workerID` at `now`; `limit` seconds (nil or ≤ 0: no limit).
    public mutating func start(_ taskID: String, attempt: Int, workerID: String, limit: TimeInterval?, now: Date) {
        guard let limit, limit > 0, limit.isFinite else {
            entries[taskID] = nil
            return
        }
        let deadline = now.addingTimeInterval(limit)
        entries[taskID] = Entry(attempt: attempt, workerID: workerID, limit: limit, deadline: deadline)
        earliest = min(earliest ?? deadline, deadline)
    }

    /// The task's attempt ended (a report, a loss, a cancellation): no deadline.
    public mutating func end(_ taskID: String) {
        entries[taskID] = nil
        if entries.isEmpty { earliest = nil }
    }

    /// Every task `workerID` holds ended (it died, restarted or said goodbye).
    public mutating func endAll(of workerID: String) {
        entries = entries.filter { $0.value.workerID != workerID }
        if entries.isEmpty { earliest = nil }
    }

    /// The tasks whose deadline is at or before `now` (by task id), removed.
    public mutating func expired(now: Date) -> [Expired] {
        guard let earliest, earliest <= now else { return [] }
        var expired: [Expired] = []
        var next: Date?
        for (id, entry) in entries {
            if entry.deadline <= now {
                expired.append(Expired(taskID: id, attempt: entry.attempt, workerID: entry.workerID, limit: entry.limit))
            } else {
                next = min(next ?? entry.deadline, entry.deadline)
            }
        }
        for task in expired { entries[task.taskID] = nil }
        self.earliest = next
        return expired.sorted { $0.taskID < $1.taskID }
    }
}
