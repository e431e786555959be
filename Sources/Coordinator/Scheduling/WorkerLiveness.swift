import Foundation

/// Which workers are alive, what they hold, and how many more tasks each may take: a value that
/// does no I/O and reads no clock (the time comes in with every input).
///
/// A worker registers with its slot count, sends heartbeats (which may announce a new slot count)
/// and is declared dead by ``tick(now:)`` once `missedIntervals` heartbeat intervals passed without
/// one. Its in-flight tasks then come back in ``DeadWorker/tasks`` for the caller to requeue. A dead
/// worker id that registers again starts afresh.
///
/// Credits: a worker never holds more in-flight tasks than its announced slots;
/// ``credits(for:)`` is how many more it may take and ``reserve(_:for:)`` takes them.
public struct WorkerLiveness: Sendable {
    /// Heartbeat timing.
    public struct Configuration: Sendable, Hashable {
        /// Seconds between heartbeats a worker is expected to send (default 1).
        public var heartbeatInterval: TimeInterval
        /// Missed intervals after which a worker is dead (default 3).
        public var missedIntervals: Int

        public init(heartbeatInterval: TimeInterval = 1, missedIntervals: Int = 3) {
            self.heartbeatInterval = heartbeatInterval
            self.missedIntervals = max(1, missedIntervals)
        }

        /// Silence after which a worker is dead: `heartbeatInterval × missedIntervals`.
        public var deadline: TimeInterval { heartbeatInterval * Double(missedIntervals) }
    }

    /// What a registration did.
    public enum Registration: Sendable, Hashable {
        /// A worker id never seen before.
        case new
        /// A worker id that had been declared dead; its old tasks were handed back by `tick`.
        case returnedFromDead
        /// A worker id that was alive re-registered (its process restarted): the tasks it held are
        /// lost and must be requeued by the caller.
        case restarted(lostTasks: [String])
    }

    /// What a heartbeat did.
    public enum Heartbeat: Sendable, Hashable {
        /// Recorded.
        case accepted
        /// The worker is unknown or was declared dead: it must register again.
        case mustRegister
    }

    /// A worker that `tick` just declared dead.
    public struct DeadWorker: Sendable, Hashable {
        public var id: String
        /// The tasks it held, sorted; the caller requeues them without using an attempt.
        public var tasks: [String]
    }

    private struct Entry: Sendable {
        var slots: Int
        var lastSeen: Date
        var alive: Bool
        var inFlight: Set<String>
    }

    public let configuration: Configuration
    private var workers: [String: Entry] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Registers (or re-registers) `id` with `slots` task slots, seen at `now`.
    public mutating func register(_ id: String, slots: Int, now: Date) -> Registration {
        let previous = workers[id]
        workers[id] = Entry(slots: max(0, slots), lastSeen: now, alive: true, inFlight: [])
        guard let previous else { return .new }
        if !previous.alive { return .returnedFromDead }
        return .restarted(lostTasks: previous.inFlight.sorted())
    }

    /// A heartbeat from `id` at `now`, optionally announcing its slot count.
    public mutating func heartbeat(_ id: String, slots: Int? = nil, now: Date) -> Heartbeat {
        guard var entry = workers[id], entry.alive else { return .mustRegister }
        entry.lastSeen = max(entry.lastSeen, now)
        if let slots { entry.slots = max(0, slots) }
        workers[id] = entry
        return .accepted
    }

    /// Declares dead every live worker silent for at least ``Configuration/deadline`` seconds at
    /// `now`, and returns them (sorted by id) with the tasks they held. Each death is reported once.
    public mutating func tick(now: Date) -> [DeadWorker] {
        var dead: [DeadWorker] = []
        for (id, entry) in workers where entry.alive {
            if now.timeIntervalSince(entry.lastSeen) >= configuration.deadline {
                dead.append(DeadWorker(id: id, tasks: entry.inFlight.sorted()))
                workers[id]?.alive = false
                workers[id]?.inFlight = []
            }
        }
        return dead.sorted { $0.id < $1.id }
    }

    /// Whether `id` is registered and alive.
    public func isAlive(_ id: String) -> Bool { workers[id]?.alive ?? false }

    /// The live workers' ids, sorted.
    public var aliveWorkers: [String] { workers.filter { $0.value.alive }.map(\.key).sorted() }

    /// The tasks `id` holds, sorted (empty for an unknown or dead worker).
    public func inFlight(of id: String) -> [String] { workers[id]?.inFlight.sorted() ?? [] }

    /// How many more tasks `id` may take: announced slots minus in-flight tasks (0 if dead).
    public func credits(for id: String) -> Int {
        guard let entry = workers[id], entry.alive else { return 0 }
        return max(0, entry.slots - entry.inFlight.count)
    }

    /// Records `tasks` as held by `id`, as far as its credits go; returns the ones taken, in order.
    /// Tasks it already holds are not counted twice.
    public mutating func reserve(_ tasks: [String], for id: String) -> [String] {
        guard var entry = workers[id], entry.alive else { return [] }
        var taken: [String] = []
        for task in tasks where entry.inFlight.count < entry.slots && !entry.inFlight.contains(task) {
            entry.inFlight.insert(task)
            taken.append(task)
        }
        workers[id] = entry
        return taken
    }

    /// `id` no longer holds `task` (it finished, failed, or was cancelled). Returns whether it held it.
    @discardableResult
    public mutating func release(_ task: String, from id: String) -> Bool {
        workers[id]?.inFlight.remove(task) != nil
    }
}
