import Foundation
@testable import JobModel
import XCTest
@testable import Coordinator

/// What only the file store has: migrations on disk, WAL, surviving a restart.
final class SQLiteJobStoreTests: XCTestCase {
    func testFreshFileIsMigratedInWALModeAndReopensIdempotently() throws {
        try withTemporaryDirectory { directory in
            let stateDirectory = directory.appendingPathComponent("state")
            let store = try SQLiteJobStore(stateDirectory: stateDirectory)
            XCTAssertEqual(store.path, stateDirectory.appendingPathComponent("jobs.sqlite").path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: try XCTUnwrap(store.path)))
            XCTAssertEqual(try store.journalMode(), "wal")
            XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
            try insertJob(store, id: "a")
            try store.close()

            let reopened = try SQLiteJobStore(stateDirectory: stateDirectory)
            XCTAssertEqual(try reopened.journalMode(), "wal")
            XCTAssertEqual(try reopened.appliedMigrations(), ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
            XCTAssertEqual(try reopened.listJobs().map(\.id), ["a"])
            XCTAssertEqual(try reopened.tasks(ofJob: "a").count, 3)
            try reopened.close()
        }
    }

    func testMemoryStoreIsMigrated() throws {
        let store = try SQLiteJobStore.inMemory()
        XCTAssertNil(store.path)
        XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        XCTAssertEqual(try store.listJobs(), [])
    }

    func testUnopenablePathThrowsDatabaseError() throws {
        try withTemporaryDirectory { directory in
            let blocker = directory.appendingPathComponent("file")
            try Data("x".utf8).write(to: blocker)
            XCTAssertThrowsError(try SQLiteJobStore(stateDirectory: blocker)) { error in
                XCTAssertNotNil(error as? PersistenceError)
            }
        }
    }

    func testRestartMidJobRequeuesInFlightTasksAndKeepsFinishedFrames() throws {
        try withTemporaryDirectory { directory in
            var store = try SQLiteJobStore(stateDirectory: directory)
            try insertJob(store, id: "a", frames: 0..<5, maxAttempts: 2)
            try store.upsertWorker(WorkerRecord(id: "w", hostname: "h", cores: 1, memoryBytes: 1, engineVersion: "1",
                                                slots: 4, lastSeen: at(0)))
            _ = try store.claimTasks(for: "w", max: 4, now: at(1))
            _ = try store.complete("a-f0", attempt: 1, resultSHA256: "s0", now: at(2))
            _ = try store.fail("a-f1", attempt: 1, error: "oom", retryable: true, now: at(2))
            _ = try store.markRunning("a-f2", attempt: 1, now: at(2))
            // a-f2 running, a-f3 assigned, a-f1 queued with one attempt used, a-f4 never claimed.
            try store.close()

            store = try SQLiteJobStore(stateDirectory: directory)
            XCTAssertEqual(try store.recoverAfterRestart(now: at(100)), RecoveryReport(requeuedTasks: 2, workersMarkedDead: 1))
            let tasks = try store.tasks(ofJob: "a")
            XCTAssertEqual(tasks.map(\.state), [.completed, .queued, .queued, .queued, .queued])
            XCTAssertEqual(tasks.map(\.attemptsUsed), [1, 1, 0, 0, 0])
            XCTAssertEqual(tasks.map(\.lastError), [nil, "oom", nil, nil, nil])
            XCTAssertEqual(try store.frames(ofJob: "a").map(\.state), [.done, .pending, .pending, .pending, .pending])
            XCTAssertEqual(try store.frames(ofJob: "a").first?.resultSHA256, "s0")
            XCTAssertEqual(try store.attempts(ofTask: "a-f2").map(\.outcome), [.lost])
            XCTAssertEqual(try store.attempts(ofTask: "a-f2").first?.endedAt, at(100))
            XCTAssertEqual(try store.job("a")?.state, .running)
            XCTAssertEqual(try store.worker("w")?.state, .dead)
            XCTAssertEqual(try store.recoverAfterRestart(now: at(101)), RecoveryReport(requeuedTasks: 0, workersMarkedDead: 0))

            // The job finishes after the restart; the completed frame is not rendered again.
            let claims = try store.claimTasks(for: "w2", max: 10, now: at(102))
            XCTAssertEqual(claims.map(\.task.id), ["a-f1", "a-f2", "a-f3", "a-f4"])
            XCTAssertEqual(claims.map(\.attempt), [2, 2, 2, 1])
            _ = try store.apply(claims.map { .completed(taskID: $0.task.id, attempt: $0.attempt, resultSHA256: "r") },
                                now: at(103))
            let summary = try store.summary(ofJob: "a")
            XCTAssertEqual(summary.state, .completed)
            XCTAssertEqual(summary.framesDone, 5)
            try store.close()
        }
    }

