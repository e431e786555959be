import Foundation
import Protocol

/// The worker's connection logic as a pure value: events in (`start`, `tick`, `received`,
/// `taskStarted`/`taskFinished`, `stop`), `Action`s out. No sockets, threads or clocks: `WorkerLoop`
/// performs the actions and passes the time, so tests can drive it with a fake clock.
///
/// States (one file each under `States/`), after the Paranoid Pirate worker of the ZeroMQ guide and
/// Flamenco's worker states:
///
///     connecting --RegisterAck(accepted)--> idle <--> busy
///         ^                                  |         |
///         |                 coordinator silent for liveness × interval, Disconnect,
///         |                 or RegisterAck(rejected)
///         |                                  v         v
///         +------- back-off elapsed ------ backoff(until) (delay 1 s, 2 s, 4 s … capped at 32 s)
///
/// * `connecting`: a NEW socket was opened and `Register` sent; waiting for `RegisterAck`.
/// * `idle`: registered with at least one free slot (takes assignments).
/// * `busy`: registered, every slot running a task (an assignment beyond the credit is refused with a
///   retryable `Failure`).
/// * `backoff`: socket closed; a new one is opened when the delay has elapsed.
///
/// Draining (`drain`, `stylefarm worker` on SIGUSR1, a Kubernetes `preStop`) is a flag across these states: the
/// worker announces no free slot, refuses new assignments (retryable), finishes what it runs and is then
/// `isDrained`, so its owner stops it — no task is cut short and none is charged an attempt.
///
/// Running tasks are not touched by connection changes: they keep running, and their reports wait in
/// the `Reporter` until the worker is registered again (`Action.flushReports`).
public struct WorkerStateMachine: Sendable {
    public enum State: Equatable, Sendable {
        case stopped
        case connecting
        case idle
        case busy
        case backoff(until: WorkerInstant)
    }

    public enum Action: Equatable {
        /// Close the current socket if any and open a NEW DEALER connected to the endpoint.
        case openSocket
        /// Close the socket (the coordinator is considered gone).
        case closeSocket
        /// Send a message on the socket.
        case send(Stylefarm_V1_WorkerMessage)
        /// Run this assignment on an executor thread.
        case startTask(Stylefarm_V1_TaskAssignment)
        /// Cancel the task `taskID`, or every task of `jobID` (one of them is non-empty).
        case cancel(taskID: String, jobID: String)
        /// Registered again: send every buffered Result/Failure now.
        case flushReports
    }

    public let configuration: WorkerConfiguration
    public internal(set) var state: State = .stopped
    /// Tasks accepted and not yet finished (across reconnections).
    public internal(set) var running = 0
    /// The delay the next back-off will use.
    public internal(set) var backoffDelay: Duration
    /// Back-off delays used so far, in order (for logs and tests).
    public internal(set) var backoffHistory: [Duration] = []
    /// Heartbeat interval and liveness in force (the RegisterAck's when it announced them).
    public internal(set) var heartbeatInterval: Duration
    public internal(set) var heartbeatLiveness: Int
    var monitor: HeartbeatMonitor<WorkerInstant>
    var heartbeatSequence: UInt64 = 0
    /// Heartbeats sent so far.
    public var heartbeatsSent: UInt64 { heartbeatSequence }
    /// Registrations that were accepted.
    public internal(set) var registrations = 0
    /// Finishing what it runs and taking nothing new (`drain`).
    public internal(set) var draining = false

    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
        self.backoffDelay = configuration.backoffInitial
        self.heartbeatInterval = configuration.heartbeatInterval
        self.heartbeatLiveness = configuration.heartbeatLiveness
        self.monitor = HeartbeatMonitor(interval: configuration.heartbeatInterval,
                                        liveness: configuration.heartbeatLiveness, now: WorkerInstant(.zero))
    }

    public var isRegistered: Bool { state == .idle || state == .busy }
    /// Slots free for new assignments: none while draining.
    public var freeSlots: Int { draining ? 0 : max(0, configuration.slots - running) }
    /// Draining and nothing left running: the owner may stop the worker.
    public var isDrained: Bool { draining && running == 0 }

    /// When `tick` should next be called (next heartbeat, death of the peer, or end of back-off).
    public func nextDeadline() -> WorkerInstant? {
        switch state {
        case .stopped: return nil
        case .backoff(let until): return until
        case .connecting: return monitor.lastReceived.advanced(by: heartbeatInterval * heartbeatLiveness)
        case .idle, .busy: return monitor.nextDeadline()
        }
    }

    // MARK: Events

    /// Starts connecting: opens a socket and registers.
    public mutating func start(at now: WorkerInstant) -> [Action] {
        enterConnecting(at: now)
    }

    /// Time passed: heartbeats, peer death, end of back-off.
    public mutating func tick(at now: WorkerInstant) -> [Action] {
        switch state {
        case .stopped: return []
        case .connecting: return connectingTick(at: now)
        case .idle, .busy: return registeredTick(at: now)
        case .backoff: return backoffTick(at: now)
        }
    }

    /// A message from the coordinator arrived (already decoded; blob traffic is the loop's business
    /// and only counts as a sign of life here).
    public mutating func received(_ message: Stylefarm_V1_CoordinatorMessage, at now: WorkerInstant) -> [Action] {
        guard state != .stopped, !isBackoff else { return [] }
        monitor.received(at: now)
        switch state {
        case .connecting: return connectingReceived(message, at: now)
        case .idle, .busy: return registeredReceived(message, at: now)
        case .stopped, .backoff: return []
        }
    }

    /// The loop sent something outside the actions (BlobData, BlobRequest, Progress, reports).
    public mutating func sent(at now: WorkerInstant) { monitor.sent(at: now) }

    /// A task's thread finished (its Result/Failure is in the Reporter).
    public mutating func taskFinished(at now: WorkerInstant) -> [Action] {
        running = max(0, running - 1)
        guard isRegistered else { return [] }
        state = .idle
        return [.flushReports, send(.ready(ready), at: now)]
    }

    /// Take nothing new and finish what runs: the coordinator hears at once that no slot is free.
    public mutating func drain(at now: WorkerInstant) -> [Action] {
        guard !draining else { return [] }
        draining = true
        return isRegistered ? [send(.ready(ready), at: now)] : []
    }

    /// Graceful stop: a Disconnect when registered, then the socket is closed.
    public mutating func stop(at now: WorkerInstant, reason: String = "worker shutting down") -> [Action] {
        var actions: [Action] = []
        if isRegistered {
            var d = Stylefarm_V1_Disconnect()
            d.reason = reason
            actions.append(send(.disconnect(d), at: now))
        }
        if state != .stopped && !isBackoff { actions.append(.closeSocket) }
        state = .stopped
        return actions
    }

    // MARK: Helpers shared by the states

    var isBackoff: Bool { if case .backoff = state { return true } else { return false } }

    var ready: Stylefarm_V1_Ready {
        var r = Stylefarm_V1_Ready()
        r.freeSlots = UInt32(freeSlots)
        return r
    }

    /// A send action, recorded as traffic to the coordinator.
    mutating func send(_ payload: Stylefarm_V1_WorkerMessage.OneOf_Payload, at now: WorkerInstant) -> Action {
        monitor.sent(at: now)
        return .send(Stylefarm_V1_WorkerMessage(payload))
    }
}
