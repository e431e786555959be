import Coordinator
import Foundation
import Protocol
import XCTest

/// A coordinator and two worker processes over tcp on 127.0.0.1, driven by a protocol client in the test.
final class FarmProcessTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    func testTwoWorkerProcessesShareAnEchoJobAndShutDownCleanly() throws {
        try farm.startCoordinator()
        try farm.startWorker("one")
        try farm.startWorker("two")
        var spec = Stylefarm_V1_JobSpec()
        spec.name = "echo-processes"
        spec.kind = .echo
        spec.echoSeconds = 0.05
        spec.frames = "1-6"
        let jobID = try farm.submit(spec)

        let finished = try XCTUnwrap(farm.waitForStatus(jobID) { $0.job.state == .completed || $0.job.state == .failed }, farm.logs)
        XCTAssertEqual(finished.job.state, .completed, farm.logs)
        XCTAssertEqual(finished.job.framesDone, 6)
        XCTAssertEqual(Set(finished.frames.map(\.state)), [.done])
        XCTAssertEqual(Set(finished.frames.map(\.workerID)), ["one", "two"],
                       "both worker processes took tasks: \(finished.frames.map { "\($0.frameIndex):\($0.workerID)" })")

        // SIGINT: every process says goodbye and exits 0.
        for p in farm.processes { p.interrupt() }
        for p in farm.processes {
            let stop = Date().addingTimeInterval(10)
            while p.isRunning && Date() < stop { usleep(20_000) }
            XCTAssertFalse(p.isRunning, "\(p.arguments ?? []) did not stop on SIGINT")
            if !p.isRunning { XCTAssertEqual(p.terminationStatus, 0, "\(p.arguments ?? [])") }
        }
    }
}
