import XCTest
@testable import Coordinator

final class WorkerLivenessTests: XCTestCase {
    func testDeadExactlyAfterThreeMissedIntervals() {
        let clock = ManualFarmClock()
        var checker = TimeoutChecker(clock: clock)
        XCTAssertEqual(checker.liveness.register("w1", slots: 2, now: clock.now()), .new)
        checker.liveness.announce("w1", freeSlots: 2)
        XCTAssertEqual(checker.liveness.reserve(["t1", "t2"], for: "w1"), ["t1", "t2"])
        clock.advance(by: 2.999)
        XCTAssertEqual(checker.check(), [])
        XCTAssertTrue(checker.liveness.isAlive("w1"))
        clock.advance(by: 0.001)
        XCTAssertEqual(checker.check(), [WorkerLiveness.DeadWorker(id: "w1", tasks: ["t1", "t2"])])
        XCTAssertFalse(checker.liveness.isAlive("w1"))
        XCTAssertEqual(checker.liveness.credits(for: "w1"), 0)
        clock.advance(by: 10)
        XCTAssertEqual(checker.check(), [], "a death is reported once")
    }

    func testHeartbeatResetsTheDeadline() {
        let clock = ManualFarmClock()
        var checker = TimeoutChecker(clock: clock)
        _ = checker.liveness.register("w1", slots: 1, now: clock.now())
        _ = checker.liveness.register("w2", slots: 1, now: clock.now())
        for _ in 0..<10 {
            clock.advance(by: 2.5)
            XCTAssertEqual(checker.liveness.heartbeat("w1", now: clock.now()), .accepted)
            let dead = checker.check().map(\.id)
            XCTAssertFalse(dead.contains("w1"))
        }
        XCTAssertTrue(checker.liveness.isAlive("w1"))
        XCTAssertFalse(checker.liveness.isAlive("w2"))
        XCTAssertEqual(checker.liveness.aliveWorkers, ["w1"])
    }

    func testConfigurableInterval() {
        var liveness = WorkerLiveness(configuration: .init(heartbeatInterval: 0.5, missedIntervals: 4))
        let t0 = Date(timeIntervalSince1970: 100)
        _ = liveness.register("w", slots: 1, now: t0)
        XCTAssertEqual(liveness.tick(now: t0.addingTimeInterval(1.99)), [])
        XCTAssertEqual(liveness.tick(now: t0.addingTimeInterval(2.0)).map(\.id), ["w"])
    }

    func testDeadWorkerMustRegisterAgain() {
        var liveness = WorkerLiveness()
        let t0 = Date(timeIntervalSince1970: 100)
        _ = liveness.register("w", slots: 2, now: t0)
        XCTAssertEqual(liveness.tick(now: t0.addingTimeInterval(3)).map(\.id), ["w"])
        XCTAssertEqual(liveness.heartbeat("w", now: t0.addingTimeInterval(3.5)), .mustRegister)
        XCTAssertEqual(liveness.heartbeat("nobody", now: t0), .mustRegister)
        XCTAssertEqual(liveness.register("w", slots: 2, now: t0.addingTimeInterval(4)), .returnedFromDead)
        XCTAssertTrue(liveness.isAlive("w"))
        XCTAssertEqual(liveness.credits(for: "w"), 0, "no work before its Ready")
        liveness.announce("w", freeSlots: 2)
        XCTAssertEqual(liveness.credits(for: "w"), 2)
        XCTAssertEqual(liveness.tick(now: t0.addingTimeInterval(6.9)), [])
        XCTAssertEqual(liveness.tick(now: t0.addingTimeInterval(7)).map(\.id), ["w"])
    }

