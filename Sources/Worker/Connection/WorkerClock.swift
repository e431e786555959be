import Foundation

/// A point in time for the worker's connection logic: a duration since an arbitrary epoch, so tests can
/// drive the state machine and the loop with a fake clock.
public struct WorkerInstant: InstantProtocol, Sendable, Hashable {
    public var sinceEpoch: Duration
    public init(_ sinceEpoch: Duration) { self.sinceEpoch = sinceEpoch }
    public func advanced(by duration: Duration) -> WorkerInstant { WorkerInstant(sinceEpoch + duration) }
    public func duration(to other: WorkerInstant) -> Duration { other.sinceEpoch - sinceEpoch }
    public static func < (a: WorkerInstant, b: WorkerInstant) -> Bool { a.sinceEpoch < b.sinceEpoch }
}

/// Time and sleeping for the worker loop (injected; `SystemWorkerClock` in production).
public protocol WorkerClock: AnyObject, Sendable {
    var now: WorkerInstant { get }
    /// Blocks the calling thread for `duration` (the loop only sleeps while it has no socket).
    func sleep(for duration: Duration)
}

/// The monotonic system clock.
public final class SystemWorkerClock: WorkerClock, @unchecked Sendable {
    private let start = ContinuousClock.now
    public init() {}
    public var now: WorkerInstant { WorkerInstant(start.duration(to: ContinuousClock.now)) }
    public func sleep(for duration: Duration) {
        guard duration > .zero else { return }
        Thread.sleep(forTimeInterval: duration / .seconds(1))
    }
}