    /// A throwaway throughput measurement: 100k one-task jobs' worth of echo tasks, claimed and
    /// completed in batches, state persisted in the file store. Runs only with
    /// `STYLEFARM_MEASURE_DISPATCH=1`, and prints tasks per second.
    func testMeasureBatchedClaimAndCompleteThroughput() throws {
        guard ProcessInfo.processInfo.environment["STYLEFARM_MEASURE_DISPATCH"] == "1" else {
            throw XCTSkip("set STYLEFARM_MEASURE_DISPATCH=1 to measure dispatch throughput")
        }
        let total = Int(ProcessInfo.processInfo.environment["STYLEFARM_MEASURE_TASKS"] ?? "") ?? 100_000
        let batch = Int(ProcessInfo.processInfo.environment["STYLEFARM_MEASURE_BATCH"] ?? "") ?? 1_000
        try withTemporaryDirectory { directory in
            let store = try SQLiteJobStore(stateDirectory: directory)
            let job = JobRecord(id: "echo", name: "echo", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "")
            let frames = (0..<total).map { FrameRecord(jobID: "echo", index: $0, outputPath: "/dev/null") }
            let tasks = (0..<total).map {
                TaskRecord(id: "echo-\($0)", jobID: "echo", frameIndex: $0, region: TaskRegion(x: 0, y: 0, width: 1, height: 1))
            }
            let insertStart = Date()
            try store.insertJob(job, frames: frames, tasks: tasks, now: Date())
            let insertSeconds = Date().timeIntervalSince(insertStart)

            let start = Date()
            let cpuStart = Self.processCPUSeconds()
            var done = 0
            var claimSeconds = 0.0
            while true {
                let claimStart = Date()
                let claims = try store.claimTasks(for: "w", max: batch, now: Date())
                claimSeconds += Date().timeIntervalSince(claimStart)
                if claims.isEmpty { break }
                let outcomes = try store.apply(claims.map {
                    .completed(taskID: $0.task.id, attempt: $0.attempt, resultSHA256: "0000")
                }, now: Date())
                done += outcomes.count
            }
            let seconds = Date().timeIntervalSince(start)
            let cpuSeconds = Self.processCPUSeconds() - cpuStart
            XCTAssertEqual(done, total)
            XCTAssertEqual(try store.summary(ofJob: "echo").state, .completed)
            XCTAssertEqual(try store.summary(ofJob: "echo").framesDone, total)
            print(String(format: """
                dispatch: inserted %d tasks in %.2f s; claim+complete in batches of %d: %.2f s wall (claims %.2f s) \
                = %.0f tasks/s; %.2f s CPU = %.0f tasks/s per CPU second
                """, total, insertSeconds, batch, seconds, claimSeconds, Double(total) / seconds,
                cpuSeconds, Double(total) / cpuSeconds))
            try store.close()
        }
    }