    func testReRegisteringLiveWorkerLosesItsTasks() {
        var liveness = WorkerLiveness()
        let t0 = Date(timeIntervalSince1970: 100)
        _ = liveness.register("w", slots: 3, now: t0)
        liveness.announce("w", freeSlots: 3)
        _ = liveness.reserve(["b", "a"], for: "w")
        XCTAssertEqual(liveness.register("w", slots: 3, now: t0.addingTimeInterval(1)), .restarted(lostTasks: ["a", "b"]))
        XCTAssertEqual(liveness.inFlight(of: "w"), [])
        XCTAssertEqual(liveness.credits(for: "w"), 0, "the restarted process has not said what is free")
        liveness.announce("w", freeSlots: 3)
        XCTAssertEqual(liveness.credits(for: "w"), 3)
    }

    func testCreditsBoundInFlightTasks() {
        var liveness = WorkerLiveness()
        let t0 = Date(timeIntervalSince1970: 100)
        _ = liveness.register("w", slots: 2, now: t0)
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        liveness.announce("w", freeSlots: 5)
        XCTAssertEqual(liveness.credits(for: "w"), 2, "never more than its slots")
        XCTAssertEqual(liveness.reserve(["t1", "t2", "t3"], for: "w"), ["t1", "t2"])
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        XCTAssertEqual(liveness.reserve(["t3"], for: "w"), [])
        XCTAssertTrue(liveness.release("t1", from: "w"))
        XCTAssertFalse(liveness.release("t1", from: "w"))
        XCTAssertEqual(liveness.credits(for: "w"), 1)
        XCTAssertEqual(liveness.reserve(["t2", "t3"], for: "w"), ["t3"], "a held task is not counted twice")
        // Announcing fewer slots leaves held tasks alone but gives no credits until they finish.
        XCTAssertEqual(liveness.heartbeat("w", slots: 1, now: t0.addingTimeInterval(1)), .accepted)
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        liveness.release("t2", from: "w")
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        liveness.release("t3", from: "w")
        XCTAssertEqual(liveness.credits(for: "w"), 1)
        XCTAssertEqual(liveness.heartbeat("w", slots: 4, now: t0.addingTimeInterval(2)), .accepted)
        XCTAssertEqual(liveness.credits(for: "w"), 2, "5 announced, 3 taken since")
        liveness.announce("w", freeSlots: 4)
        XCTAssertEqual(liveness.credits(for: "w"), 4)
        XCTAssertEqual(liveness.credits(for: "unknown"), 0)
        liveness.announce("unknown", freeSlots: 3)
        XCTAssertEqual(liveness.credits(for: "unknown"), 0, "an announcement does not register")
        XCTAssertEqual(liveness.reserve(["x"], for: "unknown"), [])
    }

    /// The announced free slots are the worker's own count: each reservation takes one, a task it was never
    /// sent gives it back, and a worker that is cleared takes nothing until it announces again.
    func testAnnouncedSlotsAreSpentAndGivenBack() {
        var liveness = WorkerLiveness()
        let t0 = Date(timeIntervalSince1970: 100)
        _ = liveness.register("w", slots: 4, now: t0)
        liveness.announce("w", freeSlots: 2)
        XCTAssertEqual(liveness.reserve(["a", "b", "c"], for: "w"), ["a", "b"], "only what it announced")
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        liveness.release("a", from: "w")
        XCTAssertEqual(liveness.credits(for: "w"), 0, "a finished task frees a slot only when the worker says so")
        liveness.unreserve("b", for: "w")
        XCTAssertEqual(liveness.inFlight(of: "w"), [])
        XCTAssertEqual(liveness.credits(for: "w"), 1, "a task never sent gives its credit back")
        liveness.unreserve("b", for: "w")
        XCTAssertEqual(liveness.credits(for: "w"), 1, "once")
        _ = liveness.reserve(["d"], for: "w")
        liveness.announce("w", freeSlots: 3)
        XCTAssertEqual(liveness.releaseAll(of: "w"), ["d"])
        XCTAssertEqual(liveness.credits(for: "w"), 0)
        XCTAssertTrue(liveness.isAlive("w"))
        liveness.announce("w", freeSlots: 1)
        XCTAssertEqual(liveness.credits(for: "w"), 1)
    }
}
