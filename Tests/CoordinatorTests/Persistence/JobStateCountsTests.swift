import Foundation
import GRDB
import XCTest
@testable import Coordinator

/// The per-job state counts (`job_state_counts`, migration v3) that a job's summary reads: kept by triggers,
/// so they must equal a recount of the rows after every kind of change the store makes.
final class JobStateCountsTests: XCTestCase {
    /// Frames and tasks per state, counted from the rows themselves.
    private func recount(_ store: SQLiteJobStore, job: String) throws -> (frames: [FrameState: Int], tasks: [TaskState: Int]) {
        try store.read { db in
            var frames: [FrameState: Int] = [:], tasks: [TaskState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM frames WHERE job_id = ? GROUP BY state", arguments: [job]) {
                frames[try XCTUnwrap(FrameState(rawValue: row[0]))] = row[1]
            }
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM tasks WHERE job_id = ? GROUP BY state", arguments: [job]) {
                tasks[try XCTUnwrap(TaskState(rawValue: row[0]))] = row[1]
            }
            return (frames, tasks)
        }
    }

    private func assertCounts(_ store: SQLiteJobStore, jobs: [String], _ step: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        for job in jobs {
            let summary = try store.summary(ofJob: job)
            let rows = try recount(store, job: job)
            XCTAssertEqual(summary.tasks, rows.tasks, "\(job) tasks after \(step)", file: file, line: line)
            XCTAssertEqual(summary.framesTotal, rows.frames.values.reduce(0, +), "\(job) frames after \(step)", file: file, line: line)
            XCTAssertEqual(summary.framesDone, rows.frames[.done] ?? 0, "\(job) done frames after \(step)", file: file, line: line)
            XCTAssertEqual(summary.framesFailed, rows.frames[.failed] ?? 0, "\(job) failed frames after \(step)", file: file, line: line)
        }
    }

    func testSummaryCountsFollowEveryChange() throws {
        try withTemporaryDirectory { directory in
            var store = try SQLiteJobStore(stateDirectory: directory)
            try insertJob(store, id: "a", frames: 0..<4, tilesPerFrame: 2, maxAttempts: 2)
            try insertJob(store, id: "b", frames: 0..<3)
            let jobs = ["a", "b"]
            try assertCounts(store, jobs: jobs, "submit")
            XCTAssertEqual(try store.summary(ofJob: "a").tasks, [.queued: 8])

            let first = try store.claimTasks(for: "w1", max: 5, now: at(1))
            try assertCounts(store, jobs: jobs, "claim")
            _ = try store.markRunning(first[0].task.id, attempt: first[0].attempt, now: at(2))
            _ = try store.complete(first[0].task.id, attempt: first[0].attempt, resultSHA256: "s", now: at(3))
            _ = try store.complete(first[1].task.id, attempt: first[1].attempt, resultSHA256: "s", now: at(3))
            try assertCounts(store, jobs: jobs, "completions")
            XCTAssertEqual(try store.summary(ofJob: "a").framesDone, 1)

            _ = try store.fail(first[2].task.id, attempt: first[2].attempt, error: "retry me", retryable: true, now: at(4))
            _ = try store.fail(first[3].task.id, attempt: first[3].attempt, error: "bad", retryable: false, now: at(4))
            try assertCounts(store, jobs: jobs, "failures")
            XCTAssertEqual(try store.summary(ofJob: "a").framesFailed, 1)

            _ = try store.requeueTasks(ofWorker: "w1", now: at(5))
            try assertCounts(store, jobs: jobs, "requeue of a dead worker")
            _ = try store.claimTasks(for: "w2", max: 3, now: at(6))
            _ = try store.cancelJob("b", now: at(7))
            try assertCounts(store, jobs: jobs, "cancel")
            try store.close()

            store = try SQLiteJobStore(stateDirectory: directory)
            _ = try store.recoverAfterRestart(now: at(8))
            try assertCounts(store, jobs: jobs, "restart")
            try store.close()
        }
    }

    func testMigrationCountsTheRowsOfAnOlderDatabase() throws {
        try withTemporaryDirectory { directory in
            var store = try SQLiteJobStore(stateDirectory: directory)
            try insertJob(store, id: "a", frames: 0..<3)
            let claims = try store.claimTasks(for: "w", max: 2, now: at(1))
            _ = try store.complete(claims[0].task.id, attempt: claims[0].attempt, resultSHA256: "s", now: at(2))
            // Back to a v2 file: no counts table, no triggers, v3 not applied.
            try store.write { db in
                for trigger in ["frames_count_insert", "frames_count_delete", "frames_count_state",
                                "tasks_count_insert", "tasks_count_delete", "tasks_count_state"] {
                    try db.execute(sql: "DROP TRIGGER \(trigger)")
                }
                try db.execute(sql: "DROP TABLE job_state_counts")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v3'")
            }
            try store.close()

            store = try SQLiteJobStore(stateDirectory: directory)
            XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
            try assertCounts(store, jobs: ["a"], "migration")
            XCTAssertEqual(try store.summary(ofJob: "a").tasks, [.completed: 1, .assigned: 1, .queued: 1])
            XCTAssertEqual(try store.summary(ofJob: "a").framesDone, 1)
            try store.close()
        }
    }
}
