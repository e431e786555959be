import Foundation
import GRDB
import XCTest
@testable import Coordinator

/// Worker health in the store (issue 18): blocks on jobs other workers render mark a worker unhealthy; blocks
/// on jobs nobody renders, or older than a day, do not; registering again keeps the mark; reinstating clears it.
final class WorkerHealthStoreTests: XCTestCase {
    private func register(_ store: SQLiteJobStore, _ id: String) throws {
        try store.upsertWorker(WorkerRecord(id: id, hostname: "h-\(id)", cores: 4, memoryBytes: 1 << 30, engineVersion: "1",
                                            slots: 1, lastSeen: at(0)))
    }

    /// A job of two frames, blocklisting after one failure; `good` (if given) renders a frame, then `bad` fails
    /// one at `time`.
    private func failJob(_ store: SQLiteJobStore, _ id: String, bad: String, good: String?, time: Double) throws {
        try insertJob(store, id: id, frames: 0..<2, now: at(time))
        try store.write { db in try db.execute(sql: "UPDATE jobs SET blocklist_threshold = 1 WHERE id = ?", arguments: [id]) }
        if let good {
            let claim = try XCTUnwrap(store.claimTasks(for: good, max: 1, now: at(time)).first)
            XCTAssertEqual(try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "ab", now: at(time)), .task(.completed))
        }
        let claim = try XCTUnwrap(store.claimTasks(for: bad, max: 1, now: at(time)).first)
        _ = try store.fail(claim.task.id, attempt: claim.attempt, error: "segfault", retryable: true, now: at(time + 1))
        XCTAssertEqual(try store.blockedWorkers(ofJob: id), [bad])
        // Leave nothing queued for the next job's claims.
        try store.write { db in try db.execute(sql: "UPDATE tasks SET state = 'cancelled' WHERE job_id = ? AND state = 'queued'", arguments: [id]) }
    }

    func testBlocksOnJobsOthersRenderMarkAWorkerUnhealthyAndReinstatingClearsIt() throws {
        let store = try SQLiteJobStore.inMemory()
        store.unhealthyAfter = 2
        try register(store, "bad")
        try register(store, "good")
        try failJob(store, "j1", bad: "bad", good: "good", time: 0)
        XCTAssertEqual(try store.unhealthyWorkers(), [:], "one job is not a pattern")
        try failJob(store, "j2", bad: "bad", good: "good", time: 10)
        let reason = try XCTUnwrap(try store.unhealthyWorkers()["bad"])
        XCTAssertEqual(reason, "blocklisted on 2 jobs that other workers render (j1, j2)")
        XCTAssertNil(try store.unhealthyWorkers()["good"])
        XCTAssertEqual(try store.worker("bad")?.unhealthyReason, reason)

        try register(store, "bad")
        XCTAssertEqual(try store.worker("bad")?.unhealthyReason, reason, "registering again keeps the mark")
        XCTAssertEqual(try store.blockedJobsByWorker(), ["bad": ["j1", "j2"]])

        XCTAssertTrue(try store.reinstateWorker("bad"))
        XCTAssertEqual(try store.unhealthyWorkers(), [:])
        XCTAssertEqual(try store.blockedJobsByWorker(), [:])
        XCTAssertFalse(try store.reinstateWorker("never-seen"))
    }

    func testBlocksOnJobsNobodyRendersOrOlderThanADayDoNotCount() throws {
        let store = try SQLiteJobStore.inMemory()
        store.unhealthyAfter = 2
        try register(store, "w")
        try register(store, "good")
        try failJob(store, "broken-1", bad: "w", good: nil, time: 0)
        try failJob(store, "broken-2", bad: "w", good: nil, time: 10)
        try failJob(store, "broken-3", bad: "w", good: nil, time: 20)
        XCTAssertEqual(try store.unhealthyWorkers(), [:], "jobs that fail everywhere are the jobs' fault")

        try register(store, "w2")
        let late = SQLiteJobStore.unhealthyWindow + 100
        try failJob(store, "old", bad: "w2", good: "good", time: 30)
        try failJob(store, "new", bad: "w2", good: "good", time: late)
        XCTAssertEqual(try store.unhealthyWorkers(), [:], "a block more than a day old does not count")
        try failJob(store, "newer", bad: "w2", good: "good", time: late + 10)
        XCTAssertEqual(try store.unhealthyWorkers()["w2"], "blocklisted on 2 jobs that other workers render (new, newer)")
    }

    func testZeroNeverMarksAWorker() throws {
        let store = try SQLiteJobStore.inMemory()
        store.unhealthyAfter = 0
        try register(store, "bad")
        try register(store, "good")
        for (n, id) in ["a", "b", "c"].enumerated() { try failJob(store, id, bad: "bad", good: "good", time: Double(n * 10)) }
        XCTAssertEqual(try store.unhealthyWorkers(), [:])
    }
}
