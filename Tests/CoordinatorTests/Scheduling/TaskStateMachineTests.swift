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
            XCTAssertEqual(machine.lost(), .requeue)
            XCTAssertEqual(machine.state, .queued)
            XCTAssertEqual(machine.attemptsUsed, 0)
        }
        XCTAssertEqual(machine.assign(), .assign(attempt: 5))
        XCTAssertEqual(machine.succeeded(attempt: 5), .complete)
    }

    func testResultOfReassignedAttemptIsStale() {
        var machine = TaskStateMachine(maxAttempts: 3)
        _ = machine.assign()               // attempt 1 to worker A
        XCTAssertEqual(machine.lost(), .requeue)  // A declared dead
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
        XCTAssertEqual(machine.lost(), .ignoreStale(.alreadyFinished))
        XCTAssertEqual(machine.cancel(), .ignoreStale(.alreadyFinished))
    }

    func testWrongStateInputs() {
        var machine = TaskStateMachine(maxAttempts: 3)
        XCTAssertEqual(machine.lost(), .ignoreStale(.wrongState))
        _ = machine.assign()
        XCTAssertEqual(machine.assign(), .ignoreStale(.wrongState))
        XCTAssertEqual(machine.started(attempt: 1), .start)
        XCTAssertEqual(machine.started(attempt: 1), .ignoreStale(.wrongState))
        XCTAssertEqual(machine.state, .running)
    }
}
