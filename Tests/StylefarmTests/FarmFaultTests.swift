import Coordinator
import Foundation
import Protocol
import XCTest

/// Process and machine faults on a real farm of processes over 127.0.0.1: a worker killed with
/// SIGKILL mid-task, a worker that joins late, and a coordinator killed and restarted mid-job.
final class FarmFaultTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    func testKilledWorkerLateJoinerAndCoordinatorRestartFinishTheJobWithoutRedoingFrames() throws {
        var coordinator = try farm.startCoordinator()
        let first = try farm.startWorker("first")
        var spec = Stylefarm_V1_JobSpec()
        spec.name = "faults"
        spec.kind = .echo
        spec.echoSeconds = 0.6
        spec.frames = "1-8"
        let jobID = try farm.submit(spec)

        // 1. SIGKILL the first worker while it runs a task: that task goes back to the queue at once.
        let running = try XCTUnwrap(farm.waitForStatus(jobID) { $0.frames.contains { $0.state == .running && $0.workerID == "first" } },
                                    farm.logs)
        let killedFrame = try XCTUnwrap(running.frames.first { $0.state == .running }).frameIndex
        farm.stop(first, signal: SIGKILL)

        // 2. A worker started after the job began joins and takes work, including the lost frame.
        _ = try farm.startWorker("late")
        let progressed = try XCTUnwrap(farm.waitForStatus(jobID) { s in s.frames.filter { $0.state == .done }.count >= 3 }, farm.logs)
        XCTAssertGreaterThanOrEqual(progressed.frames.filter { $0.state == .done }.count, 3, farm.logs)

        // 3. Kill the coordinator mid-job and start it again on the same state: the worker reconnects,
        //    the job finishes, and frames finished before the crash are not rendered again.
        let before = try XCTUnwrap(farm.waitForStatus(jobID) { _ in true })
        let doneBefore = Dictionary(uniqueKeysWithValues: before.frames.filter { $0.state == .done }.map { ($0.frameIndex, $0) })
        XCTAssertLessThan(doneBefore.count, 8, "the coordinator must die mid-job")
        farm.stop(coordinator, signal: SIGKILL)
        coordinator = try farm.startCoordinator()

        let finished = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 90) { $0.job.state == .completed || $0.job.state == .failed },
                                     farm.logs)
        XCTAssertEqual(finished.job.state, .completed, farm.logs)
        XCTAssertEqual(finished.job.framesDone, 8)
        for frame in finished.frames {
            XCTAssertEqual(frame.state, .done)
            if let earlier = doneBefore[frame.frameIndex] {
                XCTAssertEqual(frame.attempts, earlier.attempts, "frame \(frame.frameIndex) was finished before the restart")
                XCTAssertEqual(frame.workerID, earlier.workerID, "frame \(frame.frameIndex) was finished before the restart")
            }
        }
        let lost = try XCTUnwrap(finished.frames.first { $0.frameIndex == killedFrame })
        XCTAssertEqual(lost.workerID, "late", "the killed worker's frame was rendered by the late worker")
        XCTAssertEqual(lost.attempts, 1, "a task lost with a dead worker does not use up an attempt")
        XCTAssertTrue(finished.frames.allSatisfy { $0.workerID == "late" || $0.workerID == "first" })
        XCTAssertTrue(farm.log("worker-late.log").contains("connecting"), farm.logs)
    }
}