    /// CPU time used by this process, in seconds (the measurement shares 2 cores with other builds).
    static func processCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Task dependencies (temporal strategies): gating, release, failure cascade, validation.
final class TaskDependencyStoreTests: XCTestCase {
    private func insertChain(_ store: SQLiteJobStore, maxAttempts: Int = 1) throws {
        let job = JobRecord(id: "d", name: "d", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h")
        let frames = (0..<3).map { FrameRecord(jobID: "d", index: $0, outputPath: "/o/\($0)") }
        let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
        let tasks = [
            TaskRecord(id: "flow01", jobID: "d", frameIndex: 0, region: region, maxAttempts: maxAttempts, producesOutput: false),
            TaskRecord(id: "s0", jobID: "d", frameIndex: 0, region: region, maxAttempts: maxAttempts),
            TaskRecord(id: "s1", jobID: "d", frameIndex: 1, region: region, maxAttempts: maxAttempts, dependencies: ["flow01", "s0"]),
            TaskRecord(id: "s2", jobID: "d", frameIndex: 2, region: region, maxAttempts: maxAttempts, dependencies: ["s1"]),
        ]
        try store.insertJob(job, frames: frames, tasks: tasks, now: at(0))
    }

    func testWaitingTasksAreNotDispatchedUntilTheirPrerequisitesComplete() throws {
        try forEachStore { store, label in
            try insertChain(store)
            let first = try store.claimTasks(for: "w", max: 10, now: at(1))
            XCTAssertEqual(first.map(\.task.id), ["flow01", "s0"], label)
            try store.complete("s0", attempt: 1, resultSHA256: "a", now: at(2))
            XCTAssertTrue(try store.claimTasks(for: "w", max: 10, now: at(3)).isEmpty, "\(label): s1 still waits for the flow")
            try store.complete("flow01", attempt: 1, resultSHA256: "f", now: at(4))
            XCTAssertEqual(try store.claimTasks(for: "w", max: 10, now: at(5)).map(\.task.id), ["s1"], label)
            XCTAssertEqual(try store.task("s1")?.dependencies, ["flow01", "s0"], label)
            // Frame 0 has two tasks; its hash is the output task's, not the flow's.
            XCTAssertEqual(try store.frames(ofJob: "d")[0].resultSHA256, "a", label)
            XCTAssertEqual(try store.frames(ofJob: "d")[0].state, .done, label)
        }
    }

    func testAFailedPrerequisiteFailsItsDependents() throws {
        try forEachStore { store, label in
            try insertChain(store)
            let claims = try store.claimTasks(for: "w", max: 10, now: at(1))
            try store.complete("s0", attempt: 1, resultSHA256: "a", now: at(2))
            try store.fail("flow01", attempt: claims[0].attempt, error: "flow exploded", retryable: false, now: at(3))
            XCTAssertEqual(try store.task("s1")?.state, .failed, label)
            XCTAssertEqual(try store.task("s2")?.state, .failed, label)
            XCTAssertEqual(try store.task("s2")?.lastError, "prerequisite flow01 failed: flow exploded", label)
            XCTAssertEqual(try store.job("d")?.state, .failed, "\(label): every task finished, some failed")
            XCTAssertEqual(try store.frames(ofJob: "d").map(\.state), [.failed, .failed, .failed], label)
        }
    }

    func testDependencyValidation() throws {
        try forEachStore { store, label in
            let job = JobRecord(id: "c", name: "c", spec: Data("{}".utf8), priority: 50, styleTargetsHash: "h")
            let frames = [FrameRecord(jobID: "c", index: 0, outputPath: "/o")]
            let region = TaskRegion(x: 0, y: 0, width: 8, height: 8)
            let cycle = [TaskRecord(id: "a", jobID: "c", frameIndex: 0, region: region, dependencies: ["b"]),
                         TaskRecord(id: "b", jobID: "c", frameIndex: 0, region: region, dependencies: ["a"])]
            XCTAssertThrowsError(try store.insertJob(job, frames: frames, tasks: cycle, now: at(0)), label) {
                XCTAssertTrue("\($0)".contains("cycle"), "\(label): \($0)")
            }
            let unknown = [TaskRecord(id: "a", jobID: "c", frameIndex: 0, region: region, dependencies: ["zz"])]
            XCTAssertThrowsError(try store.insertJob(job, frames: frames, tasks: unknown, now: at(0)), label) {
                XCTAssertTrue("\($0)".contains("'zz'"), "\(label): \($0)")
            }
        }
    }
}
