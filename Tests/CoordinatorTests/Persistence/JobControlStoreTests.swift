import Foundation
import GRDB
import JobModel
import XCTest
@testable import Coordinator

/// Issue 18 in the store: poison frames (`max_lost`), timeouts, pause/resume, priority and requeue.
final class JobControlStoreTests: XCTestCase {
    private func worker(_ store: SQLiteJobStore, _ id: String) throws {
        try store.upsertWorker(WorkerRecord(id: id, hostname: "h", cores: 4, memoryBytes: 1 << 30, engineVersion: "1",
                                            slots: 4, lastSeen: at(0)))
    }

    /// The counters requeue rewrites agree with the rows: the job's finished and failed tasks, each frame's
    /// completed tasks, and the per-state counts summaries read.
    private func assertConsistent(_ store: SQLiteJobStore, job: String, _ label: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        try store.read { db in
            let counters = try XCTUnwrap(Row.fetchOne(db, sql: "SELECT tasks_finished, tasks_failed FROM jobs WHERE id = ?", arguments: [job]))
            let finished = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE job_id = ? AND state IN ('completed','failed','cancelled')", arguments: [job])
            let failed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks WHERE job_id = ? AND state = 'failed'", arguments: [job])
            XCTAssertEqual(counters[0] as Int, finished, "\(label): tasks_finished", file: file, line: line)
            XCTAssertEqual(counters[1] as Int, failed, "\(label): tasks_failed", file: file, line: line)
            let mismatched = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM frames AS f WHERE f.job_id = ?1 AND f.tasks_completed <>
                    (SELECT COUNT(*) FROM tasks AS t WHERE t.job_id = f.job_id AND t.frame_index = f.frame_index AND t.state = 'completed')
                """, arguments: [job])
            XCTAssertEqual(mismatched, 0, "\(label): frames whose tasks_completed disagrees", file: file, line: line)
            let counted = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM (SELECT state, COUNT(*) AS n FROM tasks WHERE job_id = ?1 GROUP BY state) AS r
                LEFT JOIN job_state_counts AS c ON c.job_id = ?1 AND c.kind = 'task' AND c.state = r.state
                WHERE c.count IS NOT r.n
                """, arguments: [job])
            XCTAssertEqual(counted, 0, "\(label): task state counts", file: file, line: line)
        }
    }

    /// A frame whose worker dies every time fails after `max_lost` charged losses; the other frames go on, and
    /// a coordinator restart (not charged) does not bring it closer.
    func testAPoisonFrameFailsAfterMaxLostWhileTheOthersComplete() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<2, maxLost: 3)
            try worker(store, "w")
            var time = 1.0
            func claimPoison() throws -> Int {
                time += 1
                let claims = try store.claimTasks(for: "w", max: 1, now: at(time))
                XCTAssertEqual(claims.map(\.task.id), ["a-f0"], label)
                return claims[0].attempt
            }
            _ = try claimPoison()
            XCTAssertEqual(try store.recoverAfterRestart(now: at(time + 0.5)).requeuedTasks, 1, label)
            for loss in 1...3 {
                _ = try claimPoison()
                let report = try store.requeueTasks(ofWorker: "w", reason: "worker w went silent", charged: true, now: at(time + 0.5))
                XCTAssertEqual(report, loss < 3 ? LossReport(requeued: ["a-f0"]) : LossReport(failed: ["a-f0"]), "\(label) loss \(loss)")
                try worker(store, "w")
            }
            let task = try XCTUnwrap(store.task("a-f0"))
            XCTAssertEqual(task.state, .failed, label)
            XCTAssertEqual(task.attemptsLost, 3, label)
            XCTAssertEqual(task.attemptsUsed, 0, label)
            XCTAssertEqual(task.lastError, "worker lost 3 times while rendering this task (last: worker w went silent)", label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.outcome), [.lost, .lost, .lost, .lost], label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.errorMessage),
                           ["coordinator restarted", "worker w went silent", "worker w went silent", "worker w went silent"], label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.failed, .pending], label)
            // The other frame still renders, and the job ends failed with one frame done.
            let other = try store.claimTasks(for: "w", max: 4, now: at(20))
            XCTAssertEqual(other.map(\.task.id), ["a-f1"], label)
            XCTAssertEqual(try store.complete("a-f1", attempt: other[0].attempt, resultSHA256: "s", now: at(21)), .task(.completed), label)
            XCTAssertEqual(try store.job("a")?.state, .failed, label)
            XCTAssertEqual(try store.summary(ofJob: "a").framesDone, 1, label)
        }
    }

    func testATimedOutAttemptCountsAndIsRecordedAsTimeout() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<1, maxAttempts: 2)
            var claim = try XCTUnwrap(store.claimTasks(for: "w", max: 1, now: at(1)).first)
            XCTAssertEqual(try store.apply([.timedOut(taskID: "a-f0", attempt: claim.attempt, error: "timed out after 2 s")], now: at(3)),
                           [.task(.queued)], label)
            claim = try XCTUnwrap(store.claimTasks(for: "w", max: 1, now: at(4)).first)
            XCTAssertEqual(claim.attempt, 2, label)
            XCTAssertEqual(try store.apply([.timedOut(taskID: "a-f0", attempt: 2, error: "timed out after 2 s")], now: at(6)),
                           [.task(.failed)], label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.outcome), [.timeout, .timeout], label)
            XCTAssertEqual(try store.task("a-f0")?.attemptsUsed, 2, label)
            XCTAssertEqual(try store.job("a")?.state, .failed, label)
        }
    }

    func testAPausedJobIsNotClaimedUntilResumedAndRecalledTasksKeepTheirAttempts() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "low", priority: 10, frames: 0..<2)
            try insertJob(store, id: "high", priority: 90, frames: 0..<2)
            let first = try store.claimTasks(for: "w", max: 1, now: at(1))
            XCTAssertEqual(first.map(\.task.id), ["high-f0"], label)
            XCTAssertTrue(try store.pauseJob("high", reason: "paused by test", now: at(2)), label)
            XCTAssertFalse(try store.pauseJob("high", reason: "again", now: at(2)), label)
            XCTAssertEqual(try store.job("high")?.pausedReason, "paused by test", label)
            // Pause --now: the held task comes back, its attempt cancelled and not counted; it is not claimed again.
            XCTAssertEqual(try store.apply([.recalled(taskID: "high-f0", attempt: first[0].attempt, reason: "job paused")], now: at(3)),
                           [.task(.queued)], label)
            XCTAssertEqual(try store.claimTasks(for: "w", max: 4, now: at(4)).map(\.task.id), ["low-f0", "low-f1"], label)
            XCTAssertEqual(try store.attempts(ofTask: "high-f0").map(\.outcome), [.cancelled], label)
            XCTAssertEqual(try store.task("high-f0")?.attemptsUsed, 0, label)
            XCTAssertTrue(try store.resumeJob("high", now: at(5)), label)
            XCTAssertFalse(try store.resumeJob("high", now: at(5)), label)
            XCTAssertNil(try store.job("high")?.pausedReason, label)
            XCTAssertEqual(try store.claimTasks(for: "w", max: 4, now: at(6)).map(\.task.id), ["high-f0", "high-f1"], label)
            // A finished job cannot be paused.
            for id in ["high-f0", "high-f1", "low-f0", "low-f1"] {
                let task = try XCTUnwrap(store.task(id))
                _ = try store.complete(id, attempt: task.currentAttempt, resultSHA256: "s-\(id)", now: at(7))
            }
            assertThrows(.invalidJob("job high is completed; only an unfinished job can be paused"), label) {
                _ = try store.pauseJob("high", reason: "late", now: at(8))
            }
            assertThrows(.jobNotFound("nope"), label) { _ = try store.pauseJob("nope", reason: "x", now: at(8)) }
        }
    }

    /// A task lost or failed while its job is paused comes back paused: it is not claimed.
    func testATaskRequeuedWhilePausedStaysHeld() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<1)
            let claim = try XCTUnwrap(store.claimTasks(for: "w", max: 1, now: at(1)).first)
            _ = try store.pauseJob("a", reason: "paused", now: at(2))
            _ = try store.fail("a-f0", attempt: claim.attempt, error: "e", retryable: true, now: at(3))
            XCTAssertEqual(try store.claimTasks(for: "w", max: 1, now: at(4)), [], label)
            _ = try store.resumeJob("a", now: at(5))
            XCTAssertEqual(try store.claimTasks(for: "w", max: 1, now: at(6)).map(\.task.id), ["a-f0"], label)
        }
    }

    func testSetPriorityMovesQueuedTasksAtOnce() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", priority: 50, frames: 0..<2)
            try insertJob(store, id: "b", priority: 50, frames: 0..<2)
            try store.setPriority(ofJob: "b", to: 80, now: at(1))
            XCTAssertEqual(try store.job("b")?.priority, 80, label)
            XCTAssertEqual(try store.claimTasks(for: "w", max: 1, now: at(2)).map(\.task.id), ["b-f0"], label)
            assertThrows(.invalidJob("priority 101 is outside 0…100"), label) { try store.setPriority(ofJob: "b", to: 101, now: at(3)) }
            // A paused job keeps its new priority for when it resumes.
            _ = try store.pauseJob("b", reason: "p", now: at(3))
            try store.setPriority(ofJob: "b", to: 90, now: at(4))
            XCTAssertEqual(try store.claimTasks(for: "w", max: 1, now: at(5)).map(\.task.id), ["a-f0"], label)
            _ = try store.resumeJob("b", now: at(6))
            XCTAssertEqual(try store.claimTasks(for: "w", max: 1, now: at(7)).map(\.task.id), ["b-f1"], label)
        }
    }

    /// Requeue after the job finished: the chosen frames (and only they) render again with fresh attempt counts,
    /// the job runs again and ends completed; failed frames come back with `failed`.
    func testRequeueFramesOfAFinishedJob() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<4, maxAttempts: 1)
            for claim in try store.claimTasks(for: "w", max: 4, now: at(1)) {
                if claim.task.frameIndex == 2 {
                    _ = try store.fail(claim.task.id, attempt: claim.attempt, error: "bad", retryable: false, now: at(2))
                } else {
                    _ = try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "s\(claim.task.frameIndex)", now: at(2))
                }
            }
            XCTAssertEqual(try store.job("a")?.state, .failed, label)
            var report = try store.requeueFrames(ofJob: "a", frames: [1], failed: true, now: at(3))
            XCTAssertEqual(report, RequeueReport(frames: [1, 2], skipped: [], tasks: 2), label)
            XCTAssertEqual(try store.job("a")?.state, .running, label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.done, .pending, .pending, .done], label)
            XCTAssertNil(try store.frames(ofJob: "a")[1].resultSHA256, label)
            XCTAssertNil(try store.task("a-f2")?.lastError, label)
            try assertConsistent(store, job: "a", label)
            // Asking again while they wait changes nothing.
            report = try store.requeueFrames(ofJob: "a", frames: [1], failed: false, now: at(3))
            XCTAssertEqual(report, RequeueReport(frames: [], skipped: [1], tasks: 0), label)
            let claims = try store.claimTasks(for: "w", max: 4, now: at(4))
            XCTAssertEqual(claims.map(\.task.id), ["a-f1", "a-f2"], label)
            XCTAssertEqual(claims.map(\.attempt), [2, 2], label)
            for claim in claims {
                _ = try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "new\(claim.task.frameIndex)", now: at(5))
            }
            XCTAssertEqual(try store.job("a")?.state, .completed, label)
            XCTAssertEqual(try store.summary(ofJob: "a").framesDone, 4, label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.resultSHA256), ["s0", "new1", "new2", "s3"], label)
            try assertConsistent(store, job: "a", label)
            assertThrows(.invalidJob("job a has no frame at index 9"), label) {
                _ = try store.requeueFrames(ofJob: "a", frames: [9], failed: false, now: at(6))
            }
            _ = try store.requeueFrames(ofJob: "a", frames: [0], failed: false, now: at(6))
            _ = try store.cancelJob("a", now: at(7))
            assertThrows(.invalidJob("job a was cancelled; submit it again to render it"), label) {
                _ = try store.requeueFrames(ofJob: "a", frames: [0], failed: false, now: at(8))
            }
        }
    }

    /// A frame whose task waits on intermediate steps (a flow, an earlier sweep) brings them back too: their
    /// results were removed when the job finished. Prerequisites that are other frames' outputs stay done.
    func testRequeueBringsBackTheIntermediateStepsAFrameNeeds() throws {
        try forEachStore { store, label in
            let job = JobRecord(id: "t", name: "t", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h")
            let frames = (0..<2).map { FrameRecord(jobID: "t", index: $0, outputPath: "/out/\($0).png") }
            let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
            let tasks = [
                TaskRecord(id: "f0", jobID: "t", frameIndex: 0, region: region),
                TaskRecord(id: "flow1", jobID: "t", frameIndex: 1, region: region, producesOutput: false),
                TaskRecord(id: "sweep0-1", jobID: "t", frameIndex: 0, region: region, producesOutput: false),
                TaskRecord(id: "f1", jobID: "t", frameIndex: 1, region: region, dependencies: ["f0", "flow1", "sweep0-1"]),
            ]
            try store.insertJob(job, frames: frames, tasks: tasks, now: at(0))
            var time = 1.0
            while let claim = try store.claimTasks(for: "w", max: 1, now: at(time)).first {
                _ = try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "s-\(claim.task.id)", now: at(time))
                time += 1
            }
            XCTAssertEqual(try store.job("t")?.state, .completed, label)
            let report = try store.requeueFrames(ofJob: "t", frames: [1], failed: false, now: at(10))
            XCTAssertEqual(report, RequeueReport(frames: [1], skipped: [], tasks: 3), label)
            XCTAssertEqual(try store.task("f0")?.state, .completed, label)
            XCTAssertEqual(try store.frames(ofJob: "t").map(\.state), [.done, .pending], label)
            // f1 waits for its flow and the sweep again.
            var order: [String] = []
            while let claim = try store.claimTasks(for: "w", max: 1, now: at(time)).first {
                order.append(claim.task.id)
                _ = try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "s-\(claim.task.id)", now: at(time))
                time += 1
            }
            XCTAssertEqual(order.last, "f1", label)
            XCTAssertEqual(Set(order), ["flow1", "sweep0-1", "f1"], label)
            XCTAssertEqual(try store.job("t")?.state, .completed, label)
            try assertConsistent(store, job: "t", label)
        }
    }

    /// Migration v5 on a v4 file: attempts (and their outcomes) kept, every task allowed 3 losses.
    func testV5MigratesAnOlderDatabase() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent(SQLiteJobStore.fileName).path
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v4")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (id, name, spec, priority, sequence, state, created_at, updated_at, style_targets_hash, tasks_total)
                        VALUES ('a', 'a', x'7b7d', 50, 1, 'running', 0, 0, 'h', 1);
                    INSERT INTO frames (job_id, frame_index, output_path, state, tasks_total) VALUES ('a', 0, '/o', 'pending', 1);
                    INSERT INTO tasks (id, job_id, frame_index, region_x, region_y, region_w, region_h, state, max_attempts,
                                       current_attempt, job_priority, job_sequence) VALUES ('a-f0', 'a', 0, 0, 0, 8, 8, 'queued', 3, 1, 50, 1);
                    INSERT INTO attempts (task_id, number, worker_id, started_at, ended_at, outcome, error_message)
                        VALUES ('a-f0', 1, 'w', 1, 2, 'lost', NULL);
                    """)
            }
            try queue.close()
            let store = try SQLiteJobStore(stateDirectory: directory)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.outcome), [.lost])
            XCTAssertEqual(try store.task("a-f0")?.maxLost, 3)
            XCTAssertNil(try store.job("a")?.pausedReason)
            let claim = try XCTUnwrap(store.claimTasks(for: "w", max: 1, now: at(3)).first)
            XCTAssertEqual(try store.apply([.timedOut(taskID: "a-f0", attempt: claim.attempt, error: "t")], now: at(4)), [.task(.queued)])
            try store.close()
        }
    }

    /// A worker that failed `blocklist_threshold` tasks of a job claims no more of them (other jobs' it still
    /// does, also when the blocked job comes first); the coordinator's own refusals do not count; unblock and
    /// requeue clear it.
    func testABlocklistedWorkerGetsNoMoreTasksOfThatJob() throws {
        try forEachStore { store, label in
            let job = JobRecord(id: "a", name: "a", spec: Data("{}".utf8), priority: 90, styleTargetsHash: "h", blocklistThreshold: 2)
            let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
            try store.insertJob(job, frames: (0..<6).map { FrameRecord(jobID: "a", index: $0, outputPath: "/o/\($0)") },
                                tasks: (0..<6).map { TaskRecord(id: "a-f\($0)", jobID: "a", frameIndex: $0, region: region, maxAttempts: 5) },
                                now: at(0))
            try insertJob(store, id: "b", priority: 10, frames: 0..<2)
            var claims = try store.claimTasks(for: "bad", max: 3, now: at(1))
            XCTAssertEqual(claims.map(\.task.id), ["a-f0", "a-f1", "a-f2"], label)
            _ = try store.fail("a-f0", attempt: 1, error: "crash", retryable: true, now: at(2))
            _ = try store.apply([.failed(taskID: "a-f1", attempt: 1, error: "coordinator: cannot read", retryable: true, byWorker: false)], now: at(2))
            XCTAssertEqual(try store.blockedWorkers(ofJob: "a"), [], "\(label): the coordinator's refusal is not the worker's")
            _ = try store.apply([.timedOut(taskID: "a-f2", attempt: 1, error: "timed out")], now: at(2))
            XCTAssertEqual(try store.blockedWorkers(ofJob: "a"), ["bad"], label)
            claims = try store.claimTasks(for: "bad", max: 4, now: at(3))
            XCTAssertEqual(claims.map(\.task.id), ["b-f0", "b-f1"], "\(label): only the other job's tasks")
            XCTAssertEqual(try store.claimTasks(for: "good", max: 2, now: at(3)).map(\.task.id), ["a-f0", "a-f1"], label)
            XCTAssertEqual(try store.unblockWorkers(ofJob: "a", worker: "bad", now: at(4)), ["bad"], label)
            XCTAssertEqual(try store.claimTasks(for: "bad", max: 1, now: at(5)).map(\.task.id), ["a-f2"], label)
            // Blocked again, then a requeue starts the blocklist afresh.
            _ = try store.fail("a-f2", attempt: 2, error: "crash", retryable: true, now: at(6))
            let next = try XCTUnwrap(store.claimTasks(for: "bad", max: 1, now: at(6)).first)
            _ = try store.fail(next.task.id, attempt: next.attempt, error: "crash", retryable: true, now: at(6))
            XCTAssertEqual(try store.blockedWorkers(ofJob: "a"), ["bad"], label)
            _ = try store.requeueFrames(ofJob: "b", frames: [], failed: true, now: at(7))
            XCTAssertEqual(try store.blockedWorkers(ofJob: "a"), ["bad"], "\(label): another job's requeue leaves it")
            _ = try store.pauseJob("a", reason: "p", now: at(7))
            XCTAssertEqual(try store.claimTasks(for: "bad", max: 1, now: at(7)), [], "\(label): the per-job claim skips a paused job too")
            _ = try store.resumeJob("a", now: at(7))
            for claim in try store.claimTasks(for: "good", max: 10, now: at(8)) {
                _ = try store.complete(claim.task.id, attempt: claim.attempt, resultSHA256: "s", now: at(8))
            }
            XCTAssertEqual(try store.requeueFrames(ofJob: "a", frames: [5], failed: false, now: at(9)).frames, [5], label)
            XCTAssertEqual(try store.blockedWorkers(ofJob: "a"), [], label)
        }
    }
}
