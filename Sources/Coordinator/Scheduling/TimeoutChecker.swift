import Foundation

/// Runs ``WorkerLiveness/tick(now:)`` with the time from an injected clock; the coordinator calls
/// ``check()`` on a timer and requeues the dead workers' tasks in the job store.
public struct TimeoutChecker<Clock: FarmClock>: Sendable {
    public let clock: Clock
    public var liveness: WorkerLiveness

    public init(clock: Clock, liveness: WorkerLiveness = WorkerLiveness()) {
        self.clock = clock
        self.liveness = liveness
    }

    /// The workers that died since the last check, with the tasks they held.
    public mutating func check() -> [WorkerLiveness.DeadWorker] {
        liveness.tick(now: clock.now())
    }
}
