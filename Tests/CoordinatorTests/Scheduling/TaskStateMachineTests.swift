import XCTest
@testable import Coordinator

final class TaskStateMachineTests: XCTestCase {
    func testHappyPath() {
        var machine = TaskStateMachine(maxAttempts: 3)
        XCTAssertEqual(machine.assign(), .assign(attempt: 1))
        XCTAssertEqual(machine.state, .assigned)
        XCTAssertEqual(machine.started(attempt: 1), .start)
        XCTAssertEqual(machine.state, .running)
        XCTAssertEqual(machine.succeeded(attempt: 1), .complete)
        XCTAssertEqual(machine.state, .completed)
        XCTAssertEqual(machine.attemptsUsed, 1)
    }

    func testResultWithoutStartReportCompletes() {
        var machine = TaskStateMachine(maxAttempts: 1)
        _ = machine.assign()
        XCTAssertEqual(machine.succeeded(attempt: 1), .complete)
        XCTAssertEqual(machine.state, .completed)
    }

    func testRetriesUntilMaxAttemptsThenGivesUp() {
        var machine = TaskStateMachine(maxAttempts: 3)
        for attempt in 1...2 {
            XCTAssertEqual(machine.assign(), .assign(attempt: attempt))
            XCTAssertEqual(machine.failed(attempt: attempt, retryable: true), .retry)
            XCTAssertEqual(machine.state, .queued)
            XCTAssertEqual(machine.attemptsUsed, attempt)
        }
        XCTAssertEqual(machine.assign(), .assign(attempt: 3))
        XCTAssertEqual(machine.failed(attempt: 3, retryable: true), .giveUp)
        XCTAssertEqual(machine.state, .failed)
        XCTAssertEqual(machine.attemptsUsed, 3)
        XCTAssertEqual(machine.assign(), .ignoreStale(.alreadyFinished))
    }

    func testNonRetryableErrorGivesUpAtOnce() {
        var machine = TaskStateMachine(maxAttempts: 5)
        _ = machine.assign()
        XCTAssertEqual(machine.failed(attempt: 1, retryable: false), .giveUp)
        XCTAssertEqual(machine.state, .failed)
    }

    func testLostAttemptDoesNotCount() {
        var machine = TaskStateMachine(maxAttempts: 1)
        for attempt in 1...4 {
            XCTAssertEqual(machine.assign(), .assign(attempt: attempt))
            XCTAssertEqual(machine.lost(attempt: attempt, charged: false), .requeue)
            XCTAssertEqual(machine.state, .queued)
            XCTAssertEqual(machine.attemptsUsed, 0)
        }
        XCTAssertEqual(machine.assign(), .assign(attempt: 5))
        XCTAssertEqual(machine.succeeded(attempt: 5), .complete)
    }

    func testResultOfReassignedAttemptIsStale() {
        var machine = TaskStateMachine(maxAttempts: 3)
        _ = machine.assign()               // attempt 1 to worker A
        XCTAssertEqual(machine.lost(attempt: 1, charged: true), .requeue)  // A declared dead
        XCTAssertEqual(machine.succeeded(attempt: 1), .ignoreStale(.staleAttempt))  // while queued
        _ = machine.assign()               // attempt 2 to worker B
        XCTAssertEqual(machine.succeeded(attempt: 1), .ignoreStale(.staleAttempt))
        XCTAssertEqual(machine.failed(attempt: 1, retryable: true), .ignoreStale(.staleAttempt))
        XCTAssertEqual(machine.started(attempt: 1), .ignoreStale(.staleAttempt))
        XCTAssertEqual(machine.state, .assigned)
        XCTAssertEqual(machine.attemptsUsed, 0)
        XCTAssertEqual(machine.succeeded(attempt: 2), .complete)
        XCTAssertEqual(machine.succeeded(attempt: 2), .ignoreStale(.alreadyFinished))
    }

    func testCancel() {
        var machine = TaskStateMachine(maxAttempts: 3)
        _ = machine.assign()
        XCTAssertEqual(machine.cancel(), .cancel)
        XCTAssertEqual(machine.state, .cancelled)
        XCTAssertEqual(machine.succeeded(attempt: 1), .ignoreStale(.alreadyFinished))
        XCTAssertEqual(machine.lost(attempt: 1, charged: true), .ignoreStale(.alreadyFinished))
        XCTAssertEqual(machine.cancel(), .ignoreStale(.alreadyFinished))
    }

    func testWrongStateInputs() {
        var machine = TaskStateMachine(maxAttempts: 3)
        XCTAssertEqual(machine.lost(attempt: 0, charged: true), .ignoreStale(.staleAttempt))
        _ = machine.assign()
        XCTAssertEqual(machine.assign(), .ignoreStale(.wrongState))
        XCTAssertEqual(machine.started(attempt: 1), .start)
        XCTAssertEqual(machine.started(attempt: 1), .ignoreStale(.wrongState))
        XCTAssertEqual(machine.state, .running)
    }

    /// Issue 18: a task whose worker dies every time (an out-of-memory frame) fails after `maxLost` charged
    /// losses; uncharged losses (coordinator restarts) and recalls never count.
    func testChargedLossesFailThePoisonTask() {
        var machine = TaskStateMachine(maxAttempts: 5, maxLost: 3)
        var attempt = 0
        func assign() { attempt += 1; XCTAssertEqual(machine.assign(), .assign(attempt: attempt)) }
        assign(); XCTAssertEqual(machine.lost(attempt: attempt, charged: false), .requeue)
        assign(); XCTAssertEqual(machine.recall(attempt: attempt), .requeue)
        assign(); XCTAssertEqual(machine.lost(attempt: attempt, charged: true), .requeue)
        assign(); XCTAssertEqual(machine.lost(attempt: attempt, charged: true), .requeue)
        XCTAssertEqual(machine.attemptsLost, 2)
        XCTAssertEqual(machine.attemptsUsed, 0)
        assign(); XCTAssertEqual(machine.lost(attempt: attempt, charged: true), .giveUp)
        XCTAssertEqual(machine.state, .failed)
        XCTAssertEqual(machine.assign(), .ignoreStale(.alreadyFinished))
    }

    func testTimeoutCountsAsAnAttempt() {
        var machine = TaskStateMachine(maxAttempts: 2)
        _ = machine.assign()
        XCTAssertEqual(machine.timedOut(attempt: 1), .retry)
        XCTAssertEqual(machine.attemptsUsed, 1)
        _ = machine.assign()
        XCTAssertEqual(machine.timedOut(attempt: 1), .ignoreStale(.staleAttempt))
        XCTAssertEqual(machine.timedOut(attempt: 2), .giveUp)
        XCTAssertEqual(machine.state, .failed)
    }
}
