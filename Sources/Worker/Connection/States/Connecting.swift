import Protocol

/// `connecting`: a new socket is open and Register was sent; only RegisterAck moves on.
extension WorkerStateMachine {
    mutating func enterConnecting(at now: WorkerInstant) -> [Action] {
        state = .connecting
        heartbeatInterval = configuration.heartbeatInterval
        heartbeatLiveness = configuration.heartbeatLiveness
        monitor = HeartbeatMonitor(interval: heartbeatInterval, liveness: heartbeatLiveness, now: now)
        return [.openSocket, send(.register(configuration.register), at: now)]
    }

    mutating func connectingTick(at now: WorkerInstant) -> [Action] {
        monitor.isPeerDead(at: now) ? enterBackoff(at: now) : []
    }

    mutating func connectingReceived(_ message: Stylefarm_V1_CoordinatorMessage, at now: WorkerInstant) -> [Action] {
        switch message.payload {
        case .registerAck(let ack)?:
            guard ack.accepted, ack.protocolVersion == 0 || ack.protocolVersion == ProtocolVersion.major else {
                return enterBackoff(at: now)
            }
            if ack.heartbeatIntervalMs > 0 { heartbeatInterval = .milliseconds(Int64(ack.heartbeatIntervalMs)) }
            if ack.heartbeatLiveness > 0 { heartbeatLiveness = Int(ack.heartbeatLiveness) }
            monitor.interval = heartbeatInterval
            monitor.liveness = heartbeatLiveness
            registrations += 1
            backoffDelay = configuration.backoffInitial
            return enterRegistered(at: now)
        case .task(let task)?:
            // Not registered: the coordinator should not assign; refuse so it requeues at once.
            return [refuse(task, "worker \(configuration.workerID) is not registered", at: now)]
        case .disconnect?:
            return enterBackoff(at: now)
        default:
            return []
        }
    }
}
