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

    /// `logs --follow` on a frame that renders prints the attempt's lines while it runs (sent live by the worker)
    /// and ends with the attempt; `workers` lists the worker; `unblock --worker` clears it farm-wide.
    func testLogsFollowShowsARunningAttemptAndEndsWithIt() throws {
        try farm.startCoordinator()
        try farm.startWorker("one")
        let jobID = try farm.submit(echo("follow", frames: "1-2", seconds: 3))
        _ = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.frames.first?.state == .running }, farm.logs)
        let follow = try farm.cli(["logs", jobID, "1", "--follow", "--coordinator", farm.clientEndpoint], timeout: 60)
        XCTAssertEqual(follow.status, 0, follow.stderr)
        XCTAssertTrue(follow.stdout.contains("attempt 1 on one: running =="), "seen while it ran: \(follow.stdout)")
        XCTAssertTrue(follow.stdout.contains("attempt 1 of job \(jobID) on worker one"), follow.stdout)
        XCTAssertTrue(follow.stdout.contains("done: output "), follow.stdout)
        XCTAssertTrue(follow.stdout.contains("== attempt 1 ended: succeeded after "), follow.stdout)
        XCTAssertEqual(follow.stdout.components(separatedBy: "attempt 1 of job").count, 2, "each line once: \(follow.stdout)")

        let jobWide = try farm.cli(["logs", jobID, "--follow", "--coordinator", farm.clientEndpoint], timeout: 60)
        XCTAssertEqual(jobWide.status, 0, jobWide.stderr)
        XCTAssertTrue(jobWide.stdout.contains("[frame 2 #1] "), jobWide.stdout)
        XCTAssertTrue(jobWide.stdout.contains("[frame 2 #1] == succeeded"), jobWide.stdout)

        let workers = try farm.cli(["workers", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(workers.status, 0, workers.stderr)
        XCTAssertTrue(workers.stdout.hasPrefix("one  alive  "), workers.stdout)
        XCTAssertTrue(workers.stdout.contains("0/1 slots busy"), workers.stdout)
        let unblock = try farm.cli(["unblock", "--worker", "one", "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(unblock.status, 0, unblock.stderr)
        XCTAssertTrue(unblock.stdout.contains("one: was not unhealthy"), unblock.stdout)
        let neither = try farm.cli(["unblock", "--coordinator", farm.clientEndpoint])
        XCTAssertNotEqual(neither.status, 0)
        XCTAssertTrue(neither.stderr.contains("name a job, a worker"), neither.stderr)
    }

    /// Shared-filesystem mode with the output folder on a full 64 KiB tmpfs (root only): the real worker's write
    /// fails with ENOSPC, it reports `storage_full`, the job pauses with the worker's reason and no attempt is
    /// used; once the space is back, `resume` renders the frames.
    func testAFullSharedFilesystemPausesTheJobAndResumeFinishesIt() throws {
        guard geteuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let plates = farm.directory.appendingPathComponent("plates"), out = farm.directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        for n in 1...2 {
            try Data(repeating: UInt8(n), count: 256 << 10).write(to: plates.appendingPathComponent(String(format: "p.%04d.png", n)))
        }
        guard "size=64k".withCString({ mount("tmpfs", out.path, "tmpfs", 0, $0) }) == 0 else {
            throw XCTSkip("cannot mount a tmpfs here: \(String(cString: strerror(errno)))")
        }
        var mounted = true
        defer { if mounted { umount(out.path) } }
        try farm.startCoordinator()
        try farm.startWorker("one")
        var spec = echo("full", frames: "1-2", seconds: 0)
        spec.contentPattern = plates.appendingPathComponent("p.####.png").path
        spec.outputPattern = out.appendingPathComponent("e.####.png").path
        spec.options.sharedFilesystem = true
        spec.options.maxAttempts = 1
        let jobID = try farm.submit(spec)
        let paused = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .paused }, farm.logs)
        XCTAssertTrue(paused.job.pausedReason.hasPrefix("worker one: no space for the output"), paused.job.pausedReason)
        XCTAssertTrue(paused.job.pausedReason.contains("No space left on device"), paused.job.pausedReason)
        XCTAssertEqual(paused.frames.filter { $0.state == .failed }.count, 0, "no attempt used: nothing failed with max_attempts 1")

        XCTAssertEqual(umount(out.path), 0)
        mounted = false
        let resume = try farm.cli(["resume", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(resume.status, 0, resume.stderr)
        let done = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed }, farm.logs)
        XCTAssertEqual(done.job.framesDone, 2)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("e.0002.png")), Data(repeating: 2, count: 256 << 10))
    }
}
