import Protocol

/// `backoff`: the coordinator is considered gone; the socket is closed and a new one is opened after
/// the delay, which doubles from `backoffInitial` up to `backoffMax` and resets on an accepted
/// RegisterAck.
extension WorkerStateMachine {
    mutating func enterBackoff(at now: WorkerInstant) -> [Action] {
        let delay = backoffDelay
        backoffHistory.append(delay)
        state = .backoff(until: now.advanced(by: delay))
        backoffDelay = min(delay * 2, configuration.backoffMax)
        return [.closeSocket]
    }

    mutating func backoffTick(at now: WorkerInstant) -> [Action] {
        guard case .backoff(let until) = state, now >= until else { return [] }
        return enterConnecting(at: now)
    }
}
