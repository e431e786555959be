import Foundation
@testable import JobModel
import XCTest
@testable import Coordinator

/// The behaviour every ``JobStore`` must have, run against the file store and the in-memory store.
final class JobStoreTests: XCTestCase {
    func testInsertStoresJobFramesAndTasks() throws {
        try forEachStore { store, label in
            let a = try insertJob(store, id: "a", priority: 10, frames: 0..<2, now: at(1))
            let b = try insertJob(store, id: "b", priority: 10, frames: 0..<1, now: at(2))
            XCTAssertEqual(a.sequence, 1, label)
            XCTAssertEqual(b.sequence, 2, label)
            let stored = try XCTUnwrap(store.job("a"), label)
            XCTAssertEqual(stored, a, label)
            XCTAssertEqual(stored.state, .queued, label)
            XCTAssertEqual(stored.createdAt, at(1), label)
            XCTAssertEqual(String(decoding: stored.spec, as: UTF8.self), "{\"id\":\"a\"}", label)
            XCTAssertEqual(stored.styleTargetsHash, "hash-a", label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.index), [0, 1], label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.pending, .pending], label)
            let tasks = try store.tasks(ofJob: "a")
            XCTAssertEqual(tasks.map(\.id), ["a-f0", "a-f1"], label)
            XCTAssertEqual(tasks[1].region, TaskRegion(x: 0, y: 0, width: 64, height: 64), label)
            XCTAssertEqual(tasks.map(\.state), [.queued, .queued], label)
            XCTAssertEqual(tasks.map(\.currentAttempt), [0, 0], label)
            XCTAssertEqual(try store.listJobs().map(\.id), ["a", "b"], label)
            XCTAssertNil(try store.job("nope"), label)
        }
    }

    func testInsertRejectsInvalidJobsAndStoresNothing() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a")
            assertThrows(.duplicateJob("a"), label) { try insertJob(store, id: "a") }
            assertThrows(.invalidJob("priority 101 is outside 0…100"), label) { try insertJob(store, id: "b", priority: 101) }
            let job = JobRecord(id: "c", name: "c", spec: Data(), priority: 1, styleTargetsHash: "")
            let frame = FrameRecord(jobID: "c", index: 0, outputPath: "/c/0.png")
            let orphan = TaskRecord(id: "c-x", jobID: "c", frameIndex: 7, region: TaskRegion(x: 0, y: 0, width: 1, height: 1))
            assertThrows(.invalidJob("task 'c-x' names missing frame 7"), label) {
                try store.insertJob(job, frames: [frame], tasks: [orphan], now: at(0))
            }
            // A task id already used by another job: the constraint fails and the whole job is rolled back.
            let clash = TaskRecord(id: "a-f0", jobID: "c", frameIndex: 0, region: TaskRegion(x: 0, y: 0, width: 1, height: 1))
            XCTAssertThrowsError(try store.insertJob(job, frames: [frame], tasks: [clash], now: at(0)), label)
            XCTAssertEqual(try store.listJobs().map(\.id), ["a"], label)
            XCTAssertEqual(try store.frames(ofJob: "c"), [], label)
        }
    }

    func testClaimOrdersByPriorityThenSubmissionThenFrame() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "low", priority: 10, frames: 0..<3)
            try insertJob(store, id: "high1", priority: 90, frames: 0..<2)
            try insertJob(store, id: "high2", priority: 90, frames: 0..<2)
            try insertJob(store, id: "mid", priority: 50, frames: 5..<7)
            let claimed = try store.claimTasks(for: "w1", max: 5, now: at(1))
            XCTAssertEqual(claimed.map(\.task.id), ["high1-f0", "high1-f1", "high2-f0", "high2-f1", "mid-f5"], label)
            XCTAssertEqual(claimed.map(\.attempt), [1, 1, 1, 1, 1], label)
            XCTAssertTrue(claimed.allSatisfy { $0.task.state == .assigned && $0.task.assignedWorker == "w1" }, label)
            XCTAssertEqual(try store.job("high1")?.state, .running, label)
            XCTAssertEqual(try store.job("mid")?.state, .running, label)
            XCTAssertEqual(try store.job("low")?.state, .queued, label)
            XCTAssertEqual(try store.task("mid-f5")?.state, .assigned, label)
            let attempts = try store.attempts(ofTask: "mid-f5")
            XCTAssertEqual(attempts, [AttemptRecord(taskID: "mid-f5", number: 1, workerID: "w1", startedAt: at(1))], label)
            let rest = try store.claimTasks(for: "w2", max: 10, now: at(2))
            XCTAssertEqual(rest.map(\.task.id), ["mid-f6", "low-f0", "low-f1", "low-f2"], label)
            XCTAssertEqual(try store.claimTasks(for: "w2", max: 10, now: at(3)), [], label)
            XCTAssertEqual(try store.claimTasks(for: "w2", max: 0, now: at(3)), [], label)
        }
    }

    func testRequeuedTaskKeepsItsPlaceInTheOrder() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", priority: 50, frames: 0..<3)
            let first = try store.claimTasks(for: "w1", max: 1, now: at(1))
            XCTAssertEqual(first.map(\.task.id), ["a-f0"], label)
            _ = try store.fail("a-f0", attempt: 1, error: "oom", retryable: true, now: at(2))
            XCTAssertEqual(try store.claimTasks(for: "w2", max: 2, now: at(3)).map(\.task.id), ["a-f0", "a-f1"], label)
        }
    }

    func testClaimNeverHandsOutATaskTwice() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<10)
            let first = try store.claimTasks(for: "w1", max: 4, now: at(1))
            let second = try store.claimTasks(for: "w2", max: 4, now: at(1))
            let third = try store.claimTasks(for: "w3", max: 4, now: at(1))
            let ids = (first + second + third).map(\.task.id)
            XCTAssertEqual(ids.count, 10, label)
            XCTAssertEqual(Set(ids).count, 10, label)
            XCTAssertEqual(third.count, 2, label)
        }
    }

    func testConcurrentClaimsFromTwoThreads() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<300)
            let results = Locked<[String: [String]]>([:])
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { thread in
                let worker = "w\(thread)"
                var mine: [String] = []
                while true {
                    do {
                        let batch = try store.claimTasks(for: worker, max: 3, now: at(1))
                        if batch.isEmpty { break }
                        if !batch.allSatisfy({ $0.task.assignedWorker == worker }) {
                            failures.mutate { $0.append("claim for \(worker) returned another worker's task") }
                        }
                        mine += batch.map(\.task.id)
                    } catch {
                        failures.mutate { $0.append("\(error)") }
                        break
                    }
                }
                results.mutate { $0[worker] = mine }
            }
            let claimed = results.value
            XCTAssertEqual(claimed.count, 2, label)
            XCTAssertEqual(failures.value, [], label)
            let all = claimed.values.flatMap { $0 }
            XCTAssertEqual(all.count, 300, label)
            XCTAssertEqual(Set(all).count, 300, label)
            for (worker, ids) in claimed {
                for id in ids.prefix(5) {
                    XCTAssertEqual(try store.task(id)?.assignedWorker, worker, label)
                }
            }
        }
    }

    func testCompletionRollsUpFramesAndJob() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<2)
            let claims = try store.claimTasks(for: "w1", max: 2, now: at(1))
            XCTAssertEqual(try store.markRunning("a-f0", attempt: 1, now: at(2)), .task(.running), label)
            XCTAssertEqual(try store.task("a-f0")?.state, .running, label)
            XCTAssertEqual(try store.complete("a-f0", attempt: 1, resultSHA256: "sha0", now: at(3)), .task(.completed), label)
            var summary = try store.summary(ofJob: "a")
            XCTAssertEqual(summary.state, .running, label)
            XCTAssertEqual(summary.framesDone, 1, label)
            XCTAssertEqual(summary.framesTotal, 2, label)
            XCTAssertEqual(summary.tasks, [.completed: 1, .assigned: 1], label)
            XCTAssertEqual(claims.count, 2, label)
            XCTAssertEqual(try store.complete("a-f1", attempt: 1, resultSHA256: "sha1", now: at(4)), .task(.completed), label)
            summary = try store.summary(ofJob: "a")
            XCTAssertEqual(summary.state, .completed, label)
            XCTAssertEqual(summary.framesDone, 2, label)
            XCTAssertEqual(summary.framesFailed, 0, label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.resultSHA256), ["sha0", "sha1"], label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.done, .done], label)
            let task = try XCTUnwrap(store.task("a-f1"), label)
            XCTAssertEqual(task.attemptsUsed, 1, label)
            XCTAssertNil(task.assignedWorker, label)
            XCTAssertEqual(task.resultSHA256, "sha1", label)
            let attempt = try store.attempts(ofTask: "a-f1")
            XCTAssertEqual(attempt.map(\.outcome), [.succeeded], label)
            XCTAssertEqual(attempt.first?.endedAt, at(4), label)
            XCTAssertEqual(try store.job("a")?.updatedAt, at(4), label)
            assertThrows(.jobNotFound("zz"), label) { _ = try store.summary(ofJob: "zz") }
        }
    }

    func testTiledFrameIsDoneWhenEveryTileIsAndTakesTheAssembledHash() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "t", frames: 0..<1, tilesPerFrame: 2)
            _ = try store.claimTasks(for: "w1", max: 2, now: at(1))
            _ = try store.complete("t-f0-t0", attempt: 1, resultSHA256: "tile0", now: at(2))
            XCTAssertEqual(try store.frames(ofJob: "t").first?.state, .pending, label)
            _ = try store.complete("t-f0-t1", attempt: 1, resultSHA256: "tile1", now: at(3))
            var frame = try XCTUnwrap(store.frames(ofJob: "t").first, label)
            XCTAssertEqual(frame.state, .done, label)
            XCTAssertNil(frame.resultSHA256, label)
            XCTAssertEqual(try store.job("t")?.state, .completed, label)
            XCTAssertEqual(try store.apply([.frameAssembled(jobID: "t", frameIndex: 0, sha256: "whole")], now: at(4)),
                           [.frameRecorded], label)
            frame = try XCTUnwrap(store.frames(ofJob: "t").first, label)
            XCTAssertEqual(frame.resultSHA256, "whole", label)
            assertThrows(.jobNotFound("t"), label) {
                _ = try store.apply([.frameAssembled(jobID: "t", frameIndex: 9, sha256: "x")], now: at(5))
            }
        }
    }

    func testRetriesUpToMaxAttemptsThenFailsKeepingTheError() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<2, maxAttempts: 3)
            for attempt in 1...3 {
                let claim = try store.claimTasks(for: "w\(attempt)", max: 1, now: at(Double(attempt)))
                XCTAssertEqual(claim.map(\.task.id), ["a-f0"], label)
                XCTAssertEqual(claim.first?.attempt, attempt, label)
                let outcome = try store.fail("a-f0", attempt: attempt, error: "boom \(attempt)", retryable: true,
                                             now: at(Double(attempt) + 0.5))
                XCTAssertEqual(outcome, .task(attempt < 3 ? .queued : .failed), label)
                XCTAssertEqual(try store.task("a-f0")?.attemptsUsed, attempt, label)
            }
            let task = try XCTUnwrap(store.task("a-f0"), label)
            XCTAssertEqual(task.state, .failed, label)
            XCTAssertEqual(task.lastError, "boom 3", label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.outcome), [.failed, .failed, .failed], label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.errorMessage), ["boom 1", "boom 2", "boom 3"], label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.workerID), ["w1", "w2", "w3"], label)
            // The job goes on with its other frames, and fails once all are finished.
            XCTAssertEqual(try store.job("a")?.state, .running, label)
            XCTAssertEqual(try store.summary(ofJob: "a").framesFailed, 1, label)
            let last = try store.claimTasks(for: "w1", max: 5, now: at(10))
            XCTAssertEqual(last.map(\.task.id), ["a-f1"], label)
            _ = try store.complete("a-f1", attempt: 1, resultSHA256: "s", now: at(11))
            let summary = try store.summary(ofJob: "a")
            XCTAssertEqual(summary.state, .failed, label)
            XCTAssertEqual(summary.framesDone, 1, label)
            XCTAssertEqual(summary.framesFailed, 1, label)
        }
    }

    func testNonRetryableErrorFailsAtOnce() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<1, maxAttempts: 5)
            _ = try store.claimTasks(for: "w1", max: 1, now: at(1))
            XCTAssertEqual(try store.fail("a-f0", attempt: 1, error: "bad spec", retryable: false, now: at(2)),
                           .task(.failed), label)
            XCTAssertEqual(try store.task("a-f0")?.attemptsUsed, 1, label)
            XCTAssertEqual(try store.job("a")?.state, .failed, label)
            XCTAssertEqual(try store.frames(ofJob: "a").first?.state, .failed, label)
        }
    }

    func testLostTasksDoNotUseAttempts() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<2, maxAttempts: 1, maxLost: 4)
            try store.upsertWorker(WorkerRecord(id: "w1", hostname: "h1", cores: 4, memoryBytes: 1 << 30,
                                                engineVersion: "1", slots: 2, lastSeen: at(0)))
            for round in 1...3 {
                let claims = try store.claimTasks(for: "w1", max: 2, now: at(Double(round)))
                XCTAssertEqual(claims.map(\.attempt), [round, round], label)
                _ = try store.markRunning("a-f1", attempt: round, now: at(Double(round)))
                XCTAssertEqual(try store.requeueTasks(ofWorker: "w1", now: at(Double(round) + 0.5)), ["a-f0", "a-f1"], label)
                XCTAssertEqual(try store.worker("w1")?.state, .dead, label)
                try store.upsertWorker(WorkerRecord(id: "w1", hostname: "h1", cores: 4, memoryBytes: 1 << 30,
                                                    engineVersion: "1", slots: 2, lastSeen: at(Double(round) + 0.6)))
            }
            let task = try XCTUnwrap(store.task("a-f1"), label)
            XCTAssertEqual(task.state, .queued, label)
            XCTAssertEqual(task.attemptsUsed, 0, label)
            XCTAssertNil(task.assignedWorker, label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f1").map(\.outcome), [.lost, .lost, .lost], label)
            XCTAssertEqual(try store.requeueTasks(ofWorker: "w1", now: at(9)), [], label)
            // max_attempts = 1, yet the fourth hand-out may still fail once and the task then fails.
            let claims = try store.claimTasks(for: "w2", max: 2, now: at(10))
            XCTAssertEqual(claims.map(\.attempt), [4, 4], label)
            XCTAssertEqual(try store.complete("a-f0", attempt: 4, resultSHA256: "s", now: at(11)), .task(.completed), label)
            XCTAssertEqual(try store.fail("a-f1", attempt: 4, error: "e", retryable: true, now: at(11)), .task(.failed), label)
        }
    }

    func testStaleResultAfterReassignmentIsIgnored() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<1)
            XCTAssertEqual(try store.claimTasks(for: "dead", max: 1, now: at(1)).first?.attempt, 1, label)
            _ = try store.requeueTasks(ofWorker: "dead", now: at(4))
            XCTAssertEqual(try store.claimTasks(for: "alive", max: 1, now: at(5)).first?.attempt, 2, label)
            // The dead worker's late reports.
            XCTAssertEqual(try store.apply([
                .started(taskID: "a-f0", attempt: 1),
                .completed(taskID: "a-f0", attempt: 1, resultSHA256: "late"),
                .failed(taskID: "a-f0", attempt: 1, error: "late", retryable: false),
            ], now: at(6)), [.ignored(.staleAttempt), .ignored(.staleAttempt), .ignored(.staleAttempt)], label)
            var task = try XCTUnwrap(store.task("a-f0"), label)
            XCTAssertEqual(task.state, .assigned, label)
            XCTAssertEqual(task.assignedWorker, "alive", label)
            XCTAssertNil(task.resultSHA256, label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f0").map(\.outcome), [.lost, .pending], label)
            XCTAssertEqual(try store.complete("a-f0", attempt: 2, resultSHA256: "good", now: at(7)), .task(.completed), label)
            XCTAssertEqual(try store.complete("a-f0", attempt: 2, resultSHA256: "again", now: at(8)),
                           .ignored(.alreadyFinished), label)
            task = try XCTUnwrap(store.task("a-f0"), label)
            XCTAssertEqual(task.resultSHA256, "good", label)
            XCTAssertEqual(try store.frames(ofJob: "a").first?.resultSHA256, "good", label)
        }
    }

    func testBatchWithUnknownTaskAppliesNothing() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<2)
            _ = try store.claimTasks(for: "w", max: 2, now: at(1))
            assertThrows(.taskNotFound("ghost"), label) {
                _ = try store.apply([.completed(taskID: "a-f0", attempt: 1, resultSHA256: "s"),
                                     .completed(taskID: "ghost", attempt: 1, resultSHA256: "s")], now: at(2))
            }
            XCTAssertEqual(try store.task("a-f0")?.state, .assigned, label)
            XCTAssertEqual(try store.summary(ofJob: "a").framesDone, 0, label)
            let outcomes = try store.apply([.started(taskID: "a-f0", attempt: 1),
                                            .completed(taskID: "a-f0", attempt: 1, resultSHA256: "s0"),
                                            .completed(taskID: "a-f1", attempt: 1, resultSHA256: "s1")], now: at(3))
            XCTAssertEqual(outcomes, [.task(.running), .task(.completed), .task(.completed)], label)
            XCTAssertEqual(try store.job("a")?.state, .completed, label)
        }
    }

    func testCancelJob() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<4)
            try insertJob(store, id: "b", priority: 10, frames: 0..<1)
            _ = try store.claimTasks(for: "w", max: 2, now: at(1))
            _ = try store.complete("a-f0", attempt: 1, resultSHA256: "s", now: at(2))
            XCTAssertEqual(try store.cancelJob("a", now: at(3)), ["a-f1"], label)
            XCTAssertEqual(try store.tasks(ofJob: "a").map(\.state), [.completed, .cancelled, .cancelled, .cancelled], label)
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.done, .cancelled, .cancelled, .cancelled], label)
            XCTAssertEqual(try store.job("a")?.state, .cancelled, label)
            XCTAssertEqual(try store.attempts(ofTask: "a-f1").map(\.outcome), [.cancelled], label)
            XCTAssertEqual(try store.complete("a-f1", attempt: 1, resultSHA256: "late", now: at(4)),
                           .ignored(.alreadyFinished), label)
            XCTAssertEqual(try store.job("a")?.state, .cancelled, label)
            XCTAssertEqual(try store.claimTasks(for: "w", max: 10, now: at(5)).map(\.task.id), ["b-f0"], label)
            XCTAssertEqual(try store.cancelJob("a", now: at(6)), [], label)
            assertThrows(.jobNotFound("zz"), label) { _ = try store.cancelJob("zz", now: at(6)) }
        }
    }

    func testWorkersUpsertAndHeartbeat() throws {
        try forEachStore { store, label in
            let worker = WorkerRecord(id: "w1", hostname: "render-1", cores: 16, memoryBytes: 64 << 30,
                                      engineVersion: "0.3.0", slots: 4, lastSeen: at(0))
            try store.upsertWorker(worker)
            XCTAssertEqual(try store.worker("w1"), worker, label)
            XCTAssertTrue(try store.recordHeartbeat(workerID: "w1", at: at(5)), label)
            XCTAssertTrue(try store.recordHeartbeat(workerID: "w1", at: at(4)), label)
            XCTAssertEqual(try store.worker("w1")?.lastSeen, at(5), label)
            XCTAssertFalse(try store.recordHeartbeat(workerID: "nobody", at: at(5)), label)
            var updated = worker
            updated.slots = 8
            updated.engineVersion = "0.4.0"
            updated.lastSeen = at(6)
            try store.upsertWorker(updated)
            try store.upsertWorker(WorkerRecord(id: "w0", hostname: "render-0", cores: 2, memoryBytes: 1,
                                                engineVersion: "0.4.0", slots: 1, lastSeen: at(6)))
            XCTAssertEqual(try store.listWorkers(), [WorkerRecord(id: "w0", hostname: "render-0", cores: 2, memoryBytes: 1,
                                                                  engineVersion: "0.4.0", slots: 1, lastSeen: at(6)),
                                                     updated], label)
        }
    }

    func testRecoveryRequeuesInFlightTasksWithoutUsingAttempts() throws {
        try forEachStore { store, label in
            try insertJob(store, id: "a", frames: 0..<4)
            try store.upsertWorker(WorkerRecord(id: "w", hostname: "h", cores: 1, memoryBytes: 1, engineVersion: "1",
                                                slots: 4, lastSeen: at(0)))
            _ = try store.claimTasks(for: "w", max: 3, now: at(1))
            _ = try store.markRunning("a-f1", attempt: 1, now: at(2))
            _ = try store.complete("a-f0", attempt: 1, resultSHA256: "s0", now: at(3))
            let report = try store.recoverAfterRestart(now: at(10))
            XCTAssertEqual(report, RecoveryReport(requeuedTasks: 2, workersMarkedDead: 1), label)
            XCTAssertEqual(try store.tasks(ofJob: "a").map(\.state), [.completed, .queued, .queued, .queued], label)
            XCTAssertEqual(try store.tasks(ofJob: "a").map(\.attemptsUsed), [1, 0, 0, 0], label)
            XCTAssertEqual(try store.worker("w")?.state, .dead, label)
        }
    }
}
