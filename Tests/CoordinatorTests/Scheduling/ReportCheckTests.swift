@testable import JobModel
import XCTest
@testable import Coordinator

/// A worker's report counts only for the current attempt of a task it holds.
final class ReportCheckTests: XCTestCase {
    private let sent = ReportCheck.Sent(jobID: "j", frameIndex: 3, attempt: 2, workerID: "w1")

    private func stored(state: TaskState = .running, attempt: Int = 2, worker: String? = "w1") -> TaskRecord {
        var task = TaskRecord(id: "t", jobID: "j", frameIndex: 3, region: TaskRegion(x: 0, y: 0, width: 8, height: 8), maxAttempts: 3)
        task.state = state
        task.currentAttempt = attempt
        task.assignedWorker = worker
        return task
    }

    func testTheServersOwnTableDecidesWithoutReadingTheStore() {
        let unread: () throws -> TaskRecord? = { XCTFail("the store was read"); return nil }
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: sent, stored: unread), .current(jobID: "j", frameIndex: 3, fromTable: true))
        XCTAssertEqual(ReportCheck.check(attempt: 1, from: "w1", sent: sent, stored: unread), .stale, "a late report of an earlier attempt")
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w2", sent: sent, stored: unread), .stale, "a worker that does not hold it")
    }

    func testTasksAssignedBeforeARestartAreCheckedAgainstTheStore() {
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: nil, stored: { self.stored() }),
                       .current(jobID: "j", frameIndex: 3, fromTable: false))
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w2", sent: nil, stored: { self.stored() }), .stale)
        XCTAssertEqual(ReportCheck.check(attempt: 1, from: "w1", sent: nil, stored: { self.stored() }), .stale)
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: nil, stored: { self.stored(state: .cancelled) }), .stale)
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: nil, stored: { self.stored(state: .queued, worker: nil) }), .stale)
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: nil, stored: { nil }), .unknownTask)
        struct Broken: Error {}
        XCTAssertEqual(ReportCheck.check(attempt: 2, from: "w1", sent: nil, stored: { throw Broken() }), .unknownTask)
    }
}
