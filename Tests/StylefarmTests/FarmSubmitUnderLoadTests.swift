import Coordinator
import Engine
import Foundation
@testable import JobModel
import Protocol
import XCTest
import TestSupport
@testable import stylefarm

/// Issue 16: a heavy submission while a shot renders must not stall the coordinator's loop. Before the
/// submission moved off the loop, resolving, reading every plate (shot cuts) and computing the style targets
/// of a big job kept the socket thread busy for seconds; the workers heard nothing, declared the
/// coordinator dead, re-registered, and the coordinator requeued everything they held as lost.
///
/// Here the farm runs with 200 ms heartbeats (a worker gives up after 600 ms of silence), two workers render
/// an echo shot, and a second client submits a 4096×2160 sequential job of 48 frames with two styles — several
/// seconds of work for the coordinator — then cancels it. Checked afterwards: every task of the render has
/// exactly one attempt in the store, succeeded (none lost to a silent worker or a re-registration), the
/// coordinator never found a worker silent, and every status request sent every 50 ms during the submit was
/// answered. (With the submission run on the loop again, the last three fail.)
final class FarmSubmitUnderLoadTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws {
        // The heavy job's style targets are computed by the coordinator with VGG-16.
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    func testAHeavySubmitDuringARenderLosesNoAttemptAndSilencesNoWorker() throws {
        let coordinator = try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")

        var render = Stylefarm_V1_JobSpec()
        render.name = "render"
        render.kind = .echo
        render.echoSeconds = 0.3
        render.frames = "1-40"
        let renderID = try farm.submit(render)
        XCTAssertNotNil(try farm.waitForStatus(renderID) { $0.frames.filter { $0.state == .running }.count == 2 }, farm.logs)

        let heavy = try heavySpec()
        // The bench's probe: a status request every 50 ms; one unanswered within 5 s counts as an error.
        let probe = StatusProbe(endpoint: farm.clientEndpoint, credential: farm.credential, jobID: renderID, interval: .milliseconds(50), timeout: .seconds(5))
        probe.start()
        let client = try farm.client(timeout: .seconds(180))
        defer { client.close() }
        let submitStart = Date()
        let heavyID = try client.submit(heavy)
        let submitSeconds = Date().timeIntervalSince(submitStart)
        try client.cancel(heavyID)
        let answered = probe.stop()

        let finished = try XCTUnwrap(farm.waitForStatus(renderID, timeout: 90) { $0.job.state == .completed || $0.job.state == .failed },
                                     farm.logs)
        XCTAssertEqual(finished.job.state, .completed, farm.logs)
        XCTAssertEqual(finished.frames.count, 40)
        XCTAssertFalse(farm.log("coordinator.log").contains(" is silent"), farm.logs)
        // The attempts table, read after the coordinator stopped: one attempt per frame, none lost (a lost
        // attempt does not use up one of a task's tries, so the frames' attempt counts would not show it).
        farm.stop(coordinator)
        let store = try SQLiteJobStore(stateDirectory: farm.directory.appendingPathComponent("state"))
        defer { try? store.close() }
        for task in try store.tasks(ofJob: renderID) {
            let outcomes = try store.attempts(ofTask: task.id).map(\.outcome)
            XCTAssertEqual(outcomes, [.succeeded], "task \(task.id) attempts: \(outcomes)\n\(farm.logs)")
        }
        // The submit itself must have been heavy, or this test proves nothing.
        XCTAssertGreaterThan(submitSeconds, 1.0, "the heavy submit took \(submitSeconds) s: not heavy enough to stall a loop")
        XCTAssertGreaterThan(answered.rtts.count, 0)
        XCTAssertEqual(answered.errors, 0, "status requests went unanswered during the submit (\(answered.rtts.count) answered)")
    }

    /// The job of `bench coordinator-latency`: 48 links to one 4096×2160 plate (the coordinator reads each in
    /// full for shot cuts), two 2048² styles, sequential and tiled: a submission that costs the coordinator
    /// seconds.
    private func heavySpec() throws -> Stylefarm_V1_JobSpec {
        let media = farm.directory.appendingPathComponent("heavy")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        let plate = media.appendingPathComponent("plate.png")
        try ImageWriter.writePNG(CoordinatorLatencyBench.pattern(width: 4096, height: 2160, phase: 3), to: plate.path)
        for frame in 1...48 {
            try FileManager.default.createSymbolicLink(atPath: media.appendingPathComponent(String(format: "heavy.%04d.png", frame)).path,
                                                       withDestinationPath: plate.path)
        }
        let styles = try (1...2).map { i -> String in
            let path = media.appendingPathComponent("style-\(i).png").path
            try ImageWriter.writePNG(CoordinatorLatencyBench.pattern(width: 2048, height: 2048, phase: 11 * i), to: path)
            return path
        }
        let job = try JobSpec(name: "heavy", content: media.appendingPathComponent("heavy.####.png").path, frames: "1-48",
                              styles: styles, outputDir: media.appendingPathComponent("out").path, size: 4096, iterations: 60,
                              temporal: "sequential").resolve(baseDirectory: media.path)
        return Stylefarm_V1_JobSpec(job)
    }
}
