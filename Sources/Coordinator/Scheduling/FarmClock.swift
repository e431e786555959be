import Foundation

/// Where the scheduling code gets the time from, so tests can move it by hand.
public protocol FarmClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The wall clock.
public struct SystemFarmClock: FarmClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to (tests, simulations). Safe to share between threads.
public final class ManualFarmClock: FarmClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    /// A clock that reads `start` until advanced.
    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    public func now() -> Date {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        lock.lock(); defer { lock.unlock() }
        current = current.addingTimeInterval(seconds)
    }
}
