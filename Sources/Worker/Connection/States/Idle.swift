import Foundation
import Protocol

/// `idle` (registered, free slots) — and the behaviour `busy` shares with it: heartbeats, peer death,
/// cancels, a coordinator Disconnect.
extension WorkerStateMachine {
    mutating func enterRegistered(at now: WorkerInstant) -> [Action] {
        state = running < configuration.slots ? .idle : .busy
        return [.flushReports, send(.ready(ready), at: now)]
    }

    mutating func registeredTick(at now: WorkerInstant) -> [Action] {
        if monitor.isPeerDead(at: now) { return enterBackoff(at: now) }
        guard monitor.isHeartbeatDue(at: now) else { return [] }
        heartbeatSequence += 1
        var h = Stylefarm_V1_Heartbeat()
        h.sequence = heartbeatSequence
        h.sentUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        return [send(.heartbeat(h), at: now)]
    }

    mutating func registeredReceived(_ message: Stylefarm_V1_CoordinatorMessage, at now: WorkerInstant) -> [Action] {
        switch message.payload {
        case .task(let task)?:
            if draining { return [refuse(task, "worker \(configuration.workerID) is draining (it finishes what it runs, then stops)", at: now),
                                  send(.ready(ready), at: now)] }
            if state == .busy || running >= configuration.slots { return busyRefuses(task, at: now) }
            running += 1
            if running >= configuration.slots { state = .busy }
            return [.startTask(task)]
        case .cancel(let cancel)?:
            guard !cancel.taskID.isEmpty || !cancel.jobID.isEmpty else { return [] }
            return [.cancel(taskID: cancel.taskID, jobID: cancel.jobID)]
        case .disconnect?:
            return enterBackoff(at: now)
        case .registerAck?:
            // A late duplicate (e.g. after a fast re-register); announce the credit again.
            return [send(.ready(ready), at: now)]
        default:
            return []  // heartbeats count as life; blobs are the loop's
        }
    }

    mutating func refuse(_ task: Stylefarm_V1_TaskAssignment, _ reason: String, at now: WorkerInstant) -> Action {
        var f = Stylefarm_V1_Failure()
        f.taskID = task.taskID
        f.attempt = task.attempt
        f.kind = .internal
        f.retryable = true
        f.message = reason
        return send(.failure(f), at: now)
    }
}
