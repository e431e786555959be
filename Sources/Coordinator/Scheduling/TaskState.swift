/// The life of one task (a frame, or a tile of a frame) on the farm.
///
/// `queued → assigned → running → completed`, with `failed` and `cancelled` as the other ends.
/// A task that was assigned or running goes back to `queued` when its worker dies, when its
/// attempt failed and attempts remain, or when the coordinator restarts.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting for a worker.
    case queued
    /// Handed to a worker; the worker has not said it started.
    case assigned
    /// The worker said it started.
    case running
    /// The worker returned a result.
    case completed
    /// Failed for good: no attempts left, or the error was not retryable.
    case failed
    /// Its job was cancelled.
    case cancelled

    /// `true` for `completed`, `failed` and `cancelled`: nothing moves the task any more.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled: return true
        case .queued, .assigned, .running: return false
        }
    }

    /// `true` while a worker holds the task (`assigned` or `running`).
    public var isInFlight: Bool { self == .assigned || self == .running }
}
