import XCTest
@testable import Protocol

final class HeartbeatMonitorTests: XCTestCase {
    func testHeartbeatDueAfterIntervalAndPeerDeadAfterLivenessIntervals() {
        let t0 = ContinuousClock.now
        var m = HeartbeatMonitor(interval: .seconds(1), liveness: 3, now: t0)
        XCTAssertFalse(m.isHeartbeatDue(at: t0 + .milliseconds(999)))
        XCTAssertTrue(m.isHeartbeatDue(at: t0 + .seconds(1)))
        m.sent(at: t0 + .seconds(1))
        XCTAssertFalse(m.isHeartbeatDue(at: t0 + .milliseconds(1500)))
        XCTAssertEqual(m.nextDeadline(), t0 + .seconds(2))

        XCTAssertFalse(m.isPeerDead(at: t0 + .milliseconds(2999)))
        XCTAssertTrue(m.isPeerDead(at: t0 + .seconds(3)))
        m.received(at: t0 + .milliseconds(2500))
        XCTAssertFalse(m.isPeerDead(at: t0 + .seconds(5)))
        XCTAssertTrue(m.isPeerDead(at: t0 + .milliseconds(5500)))
        // Out-of-order timestamps never move the clock back.
        m.received(at: t0)
        XCTAssertEqual(m.lastReceived, t0 + .milliseconds(2500))
    }

    func testDefaults() {
        let m = HeartbeatMonitor(now: ContinuousClock.now)
        XCTAssertEqual(m.interval, .seconds(1))
        XCTAssertEqual(m.liveness, 3)
        XCTAssertEqual(FarmDefaults.workerEndpoint, "tcp://*:5555")
        XCTAssertEqual(FarmDefaults.clientEndpoint, "tcp://*:5556")
    }
}
