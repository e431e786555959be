import Foundation

/// A cancel flag shared between the thread that runs a task and the one that receives `Cancel`.
/// The executor checks it from the engine's progress callback and while sleeping.
public final class TaskCancellation: @unchecked Sendable {
    private let condition = NSCondition()
    private var cancelled = false

    public init() {}

    /// Whether `cancel()` was called.
    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Requests cancellation; wakes a sleeping task.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps up to `seconds`; returns false (early) when cancelled.
    public func sleep(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !cancelled {
            if !condition.wait(until: deadline) { return !cancelled }
        }
        return false
    }
}
