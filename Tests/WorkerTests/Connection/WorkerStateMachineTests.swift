import Foundation
import Protocol
import XCTest
@testable import Worker

/// The pure state machine with a fake clock.
final class WorkerStateMachineTests: XCTestCase {
    private func at(_ ms: Int) -> WorkerInstant { WorkerInstant(.milliseconds(ms)) }

    private func ack(accepted: Bool = true) -> Stylefarm_V1_CoordinatorMessage {
        var a = Stylefarm_V1_RegisterAck()
        a.accepted = accepted
        a.protocolVersion = ProtocolVersion.major
        return Stylefarm_V1_CoordinatorMessage(.registerAck(a))
    }

    private func machine(slots: Int = 1) -> WorkerStateMachine {
        WorkerStateMachine(configuration: WorkerConfiguration(endpoint: "tcp://127.0.0.1:1", workerID: "w", slots: slots))
    }

    func testBackoffDoublesFromOneSecondUpTo32AndResetsOnRegistration() {
        var m = machine()
        var now = 0
        var actions = m.start(at: at(now))
        XCTAssertEqual(actions.first, .openSocket)
        var delays: [Duration] = []
        for _ in 0..<8 {
            now += 3000                                   // silent for liveness × interval
            actions = m.tick(at: at(now))
            XCTAssertEqual(actions, [.closeSocket])
            guard case .backoff(let until) = m.state else { return XCTFail("\(m.state)") }
            let delay = at(now).duration(to: until)
            delays.append(delay)
            XCTAssertEqual(m.tick(at: until.advanced(by: .milliseconds(-1))), [], "still backing off")
            now += Int(delay / .milliseconds(1))
            actions = m.tick(at: at(now))
            XCTAssertEqual(actions.first, .openSocket, "a new socket after the delay")
            XCTAssertEqual(m.state, .connecting)
        }
        XCTAssertEqual(delays, [1, 2, 4, 8, 16, 32, 32, 32].map { Duration.seconds($0) })
        _ = m.received(ack(), at: at(now))
        XCTAssertEqual(m.state, .idle)
        XCTAssertEqual(m.backoffDelay, .seconds(1))
    }

    func testHeartbeatEveryIntervalAndDeathAfterLiveness() {
        var m = machine()
        _ = m.start(at: at(0))
        let actions = m.received(ack(), at: at(10))
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(m.tick(at: at(500)), [])
        guard case .send(let hb)? = m.tick(at: at(1010)).first, case .heartbeat(let h)? = hb.payload else { return XCTFail() }
        XCTAssertEqual(h.sequence, 1)
        XCTAssertEqual(m.tick(at: at(1500)), [])
        _ = m.received(Stylefarm_V1_CoordinatorMessage(.heartbeat(.init())), at: at(2000))
        XCTAssertEqual(m.tick(at: at(4999)).contains(.closeSocket), false)
        XCTAssertEqual(m.tick(at: at(5000)), [.closeSocket])
    }

    func testADrainingWorkerAnnouncesNoSlotRefusesWorkAndIsDrainedWhenItsTasksEnd() {
        var m = machine(slots: 2)
        _ = m.start(at: at(0))
        _ = m.received(ack(), at: at(0))
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = "1"
        XCTAssertEqual(m.received(Stylefarm_V1_CoordinatorMessage(.task(t)), at: at(1)), [.startTask(t)])
        let drain = m.drain(at: at(2))
        guard case .send(let r)? = drain.first, case .ready(let ready)? = r.payload else { return XCTFail("\(drain)") }
        XCTAssertEqual(ready.freeSlots, 0, "a slot is free, but a draining worker takes nothing")
        XCTAssertEqual(m.drain(at: at(3)), [], "draining twice says nothing more")
        XCTAssertFalse(m.isDrained)
        t.taskID = "2"
        let refused = m.received(Stylefarm_V1_CoordinatorMessage(.task(t)), at: at(4))
        guard case .send(let f)? = refused.first, case .failure(let failure)? = f.payload else { return XCTFail("\(refused)") }
        XCTAssertEqual(failure.taskID, "2")
        XCTAssertTrue(failure.retryable)
        XCTAssertEqual(m.running, 1)
        let done = m.taskFinished(at: at(5))
        guard case .send(let last)? = done.last, case .ready(let after)? = last.payload else { return XCTFail("\(done)") }
        XCTAssertEqual(after.freeSlots, 0)
        XCTAssertTrue(m.isDrained)
        // A reconnect while draining announces no slot either.
        XCTAssertEqual(m.tick(at: at(10_000)), [.closeSocket])
        _ = m.tick(at: at(20_000))
        let again = m.received(ack(), at: at(20_001))
        guard case .send(let hello)? = again.last, case .ready(let announced)? = hello.payload else { return XCTFail("\(again)") }
        XCTAssertEqual(announced.freeSlots, 0)
    }

    func testCreditIsBoundedBySlots() {
        var m = machine(slots: 2)
        _ = m.start(at: at(0))
        _ = m.received(ack(), at: at(0))
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = "1"
        XCTAssertEqual(m.received(Stylefarm_V1_CoordinatorMessage(.task(t)), at: at(1)), [.startTask(t)])
        XCTAssertEqual(m.state, .idle)
        t.taskID = "2"
        XCTAssertEqual(m.received(Stylefarm_V1_CoordinatorMessage(.task(t)), at: at(1)), [.startTask(t)])
        XCTAssertEqual(m.state, .busy)
        t.taskID = "3"
        let refused = m.received(Stylefarm_V1_CoordinatorMessage(.task(t)), at: at(1))
        guard case .send(let f)? = refused.first, case .failure(let failure)? = f.payload else { return XCTFail("\(refused)") }
        XCTAssertEqual(failure.taskID, "3")
        XCTAssertEqual(m.running, 2)
        let done = m.taskFinished(at: at(2))
        XCTAssertEqual(done.first, .flushReports)
        guard case .send(let r)? = done.last, case .ready(let ready)? = r.payload else { return XCTFail("\(done)") }
        XCTAssertEqual(ready.freeSlots, 1)
        XCTAssertEqual(m.state, .idle)
    }

    func testRejectedRegistrationBacksOff() {
        var m = machine()
        _ = m.start(at: at(0))
        XCTAssertEqual(m.received(ack(accepted: false), at: at(5)), [.closeSocket])
        XCTAssertEqual(m.state, .backoff(until: at(1005)))
    }

    func testReporterKeepsOrderAndDropsCancelledReports() {
        var reporter = Reporter()
        for id in ["a", "b", "c"] {
            var r = Stylefarm_V1_Result()
            r.taskID = id
            reporter.submit(Stylefarm_V1_WorkerMessage(.result(r)))
        }
        XCTAssertEqual(reporter.drop(taskID: "b"), 1)
        var sent: [String] = []
        struct Down: Error {}
        XCTAssertEqual(reporter.flush { _ in throw Down() }, 0)
        XCTAssertEqual(reporter.pending.count, 2)
        reporter.flush { sent.append($0.result!.taskID) }
        XCTAssertEqual(sent, ["a", "c"])
        XCTAssertTrue(reporter.pending.isEmpty)
    }
}
