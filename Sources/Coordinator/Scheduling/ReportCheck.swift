import Foundation

/// Whether a worker's report on a task (its `Result` or `Failure`) answers an assignment that is still
/// current: the task, this attempt, held by this worker. Decided from the server's table of its own
/// assignments, else (tasks assigned before a restart) from the stored task, read only then. No I/O of its
/// own: the caller passes the lookup. A report that is not current changes nothing — not the task, not the
/// holder's credit, not the assignment table — so a late report of an earlier attempt, or a report from a
/// worker that never held the task, cannot end another worker's attempt.
enum ReportCheck {
    /// The server's record of an assignment it sent.
    struct Sent: Sendable, Equatable {
        var jobID: String
        var frameIndex: Int
        var attempt: Int
        var workerID: String
    }

    enum Verdict: Sendable, Equatable {
        /// The report answers the current attempt; `fromTable` when the server's own table said so.
        case current(jobID: String, frameIndex: Int, fromTable: Bool)
        /// Another attempt, another holder, or a task that is no longer in flight.
        case stale
        /// No such task.
        case unknownTask
    }

    static func check(attempt: Int, from workerID: String, sent: Sent?, stored: () throws -> TaskRecord?) -> Verdict {
        if let sent {
            guard sent.attempt == attempt, sent.workerID == workerID else { return .stale }
            return .current(jobID: sent.jobID, frameIndex: sent.frameIndex, fromTable: true)
        }
        guard let task = try? stored() else { return .unknownTask }
        guard task.state.isInFlight, task.currentAttempt == attempt, task.assignedWorker == workerID else { return .stale }
        return .current(jobID: task.jobID, frameIndex: task.frameIndex, fromTable: false)
    }
}
