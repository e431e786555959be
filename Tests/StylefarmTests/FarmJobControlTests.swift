import Coordinator
import Foundation
import Protocol
import XCTest

/// Issue 18 with real processes: a coordinator and a worker on 127.0.0.1, the wrangler's commands run as the
/// `stylefarm` tool (pause, set, resume, requeue, status), and a hung task timed out on a real worker.
final class FarmJobControlTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private func echo(_ name: String, frames: String, seconds: Double) -> Stylefarm_V1_JobSpec {
        var spec = Stylefarm_V1_JobSpec()
        spec.name = name
        spec.kind = .echo
        spec.echoSeconds = seconds
        spec.frames = frames
        return spec
    }

    func testPauseSetResumeAndRequeueFromTheCommandLine() throws {
        try farm.startCoordinator()
        try farm.startWorker("one")
        let jobID = try farm.submit(echo("control", frames: "1-8", seconds: 0.2))
        _ = try farm.waitForStatus(jobID, timeout: 30) { $0.job.framesDone >= 1 }

        let pause = try farm.cli(["pause", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(pause.status, 0, pause.stderr)
        XCTAssertTrue(pause.stdout.contains("paused \(jobID)"), pause.stdout)
        // The running task finishes; nothing new starts.
        let settled = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 10) { !$0.frames.contains { $0.state == .running } }, farm.logs)
        usleep(800_000)
        let still = try XCTUnwrap(farm.waitForStatus(jobID) { _ in true })
        XCTAssertEqual(still.job.state, .paused, farm.logs)
        XCTAssertEqual(still.job.framesDone, settled.job.framesDone, "a paused job started no task")
        XCTAssertLessThan(still.job.framesDone, 8)
        let status = try farm.cli(["status", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertTrue(status.stdout.contains("  paused  "), status.stdout)
        XCTAssertTrue(status.stdout.contains("paused: paused by admin"), status.stdout)

        let set = try farm.cli(["set", jobID, "--priority", "80", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(set.status, 0, set.stderr)
        XCTAssertTrue(set.stdout.contains("priority 80"), set.stdout)
        let resume = try farm.cli(["resume", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(resume.status, 0, resume.stderr)
        let done = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed }, farm.logs)
        XCTAssertEqual(done.job.framesDone, 8)
        XCTAssertEqual(done.job.priority, 80)

        let requeue = try farm.cli(["requeue", jobID, "--frames", "3,5-6", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(requeue.status, 0, requeue.stderr)
        XCTAssertTrue(requeue.stdout.contains("requeued 3 frame(s) of \(jobID): 3,5-6"), requeue.stdout)
        let again = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed }, farm.logs)
        XCTAssertEqual(again.job.framesDone, 8)
        XCTAssertEqual(again.frames.map(\.attempts), [UInt32](repeating: 1, count: 8), "attempt counts start afresh for requeued frames")

        let none = try farm.cli(["requeue", jobID, "--failed", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertTrue(none.stdout.contains("has no failed frames"), none.stdout)
        let bad = try farm.cli(["requeue", jobID, "--frames", "40", "--coordinator", farm.clientEndpoint])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("has no frame 40"), bad.stderr)

        let delete = try farm.cli(["delete", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(delete.status, 0, delete.stderr)
        XCTAssertTrue(delete.stdout.contains("deleted \(jobID): 8 task(s)"), delete.stdout)
        let gone = try farm.cli(["status", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertNotEqual(gone.status, 0)
        let gc = try farm.cli(["gc", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(gc.status, 0, gc.stderr)
        XCTAssertTrue(gc.stdout.hasPrefix("removed "), gc.stdout)
    }

    /// A real worker's task that runs past `task_timeout` is cancelled there and retried; with every attempt
    /// hanging the frame fails with the timeout, and the worker goes on to render the next job.
    func testAHungTaskOnARealWorkerTimesOutAndTheWorkerGoesOn() throws {
        try farm.startCoordinator(extra: ["--task-timeout", "1"])
        try farm.startWorker("one")
        var hung = echo("hung", frames: "1", seconds: 30)
        hung.options.maxAttempts = 2
        let hungID = try farm.submit(hung)
        let failed = try XCTUnwrap(farm.waitForStatus(hungID, timeout: 30) { $0.job.state == .failed }, farm.logs)
        XCTAssertEqual(failed.frames.first?.error, "timed out after 1 s on worker one", farm.logs)
        XCTAssertEqual(failed.frames.first?.attempts, 2)
        let quick = try farm.submit(echo("quick", frames: "1-2", seconds: 0.1))
        let done = try XCTUnwrap(farm.waitForStatus(quick, timeout: 30) { $0.job.state == .completed }, farm.logs)
        XCTAssertEqual(done.job.framesDone, 2)

        // What the worker logged travels with its report: `stylefarm logs` shows it per attempt.
        let logs = try farm.cli(["logs", quick, "2", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(logs.status, 0, logs.stderr)
        XCTAssertTrue(logs.stdout.contains("== frame 2, task "), logs.stdout)
        XCTAssertTrue(logs.stdout.contains("attempt 1 on one: succeeded"), logs.stdout)
        XCTAssertTrue(logs.stdout.contains("attempt 1 of job \(quick) on worker one"), logs.stdout)
        XCTAssertTrue(logs.stdout.contains("done: output "), logs.stdout)
        let failures = try farm.cli(["logs", hungID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(failures.status, 0, failures.stderr)
        XCTAssertTrue(failures.stdout.contains("attempt 2 on one: timeout"), failures.stdout)
        XCTAssertTrue(failures.stdout.contains("error: timed out after 1 s on worker one"), failures.stdout)
    }
}
