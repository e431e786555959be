/// Heartbeat bookkeeping for one peer (docs/PROTOCOL.md, "Heartbeats"). Pure: the caller passes
/// the time, so coordinator and worker tests can advance a fake clock.
///
/// Any message counts: `received(at:)` on every message from the peer, `sent(at:)` on every
/// message to it. A Heartbeat is due after `interval` without sending; the peer is dead after
/// `liveness × interval` without receiving.
public struct HeartbeatMonitor<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    public var interval: Duration
    public var liveness: Int
    public private(set) var lastReceived: Instant
    public private(set) var lastSent: Instant

    /// A monitor that counts the peer as just heard from and just sent to at `now`.
    public init(interval: Duration = FarmDefaults.heartbeatInterval,
                liveness: Int = FarmDefaults.heartbeatLiveness, now: Instant) {
        self.interval = interval
        self.liveness = liveness
        self.lastReceived = now
        self.lastSent = now
    }

    /// Records a message from the peer.
    public mutating func received(at now: Instant) { lastReceived = Swift.max(lastReceived, now) }

    /// Records a message to the peer.
    public mutating func sent(at now: Instant) { lastSent = Swift.max(lastSent, now) }

    /// Whether nothing was sent for an interval, so a Heartbeat should go out.
    public func isHeartbeatDue(at now: Instant) -> Bool { lastSent.duration(to: now) >= interval }

    /// Whether nothing was received for `liveness` intervals.
    public func isPeerDead(at now: Instant) -> Bool { lastReceived.duration(to: now) >= interval * liveness }

    /// When the owner should next look at this monitor (next heartbeat or death, whichever first).
    public func nextDeadline() -> Instant {
        Swift.min(lastSent.advanced(by: interval), lastReceived.advanced(by: interval * liveness))
    }
}
