import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// Issue 18 on the loop, with fake workers and clients over real sockets: task timeouts, poison frames, and a
/// wrangler's pause, resume, priority and requeue.
final class OperationsServerTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws {
        harness = try ServerHarness()
    }

    override func tearDown() {
        harness?.close()
        harness = nil
    }

    private func control(_ client: FakeClient, _ jobID: String, _ action: Stylefarm_V1_JobControl.OneOf_Action) throws
        -> Stylefarm_V1_JobControlReply {
        var request = Stylefarm_V1_JobControl()
        request.jobID = jobID
        request.action = action
        guard case .jobControl(let reply)? = try client.request(.jobControl(request))?.payload else {
            XCTFail("no job control reply")
            return Stylefarm_V1_JobControlReply()
        }
        return reply
    }

    /// An echo job over plates it writes in `<state>/<folder>` (`plate.####.png`, frames 1…`count`), its frames going
    /// to `<folder>/out/echo.####.png`.
    private func platesJob(_ folder: String, count: Int, sharedFilesystem: Bool) throws -> (spec: Stylefarm_V1_JobSpec, dir: URL) {
        let dir = harness.stateDirectory.appendingPathComponent(folder, isDirectory: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        for n in 1...count { try Data("plate \(n)".utf8).write(to: dir.appendingPathComponent(String(format: "plate.%04d.png", n))) }
        var spec = echoSpec(frames: "1-\(count)")
        spec.contentPattern = dir.appendingPathComponent("plate.####.png").path
        spec.outputPattern = dir.appendingPathComponent("out/echo.####.png").path
        spec.options.sharedFilesystem = sharedFilesystem
        return (spec, dir)
    }

    private func cancelMessage(_ worker: FakeWorker, timeout: Duration = .seconds(5)) throws -> Stylefarm_V1_Cancel? {
        try worker.next(timeout: timeout) { p, _ in if case .cancel(let c) = p { return c } else { return nil } }
    }

    /// A task that hangs past its job's task timeout is cancelled on its worker and retried (an attempt used,
    /// outcome timeout); the retry completes the job.
    func testAHungTaskIsCancelledAndRetriedAfterItsTimeout() throws {
        let client = try harness.client()
        var spec = echoSpec(frames: "1")
        spec.options.taskTimeoutSeconds = 0.4
        let jobID = try client.submit(spec)
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let hung = try XCTUnwrap(w.nextTask())
        let cancel = try XCTUnwrap(cancelMessage(w, timeout: .seconds(3)))
        XCTAssertEqual(cancel.taskID, hung.taskID)
        XCTAssertEqual(cancel.reason, "task timeout (0.4 s)")
        XCTAssertEqual(harness.server.stats.timedOut, 1)
        try w.ready(1)
        let retry = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(retry.taskID, hung.taskID)
        XCTAssertEqual(retry.attempt, 2)
        // The hung attempt's late result changes nothing.
        try w.result(hung)
        try w.result(retry)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        let attempts = try harness.server.store.attempts(ofTask: hung.taskID)
        XCTAssertEqual(attempts.map(\.outcome), [.timeout, .succeeded])
        XCTAssertEqual(attempts.first?.errorMessage, "timed out after 0.4 s on worker w")
        XCTAssertEqual(try harness.server.store.task(hung.taskID)?.attemptsUsed, 2)
    }

    /// The coordinator's default applies to jobs that set none; a job's own 0 turns it off.
    func testTheCoordinatorDefaultTimeoutAndAJobsOwnZero() throws {
        harness.close()
        harness = try ServerHarness { $0.defaultTaskTimeout = 0.3 }
        let client = try harness.client()
        var unlimited = echoSpec(name: "unlimited", frames: "1")
        unlimited.options.taskTimeoutSeconds = 0
        let limitedID = try client.submit(echoSpec(name: "limited", frames: "1"))
        let unlimitedID = try client.submit(unlimited)
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        let tasks = try w.tasks(within: .milliseconds(300))
        XCTAssertEqual(Set(tasks.map(\.jobID)), [limitedID, unlimitedID])
        let cancel = try XCTUnwrap(cancelMessage(w, timeout: .seconds(3)))
        XCTAssertEqual(cancel.jobID, limitedID)
        try harness.pump(for: .milliseconds(600))
        XCTAssertEqual(harness.server.stats.timedOut, 1, "the job with task_timeout 0 is never timed out")
        XCTAssertEqual(try harness.server.store.tasks(ofJob: unlimitedID).first?.state, .assigned)
    }

    /// A frame whose worker process dies every time it renders it (it registers again, as a restarted worker
    /// does) fails after max_lost; the job's other frame completes.
    func testAFrameThatKillsItsWorkerFailsAfterMaxLost() throws {
        let client = try harness.client()
        var spec = echoSpec(frames: "1-2")
        spec.options.maxLost = 2
        let jobID = try client.submit(spec)
        let poison = try harness.worker("poison"), good = try harness.worker("good")
        try poison.register(slots: 1)
        try poison.ready(1)
        let first = try XCTUnwrap(poison.nextTask())
        XCTAssertEqual(first.frameIndex, 0)
        try good.register(slots: 1)
        try good.ready(1)
        let other = try XCTUnwrap(good.nextTask())
        try good.result(other)
        for loss in 1...2 {
            try poison.register(slots: 1)   // the process came back: whatever it held is lost, charged to the task
            if loss < 2 {
                try poison.ready(1)
                let again = try XCTUnwrap(poison.nextTask())
                XCTAssertEqual(again.taskID, first.taskID)
            }
        }
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .failed })
        let status = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertEqual(status.frames.map(\.state), [.failed, .done])
        XCTAssertEqual(status.frames.first?.error,
                       "worker lost 2 times while rendering this task (last: worker poison restarted while holding it)")
        XCTAssertEqual(try harness.server.store.attempts(ofTask: first.taskID).map(\.outcome), [.lost, .lost])
    }

    /// Pause stops new tasks (`--now` calls back the running one without using its attempt), set-priority and
    /// resume bring it back, and requeue renders a finished job's frame again.
    func testPauseResumePriorityAndRequeueEndToEnd() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(name: "shot", frames: "101-103"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let first = try XCTUnwrap(w.nextTask())
        var pause = Stylefarm_V1_PauseJob()
        pause.now = true
        let paused = try control(client, jobID, .pause(pause))
        XCTAssertFalse(paused.hasError, paused.error.message)
        XCTAssertEqual(paused.job.state, .paused)
        XCTAssertEqual(paused.job.pausedReason, "paused by a client")
        XCTAssertEqual(paused.tasksAffected, 1)
        XCTAssertEqual(try cancelMessage(w)?.taskID, first.taskID)
        try w.ready(1)
        XCTAssertEqual(try w.tasks(within: .milliseconds(300)).count, 0, "a paused job hands out nothing")
        XCTAssertEqual(try harness.server.store.attempts(ofTask: first.taskID).map(\.outcome), [.cancelled])

        var priority = Stylefarm_V1_SetJobPriority()
        priority.priority = 70
        XCTAssertEqual(try control(client, jobID, .setPriority(priority)).job.priority, 70)
        priority.priority = 101
        XCTAssertEqual(try control(client, jobID, .setPriority(priority)).error.code, .invalidArgument)

        let resumed = try control(client, jobID, .resume(Stylefarm_V1_ResumeJob()))
        XCTAssertEqual(resumed.job.state, .running)
        for _ in 0..<3 {
            try w.ready(1)
            let task = try XCTUnwrap(w.nextTask())
            try w.result(task)
        }
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        XCTAssertEqual(try harness.server.store.task(first.taskID)?.attemptsUsed, 1, "the called-back attempt did not count")

        var requeue = Stylefarm_V1_RequeueFrames()
        requeue.frames = [102]
        let requeued = try control(client, jobID, .requeue(requeue))
        XCTAssertFalse(requeued.hasError, requeued.error.message)
        XCTAssertEqual(requeued.framesRequeued, [102])
        XCTAssertEqual(requeued.job.state, .running)
        let status = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertEqual(status.frames.map(\.frameNumber), [101, 102, 103])
        XCTAssertEqual(status.frames.map(\.state), [.done, .pending, .done])
        try w.ready(1)
        let again = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(again.frameIndex, 1)
        try w.result(again)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })

        requeue.frames = [7]
        XCTAssertEqual(try control(client, jobID, .requeue(requeue)).error.code, .invalidArgument)
        XCTAssertTrue(try control(client, jobID, .requeue(requeue)).error.message.contains("has no frame 7"))
        XCTAssertEqual(try control(client, jobID, .pause(Stylefarm_V1_PauseJob())).error.code, .failedPrecondition,
                       "a finished job cannot be paused")
        XCTAssertEqual(try control(client, "nope", .resume(Stylefarm_V1_ResumeJob())).error.code, .notFound)
    }

    /// The coordinator cannot write a frame (its folder is gone, as on a full or unmounted disk): the job pauses
    /// with the reason and no attempt is used; after the wrangler fixes it and resumes, the frame lands.
    func testAnOutputTheCoordinatorCannotWritePausesTheJobWithoutUsingAnAttempt() throws {
        var (spec, dir) = try platesJob("plates", count: 1, sharedFilesystem: false)
        spec.options.maxAttempts = 1
        let client = try harness.client()
        let jobID = try client.submit(spec)
        let out = dir.appendingPathComponent("out")
        try? FileManager.default.removeItem(at: out)
        try Data("not a folder".utf8).write(to: out)   // where the frame must go, a file: no write can succeed

        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        try w.result(task, bytes: Data("rendered".utf8))
        XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .paused })
        let paused = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertTrue(paused.job.pausedReason.contains("cannot write \(out.path)/echo.0001.png"), paused.job.pausedReason)
        XCTAssertTrue(paused.job.pausedReason.contains("stylefarm resume \(jobID)"), paused.job.pausedReason)
        XCTAssertTrue(try harness.pump { try harness.server.store.task(task.taskID)?.state == .queued })
        XCTAssertEqual(try harness.server.store.task(task.taskID)?.attemptsUsed, 0, "the disk's fault uses no attempt")
        XCTAssertEqual(try harness.server.store.attempts(ofTask: task.taskID).map(\.outcome), [.cancelled])
        try w.ready(1)
        XCTAssertEqual(try w.tasks(within: .milliseconds(300)).count, 0, "nothing is handed out while paused")

        try FileManager.default.removeItem(at: out)
        XCTAssertEqual(try control(client, jobID, .resume(Stylefarm_V1_ResumeJob())).job.state, .running)
        let again = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(again.attempt, 2)
        try w.result(again, bytes: Data("rendered".utf8))
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("echo.0001.png")), Data("rendered".utf8))
    }

    /// A worker that fails a job's tasks is blocklisted for it (shown in status) and sent none of them, while
    /// another worker renders them; unblock lets it back.
    func testTheBlocklistStopsSendingAJobsTasksToAFailingWorker() throws {
        let client = try harness.client()
        var spec = echoSpec(frames: "1-4", maxAttempts: 5)
        spec.options.blocklistThreshold = 2
        let jobID = try client.submit(spec)
        let bad = try harness.worker("bad")
        try bad.register(slots: 1)
        for _ in 0..<2 {
            try bad.ready(1)
            let task = try XCTUnwrap(bad.nextTask())
            try bad.failure(task, retryable: true, message: "GPU driver crashed")
        }
        XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.blockedWorkers == ["bad"] })
        try bad.ready(1)
        XCTAssertEqual(try bad.tasks(within: .milliseconds(300)).count, 0, "a blocklisted worker gets none of the job's tasks")
        let good = try harness.worker("good")
        try good.register(slots: 1)
        try good.ready(1)
        let task = try XCTUnwrap(good.nextTask())
        try good.result(task)
        var unblock = Stylefarm_V1_UnblockWorkers()
        unblock.workerID = "bad"
        let reply = try control(client, jobID, .unblock(unblock))
        XCTAssertEqual(reply.tasksAffected, 1)
        XCTAssertEqual(reply.job.blockedWorkers, [])
        XCTAssertNotNil(try bad.nextTask(), "unblocked, it takes the job's tasks again")
    }

    /// The log a worker ships with its report is kept per attempt and served by `TaskLogRequest`: one frame's
    /// every attempt, or the job's failed ones.
    func testWorkerLogsAreKeptPerAttemptAndServed() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "10-11", maxAttempts: 3))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let first = try XCTUnwrap(w.nextTask())
        var failure = Stylefarm_V1_Failure()
        failure.taskID = first.taskID
        failure.attempt = first.attempt
        failure.kind = .engine
        failure.message = "NaN in the style loss"
        failure.retryable = true
        failure.log = "+0.00s task started\n+1.20s evaluation 40/100: loss nan"
        try w.send(.failure(failure))
        try w.ready(1)
        let retry = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(retry.taskID, first.taskID)
        var result = Stylefarm_V1_Result()
        result.taskID = retry.taskID
        result.attempt = retry.attempt
        result.output.sha256 = BlobName.of(Data("done".utf8))
        result.data = .inline(Data("done".utf8))
        result.log = "+0.00s task started\n+2.00s done"
        try w.send(.result(result))
        XCTAssertTrue(try harness.pump { try harness.server.store.attempts(ofTask: first.taskID).last?.outcome == .succeeded })

        func logs(frame: Int64?, attempt: UInt32 = 0) throws -> Stylefarm_V1_TaskLogReply {
            try client.logs(jobID, frame: frame, attempt: attempt)
        }
        let frame = try logs(frame: 10)
        XCTAssertEqual(frame.attempts.map(\.attempt), [1, 2])
        XCTAssertEqual(frame.attempts.map(\.outcome), ["failed", "succeeded"])
        XCTAssertEqual(frame.attempts.first?.error, "NaN in the style loss")
        XCTAssertEqual(frame.attempts.first?.log, "+0.00s task started\n+1.20s evaluation 40/100: loss nan")
        XCTAssertEqual(frame.attempts.last?.log, "+0.00s task started\n+2.00s done")
        XCTAssertEqual(frame.attempts.first?.frame, 10)
        XCTAssertEqual(try logs(frame: 10, attempt: 2).attempts.map(\.attempt), [2])
        XCTAssertEqual(try logs(frame: nil).attempts.map(\.outcome), ["failed"], "without a frame: the failed attempts")
        XCTAssertEqual(try logs(frame: 11).attempts.count, 0)
        XCTAssertEqual(try logs(frame: 3).error.code, .invalidArgument)
    }

    /// Delete cancels a running job, removes its rows and (when asked) the frames it wrote; gc removes files no
    /// job refers to and keeps the young ones.
    func testDeleteRemovesTheJobAndItsFramesAndGcRemovesOrphans() throws {
        let (spec, dir) = try platesJob("plates", count: 2, sharedFilesystem: false)
        let client = try harness.client()
        let jobID = try client.submit(spec)
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let first = try XCTUnwrap(w.nextTask())
        try w.result(first, bytes: Data("frame one".utf8))
        let output = dir.appendingPathComponent("out/echo.0001.png")
        XCTAssertTrue(try harness.pump { FileManager.default.fileExists(atPath: output.path) })
        try w.ready(1)
        let second = try XCTUnwrap(w.nextTask())

        var delete = Stylefarm_V1_DeleteJob()
        delete.jobID = jobID
        delete.outputs = true
        guard case .deleteJob(let reply)? = try client.request(.deleteJob(delete))?.payload else { return XCTFail("no reply") }
        XCTAssertFalse(reply.hasError, reply.error.message)
        XCTAssertEqual(reply.tasksDeleted, 2)
        XCTAssertEqual(reply.outputsRemoved, 1)
        XCTAssertEqual(try w.next { p, _ in if case .cancel(let c) = p { return c } else { return nil } }?.taskID, second.taskID,
                       "the running task was cancelled on its worker")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
        XCTAssertNil(try harness.server.store.job(jobID))
        XCTAssertEqual(try client.status(jobID)?.error.code, .notFound)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("plate.0001.png").path), "inputs stay")

        // Garbage: an intermediate result nobody references, old; and a young one, kept.
        let intermediate = harness.server.intermediateDirectory
        try FileManager.default.createDirectory(at: intermediate, withIntermediateDirectories: true)
        let old = intermediate.appendingPathComponent(String(repeating: "a", count: 64))
        let young = intermediate.appendingPathComponent(String(repeating: "b", count: 64))
        try Data(count: 1000).write(to: old)
        try Data(count: 10).write(to: young)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old.path)
        guard case .collectGarbage(let collected)? = try client.request(.collectGarbage(Stylefarm_V1_CollectGarbage()))?.payload else {
            return XCTFail("no gc reply")
        }
        XCTAssertEqual(collected.filesRemoved, 1)
        XCTAssertEqual(collected.bytesFreed, 1000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: old.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: young.path))
    }

    /// Fencing in shared-filesystem mode: workers stage outputs and the coordinator moves only the current
    /// attempt's into place; a superseded worker's late result is ignored and its staged file removed, so it can
    /// never replace the accepted frame.
    func testAStaleSharedFilesystemWriterCannotReplaceAnAcceptedOutput() throws {
        let (spec, dir) = try platesJob("shot", count: 1, sharedFilesystem: true)
        let client = try harness.client()
        let jobID = try client.submit(spec)
        let output = dir.appendingPathComponent("out/echo.0001.png").path
        func stage(_ text: String, attempt: UInt32) throws -> String {
            let path = dir.appendingPathComponent("out/.echo.0001.png.tmp-a\(attempt)-\(UUID().uuidString.prefix(6))").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        func report(_ worker: FakeWorker, _ task: Stylefarm_V1_TaskAssignment, staged: String, text: String) throws {
            var r = Stylefarm_V1_Result()
            r.taskID = task.taskID
            r.attempt = task.attempt
            r.output.sha256 = BlobName.of(Data(text.utf8))
            r.output.size = UInt64(text.utf8.count)
            r.stagedPath = staged
            try worker.send(.result(r))
        }

        let a = try harness.worker("a")
        try a.register(slots: 1)
        try a.ready(1)
        let first = try XCTUnwrap(a.nextTask())
        XCTAssertTrue(first.stageOutput)
        XCTAssertEqual(first.outputPath, output)
        a.beating = false   // a is cut off; its attempt is lost and the frame goes to b
        let b = try harness.worker("b")
        try b.register(slots: 1)
        try b.ready(1)
        let second = try XCTUnwrap(b.nextTask(timeout: .seconds(3)))
        XCTAssertEqual(second.attempt, 2)
        // A staged path anywhere else is refused.
        try report(b, second, staged: "/etc/passwd", text: "B")
        XCTAssertTrue(try harness.pump { try harness.server.store.task(second.taskID)?.state == .queued })
        try b.ready(1)
        let third = try XCTUnwrap(b.nextTask())
        try report(b, third, staged: try stage("B", attempt: third.attempt), text: "B")
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "B")

        // The superseded worker comes back with its late result of attempt 1.
        let late = try stage("A", attempt: 1)
        try report(a, first, staged: late, text: "A")
        XCTAssertTrue(try harness.pump { !FileManager.default.fileExists(atPath: late) }, "the stale staged file is removed")
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "B", "the accepted output stays")
        XCTAssertTrue(OutputIntake.isStaged(dir.path + "/out/.echo.0001.png.tmp-a3-Xy12Zq", for: output, attempt: 3))
        XCTAssertFalse(OutputIntake.isStaged(dir.path + "/out/.echo.0001.png.tmp-a3-Xy12Zq", for: output, attempt: 4))
        XCTAssertFalse(OutputIntake.isStaged(dir.path + "/out/sub/.echo.0001.png.tmp-a3-Xy12Zq", for: output, attempt: 3))
        XCTAssertFalse(OutputIntake.isStaged(dir.path + "/.echo.0001.png.tmp-a3-Xy12Zq", for: output, attempt: 3))
    }

    /// With --preempt-above, an urgent job's ready task calls back a lower job's running task when no slot is free;
    /// the called-back attempt is not counted and the lower job finishes afterwards.
    func testAnUrgentJobPreemptsALowerJobsRunningTask() throws {
        harness.close()
        harness = try ServerHarness { $0.preemptAbove = 80 }
        let client = try harness.client()
        var low = echoSpec(name: "low", frames: "1")
        low.priority = 10
        let lowID = try client.submit(low)
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let running = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(running.jobID, lowID)
        var normal = echoSpec(name: "normal", frames: "1")
        normal.priority = 50
        _ = try client.submit(normal)
        try harness.pump(for: .milliseconds(300))
        XCTAssertEqual(harness.server.stats.dispatched, 1, "a job below --preempt-above waits")
        var urgent = echoSpec(name: "urgent", frames: "1")
        urgent.priority = 90
        let urgentID = try client.submit(urgent)
        let cancel = try XCTUnwrap(w.next { p, _ in if case .cancel(let c) = p { return c } else { return nil } })
        XCTAssertEqual(cancel.taskID, running.taskID)
        XCTAssertEqual(cancel.reason, "preempted by a job at priority 90")
        try w.ready(1)
        let next = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(next.jobID, urgentID, "the freed slot goes to the urgent job")
        XCTAssertEqual(try harness.server.store.attempts(ofTask: running.taskID).map(\.outcome), [.cancelled])
        XCTAssertEqual(try harness.server.store.task(running.taskID)?.attemptsUsed, 0)
    }
}
