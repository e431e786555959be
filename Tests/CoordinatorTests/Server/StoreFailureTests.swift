import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// Issue 18's hole: when SQLite cannot write (a full disk), the coordinator used to apply the batch change by
/// change with `try?` and drop what failed. Now the changes wait and land once the store writes again, and only a
/// change the store refuses for good (its task gone) is dropped, and logged.
final class StoreFailureTests: XCTestCase {
    var harness: ServerHarness!
    var logged: [String] = []

    override func setUpWithError() throws {
        harness = try ServerHarness()
        harness.server.log = { [unowned self] line in logged.append(line) }
    }

    override func tearDown() { harness?.close() }

    func testAResultThatArrivesWhileTheStoreCannotWriteLandsOnceItCan() throws {
        let jobID = try harness.client().submit(echoSpec(name: "disk-full", frames: "1-2"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let first = try XCTUnwrap(w.nextTask())

        harness.server.store.injectedWriteFailure = .database("database or disk is full (injected)")
        try w.result(first)
        XCTAssertTrue(try harness.pump { harness.server.stats.dropped["storeUnwritable", default: 0] > 0 })
        try harness.pump(for: .milliseconds(300))
        XCTAssertEqual(try harness.server.store.task(first.taskID)?.state, .assigned, "nothing could be written")
        XCTAssertFalse(harness.server.pendingChanges.isEmpty, "the completion waits")
        XCTAssertEqual(logged.filter { $0.contains("cannot write") }.count, 1, "said once, not per iteration: \(logged)")

        harness.server.store.injectedWriteFailure = nil
        XCTAssertTrue(try harness.pump(timeout: .seconds(5)) { try harness.server.store.task(first.taskID)?.state == .completed },
                      "the completion was lost")
        try w.ready(1)
        let second = try XCTUnwrap(w.nextTask(), "dispatch did not resume")
        try w.result(second)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        XCTAssertEqual(try harness.server.store.attempts(ofTask: first.taskID).map(\.outcome), [.succeeded])
    }

    func testAChangeTheStoreRefusesIsDroppedAloneAndTheRestLand() throws {
        _ = try harness.client().submit(echoSpec(name: "mixed", frames: "1"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        harness.server.pendingChanges = [
            .failed(taskID: "no-such-task", attempt: 1, error: "?", retryable: true),
            .completed(taskID: task.taskID, attempt: Int(task.attempt), resultSHA256: BlobName.of(Data("done".utf8))),
        ]
        harness.server.flushChanges()
        XCTAssertEqual(try harness.server.store.task(task.taskID)?.state, .completed)
        XCTAssertTrue(harness.server.pendingChanges.isEmpty)
        XCTAssertEqual(harness.server.stats.dropped["refusedChange"], 1)
        XCTAssertTrue(logged.contains { $0.contains("no-such-task") }, "\(logged)")
    }
}
