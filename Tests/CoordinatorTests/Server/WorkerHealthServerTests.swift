import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// Issue 18's last parts on the loop, with fake workers and clients over real sockets: a worker that fails
/// every job other workers render is marked unhealthy farm-wide (and cleared by a wrangler), a worker whose
/// shared filesystem is full pauses the job without using an attempt, and running attempts' live log lines are
/// served to `logs --follow`.
final class WorkerHealthServerTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws {
        harness = try ServerHarness { $0.unhealthyAfter = 2 }
    }

    override func tearDown() {
        harness?.close()
        harness = nil
    }

    private func workers(_ client: FakeClient) throws -> [Stylefarm_V1_WorkerSummary] {
        guard case .listWorkers(let reply)? = try client.request(.listWorkers(Stylefarm_V1_ListWorkers()))?.payload else {
            XCTFail("no worker list")
            return []
        }
        XCTAssertFalse(reply.hasError, reply.error.message)
        return reply.workers
    }

    /// Two jobs that a good worker renders and a bad one fails (blocklisted on each after one failure) mark the
    /// bad one unhealthy: it gets no task of a third job, `workers` shows why, and reinstating it lets it back.
    func testAWorkerThatFailsJobsOthersRenderIsMarkedUnhealthyUntilReinstated() throws {
        let client = try harness.client()
        let bad = try harness.worker("bad"), good = try harness.worker("good")
        try bad.register(slots: 1)
        try good.register(slots: 1)
        for name in ["a", "b"] {
            var spec = echoSpec(name: name, frames: "1-2", maxAttempts: 3)
            spec.options.blocklistThreshold = 1
            let jobID = try client.submit(spec)
            try good.ready(1)
            try good.result(try XCTUnwrap(good.nextTask()))
            try bad.ready(1)
            let task = try XCTUnwrap(bad.nextTask())
            XCTAssertEqual(task.jobID, jobID)
            try bad.failure(task, retryable: true, message: "CUDA error: an illegal memory access")
            XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.blockedWorkers == ["bad"] })
            try good.ready(1)
            try good.result(try XCTUnwrap(good.nextTask()))
            XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .completed })
        }
        XCTAssertTrue(try harness.pump { harness.server.unhealthyWorkers["bad"] != nil })
        XCTAssertEqual(harness.server.stats.workersMarkedUnhealthy, 1)
        let listed = try workers(client)
        XCTAssertEqual(listed.map(\.workerID), ["bad", "good"])
        XCTAssertTrue(listed[0].unhealthyReason.contains("blocklisted on 2 jobs that other workers render"), listed[0].unhealthyReason)
        XCTAssertEqual(listed[0].blockedJobs.count, 2)
        XCTAssertEqual(listed[0].state, "alive")
        XCTAssertEqual(listed[1].unhealthyReason, "")

        let third = try client.submit(echoSpec(name: "c", frames: "1"))
        try bad.ready(1)
        XCTAssertEqual(try bad.tasks(within: .milliseconds(300)).count, 0, "an unhealthy worker gets no task of any job")
        // Registering again (a restarted worker process) does not clear it.
        try bad.register(slots: 1)
        try bad.ready(1)
        XCTAssertEqual(try bad.tasks(within: .milliseconds(300)).count, 0)
        XCTAssertNotNil(try harness.server.store.unhealthyWorkers()["bad"])

        var reinstate = Stylefarm_V1_ReinstateWorker()
        reinstate.workerID = "bad"
        guard case .reinstateWorker(let reply)? = try client.request(.reinstateWorker(reinstate))?.payload else {
            return XCTFail("no reinstate reply")
        }
        XCTAssertFalse(reply.hasError, reply.error.message)
        XCTAssertTrue(reply.wasUnhealthy)
        let task = try XCTUnwrap(bad.nextTask(), "reinstated, it takes tasks again")
        XCTAssertEqual(task.jobID, third)
        // What each worker is doing, and the memory its last reported task took (issue 19).
        let doing = try workers(client)
        XCTAssertEqual(doing[0].tasks.map(\.taskID), [task.taskID])
        XCTAssertEqual(doing[0].tasks.map(\.jobID), [third])
        XCTAssertEqual(doing[1].tasks, [], "the good worker holds nothing now")
        XCTAssertGreaterThan(doing[1].peakRssBytes, 0, "the good worker reported results with their peak memory")
        XCTAssertEqual(try workers(client).first?.blockedJobs, [], "and it is off the jobs' blocklists")
        reinstate.workerID = "nobody"
        guard case .reinstateWorker(let unknown)? = try client.request(.reinstateWorker(reinstate))?.payload else {
            return XCTFail("no reinstate reply")
        }
        XCTAssertEqual(unknown.error.code, .notFound)
    }

    /// Jobs that fail on every worker are the jobs' fault: a worker blocklisted on them is not marked unhealthy.
    func testBlocksOnJobsNoWorkerRendersDoNotMarkAWorkerUnhealthy() throws {
        let client = try harness.client()
        let w = try harness.worker("w")
        try w.register(slots: 1)
        for name in ["broken-a", "broken-b", "broken-c"] {
            var spec = echoSpec(name: name, frames: "1", maxAttempts: 1)
            spec.options.blocklistThreshold = 1
            let jobID = try client.submit(spec)
            try w.ready(1)
            try w.failure(try XCTUnwrap(w.nextTask()), retryable: true, message: "missing plate")
            XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .failed })
        }
        XCTAssertEqual(try workers(client).first?.blockedJobs.count, 3)
        XCTAssertNil(harness.server.unhealthyWorkers["w"])
        _ = try client.submit(echoSpec(name: "fine", frames: "1"))
        try w.ready(1)
        XCTAssertNotNil(try w.nextTask(), "it still takes work")
    }

    /// A worker whose output filesystem is full (shared-filesystem mode) reports `storage_full`: the job pauses
    /// with the worker's reason, the attempt is not counted, and `resume` renders the frame.
    func testAFullSharedFilesystemOnAWorkerPausesTheJobWithoutUsingAnAttempt() throws {
        let client = try harness.client()
        var spec = echoSpec(frames: "1", maxAttempts: 1)
        spec.options.sharedFilesystem = true
        let jobID = try client.submit(spec)
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        try w.failure(task, retryable: true, message: "no space for the output: /shots/out/echo.0001.png: could not write the file: No space left on device",
                      kind: .storageFull)
        XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .paused })
        let reason = try XCTUnwrap(client.status(jobID)).job.pausedReason
        XCTAssertTrue(reason.hasPrefix("worker w: no space for the output"), reason)
        XCTAssertTrue(reason.contains("stylefarm resume \(jobID)"), reason)
        XCTAssertTrue(try harness.pump { try harness.server.store.task(task.taskID)?.state == .queued })
        XCTAssertEqual(try harness.server.store.task(task.taskID)?.attemptsUsed, 0, "the disk's fault uses no attempt")
        XCTAssertEqual(try harness.server.store.attempts(ofTask: task.taskID).map(\.outcome), [.cancelled])
        try w.ready(1)
        XCTAssertEqual(try w.tasks(within: .milliseconds(300)).count, 0, "nothing is handed out while paused")

        var resume = Stylefarm_V1_JobControl()
        resume.jobID = jobID
        resume.action = .resume(Stylefarm_V1_ResumeJob())
        _ = try client.request(.jobControl(resume))
        let again = try XCTUnwrap(w.nextTask())
        try w.result(again)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
    }

    /// Lines a running attempt sends live are served with how many bytes came in all; lines from a worker that
    /// does not hold the attempt are dropped; when the attempt ends its stored log takes over.
    func testLiveLogLinesOfARunningAttemptAreServed() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "7-8"))
        let w = try harness.worker("w"), other = try harness.worker("other")
        try w.register(slots: 1)
        try other.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        func send(_ worker: FakeWorker, _ text: String, attempt: UInt32? = nil) throws {
            var lines = Stylefarm_V1_LogLines()
            lines.taskID = task.taskID
            lines.attempt = attempt ?? task.attempt
            lines.text = text
            try worker.send(.logLines(lines))
        }
        try send(w, "+0.00s task started\n+0.50s evaluation 1/100")
        try send(other, "+0.10s not mine")
        try send(w, "+0.90s stale attempt", attempt: task.attempt + 1)
        try send(w, "+1.00s evaluation 10/100")
        let frame = task.frameIndex == 0 ? Int64(7) : Int64(8)
        var reply = Stylefarm_V1_TaskLogReply()
        XCTAssertTrue(try harness.pump {
            reply = try client.logs(jobID, frame: frame)
            return reply.attempts.first?.logEnd == 69
        })
        XCTAssertEqual(reply.attempts.map(\.outcome), ["pending"])
        XCTAssertEqual(reply.attempts[0].log, "+0.00s task started\n+0.50s evaluation 1/100\n+1.00s evaluation 10/100\n")
        XCTAssertEqual(reply.frameState, .running)
        XCTAssertEqual(reply.jobState, .running)
        let running = try client.logs(jobID, frame: nil, running: true)
        XCTAssertEqual(running.attempts.map(\.frame), [frame], "running: the job's attempts that run now")

        var follower = LogFollower(prefixed: false)
        XCTAssertEqual(follower.take(reply), """
            == frame \(frame), task \(task.taskID), attempt 1 on w: running ==
            +0.00s task started
            +0.50s evaluation 1/100
            +1.00s evaluation 10/100

            """)
        var result = Stylefarm_V1_Result()
        result.taskID = task.taskID
        result.attempt = task.attempt
        result.output.sha256 = BlobName.of(Data("done".utf8))
        result.data = .inline(Data("done".utf8))
        result.log = "+0.00s task started\n+0.50s evaluation 1/100\n+1.00s evaluation 10/100\n+2.00s done"
        try w.send(.result(result))
        XCTAssertTrue(try harness.pump { try client.logs(jobID, frame: frame).attempts.first?.outcome == "succeeded" })
        let ended = try client.logs(jobID, frame: frame)
        XCTAssertEqual(ended.frameState, .done)
        XCTAssertTrue(LogFollower.frameFinished(ended))
        let rest = follower.take(ended)
        XCTAssertTrue(rest.hasPrefix("+2.00s done\n== attempt 1 ended: succeeded"), rest)
        XCTAssertTrue(harness.server.liveLogs.entries.isEmpty, "the live log ends with its attempt")
    }
}
