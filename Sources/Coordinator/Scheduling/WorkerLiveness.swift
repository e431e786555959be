import Foundation

/// Which workers are alive, what they hold, and how many more tasks each may take: a value that
/// does no I/O and reads no clock (the time comes in with every input).
///
/// A worker registers with its slot count, sends heartbeats (which may announce a new slot count)
/// and is declared dead by ``tick(now:)`` once `missedIntervals` heartbeat intervals passed without
/// one. Its in-flight tasks then come back in ``DeadWorker/tasks`` for the caller to requeue. A dead
/// worker id that registers again starts afresh.
///
/// Credits, the one record of them (issue 16: they were also kept in the server's sessions): a worker
/// takes work only after it says how many slots are free (``announce(_:freeSlots:)``, its `Ready`), and
/// never holds more in-flight tasks than its registered slots; ``credits(for:)`` is the smaller of the
/// two, ``reserve(_:for:)`` takes them, and ``unreserve(_:for:)`` gives one back for a task the worker
/// never received.
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
        /// Free slots the worker last announced, less the tasks reserved for it since.
        var announced = 0
        /// How many more tasks it may take: what it announced, within its free slots (0 if dead).
        var credits: Int { alive ? max(0, min(announced, slots - inFlight.count)) : 0 }
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

    /// The alive workers that may take a task now (`credits(for:) > 0`), sorted: what dispatch walks. With
    /// hundreds of workers mostly busy, sorting only these (not every alive worker) each loop iteration keeps a
    /// dispatch's cost from growing with the farm (docs/BENCHMARKS.md, "How far one coordinator goes").
    public var workersWithCredit: [String] {
        var ready: [String] = []
        for (id, entry) in workers where entry.credits > 0 {
            ready.append(id)
        }
        return ready.sorted()
    }

    /// The tasks `id` holds, sorted (empty for an unknown or dead worker).
    public func inFlight(of id: String) -> [String] { workers[id]?.inFlight.sorted() ?? [] }

    /// `id` says it has `freeSlots` free (its `Ready`): what it may take from now on, within its slots.
    /// Ignored for an unknown or dead worker (it must register first).
    public mutating func announce(_ id: String, freeSlots: Int) {
        guard workers[id]?.alive == true else { return }
        workers[id]?.announced = max(0, freeSlots)
    }

    /// How many more tasks `id` may take: the free slots it announced, at most its slots minus its
    /// in-flight tasks (0 if dead).
    public func credits(for id: String) -> Int {
        workers[id]?.credits ?? 0
    }

    /// Records `tasks` as held by `id`, as far as its credits go; returns the ones taken, in order.
    /// Tasks it already holds are not counted twice.
    public mutating func reserve(_ tasks: [String], for id: String) -> [String] {
        guard var entry = workers[id], entry.alive else { return [] }
        var taken: [String] = []
        for task in tasks where entry.announced > 0 && entry.inFlight.count < entry.slots && !entry.inFlight.contains(task) {
            entry.inFlight.insert(task)
            entry.announced -= 1
            taken.append(task)
        }
        workers[id] = entry
        return taken
    }

    /// A task reserved for `id` that it never received (its assignment could not be made): released, and
    /// its credit given back, or the worker would wait for work it was never sent.
    public mutating func unreserve(_ task: String, for id: String) {
        guard workers[id]?.inFlight.remove(task) != nil else { return }
        workers[id]?.announced += 1
    }

    /// `id` holds nothing any more and takes no work until it announces free slots again (a worker that
    /// said goodbye or whose tasks were requeued). Returns the tasks it held, sorted.
    @discardableResult
    public mutating func releaseAll(of id: String) -> [String] {
        guard let entry = workers[id] else { return [] }
        workers[id]?.inFlight = []
        workers[id]?.announced = 0
        return entry.inFlight.sorted()
    }

    /// `id` no longer holds `task` (it finished, failed, or was cancelled). Returns whether it held it.
    @discardableResult
    public mutating func release(_ task: String, from id: String) -> Bool {
        workers[id]?.inFlight.remove(task) != nil
    }
}
