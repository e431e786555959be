import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// Issue 16: a submission (frame reads, shot cuts, style targets, planning, inserts) runs off the loop, so the
/// coordinator keeps answering clients and workers while it runs, and no worker's task is requeued for it.
final class SubmissionOffTheLoopTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws { harness = try ServerHarness() }
    override func tearDown() { harness?.close() }

    func testTheLoopAnswersWhileALongSubmissionRunsAndNoTaskInFlightIsLost() throws {
        // A long temporal shot: its submission reads every frame for shot cuts (600 plates). Written first:
        // the fake worker beats only while the test pumps the server.
        let plates = Dictionary(uniqueKeysWithValues: (1...600).map { frame in
            (frame, Image(width: 96, height: 64, channels: 3, pixels: (0..<(96 * 64 * 3)).map { Float(($0 + frame) % 13) / 13 }))
        })
        var (spec, _) = try harness.stylizeJob(name: "long", plates: plates, style: Image(width: 8, height: 8, channels: 3, repeating: 0.5),
                                               frames: "1-600")
        spec.parameters.size = 16
        spec.temporal.strategy = .sequential
        let client = try harness.client()
        let echoID = try client.submit(echoSpec(name: "running", frames: "1-3"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let held = try XCTUnwrap(w.nextTask(), "the worker got no task")

        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = spec
        let submitRequest = try client.send(.submitJob(submit))
        var status = Stylefarm_V1_JobStatusRequest()
        status.jobID = echoID
        let statusRequest = try client.send(.jobStatus(status))

        // Both answered, the status first: the loop did not wait for the submission.
        XCTAssertTrue(try harness.pump(timeout: .seconds(60)) {
            while let frames = try client.socket.receiveMultipart(timeout: .zero) {
                client.inbox.append(try harness.framing.decode(Stylefarm_V1_ClientReply.self, from: frames).message)
            }
            return client.inbox.count >= 2
        }, "no answer to the submit or the status")
        XCTAssertEqual(client.inbox.map(\.requestID), [statusRequest, submitRequest])
        guard case .submitJob(let reply)? = client.inbox.last?.payload, case .jobID(let longID)? = reply.outcome else {
            return XCTFail("the long job was refused: \(String(describing: client.inbox.last))")
        }
        XCTAssertEqual(try harness.server.store.frames(ofJob: longID).count, 600)

        // The task in flight through all of it is still the worker's, its attempt not lost, and its result counts.
        XCTAssertEqual(try harness.server.store.attempts(ofTask: held.taskID).map(\.outcome), [.pending])
        XCTAssertEqual(harness.server.stats.requeued, 0)
        try w.result(held)
        XCTAssertTrue(try harness.pump { harness.server.stats.completed == 1 })
        XCTAssertEqual(try harness.server.store.attempts(ofTask: held.taskID).map(\.outcome), [.succeeded])
    }

    func testClosingWithASubmissionInFlightWaitsForIt() throws {
        let client = try harness.client()
        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = echoSpec(name: "late", frames: "1-20000")
        _ = try client.send(.submitJob(submit))
        // Received and started, then closed at once: the submission finishes against an open store.
        XCTAssertTrue(try harness.pump { try harness.server.submissions.inFlight > 0 || harness.server.store.listJobs().count > 0 })
        harness.server.close()
        let reopened = try SQLiteJobStore(stateDirectory: harness.stateDirectory)
        XCTAssertEqual(try reopened.listJobs().map(\.name), ["late"])
        XCTAssertEqual(try reopened.summary(ofJob: try XCTUnwrap(reopened.listJobs().first).id).framesTotal, 20000)
        try reopened.close()
    }

    /// The loop dispatches from the plan the submission made (not made again on the loop), and that plan is the
    /// one a restarted coordinator makes from the stored job: the stored task ids match either way.
    func testTheSubmissionsContextIsTheOneRestoredFromTheStore() throws {
        let plate = Image(width: 40, height: 30, channels: 3, repeating: 0.4)
        var (spec, _) = try harness.stylizeJob(name: "ctx", plates: [1: plate, 2: plate, 3: plate],
                                               style: Image(width: 8, height: 8, channels: 3, repeating: 0.5), frames: "1-3")
        spec.parameters.size = 400
        spec.parameters.iterations = 4
        spec.options.tileSize = 256
        spec.temporal.strategy = .multipass
        spec.temporal.noDetectCuts = true
        let client = try harness.client()
        let jobID = try client.submit(spec)
        let made = try XCTUnwrap(harness.server.jobContexts[jobID], "the submission's context was not installed")
        let restored = try JobContext(restoring: try XCTUnwrap(harness.server.store.job(jobID)), styleTargets: harness.server.styleTargets)
        XCTAssertGreaterThan(made.plan.tasks.count, 3, "a tiled multipass plan")
        XCTAssertEqual(made, restored)
        XCTAssertEqual(Set(try harness.server.store.tasks(ofJob: jobID).map(\.id)), Set(made.plan.tasks.map(\.id)))
    }

    /// Issue 20: a plate colour space of an OpenColorIO config is baked once, at submit: the conversion's text is
    /// served as a blob every task names, and a restarted coordinator converts with the text stored with the job,
    /// even when the config has changed or gone since.
    func testAnOpenColorIOSpaceIsBakedOnceAndARestartKeepsTheBakedConversion() throws {
        let plate = Image(width: 40, height: 30, channels: 3, repeating: 0.4)
        var (spec, dir) = try harness.stylizeJob(name: "ocio", plates: [1: plate, 2: plate],
                                                 style: Image(width: 8, height: 8, channels: 3, repeating: 0.5), frames: "1-2")
        // A config whose "plate" space is its ACES2065-1 reference with a gain: what the farm does with it is the test.
        let config = dir.appendingPathComponent("config.ocio")
        try """
        ocio_profile_version: 2.1
        roles:
          aces_interchange: ACES2065-1
          default: ACES2065-1
        displays:
          sRGB:
            - !<View> {name: Raw, colorspace: ACES2065-1}
        colorspaces:
          - !<ColorSpace>
            name: ACES2065-1
          - !<ColorSpace>
            name: plate
            to_scene_reference: !<MatrixTransform> {matrix: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]}
        """.write(to: config, atomically: true, encoding: .utf8)
        spec.parameters.size = 16
        spec.plate.inputColorspace = "plate"
        spec.plate.ocioConfig = config.path
        spec.plate.ocioConversionSha256 = String(repeating: "0", count: 64)   // a client's conversion is never taken
        let jobID = try harness.client().submit(spec)
        let made = try XCTUnwrap(harness.server.jobContexts[jobID])
        guard case .ocio(let conversion) = made.resolved.plate.colorSpace else {
            return XCTFail("not baked: \(String(describing: made.resolved.plate.colorSpace))")
        }
        let sha = BlobName.of(Array(conversion.ctf.utf8))
        XCTAssertEqual(made.wirePlate.ocioConversionSha256, sha)
        XCTAssertEqual(made.wirePlate.ocioConfig, config.path)
        XCTAssertEqual(harness.server.blobs[sha], harness.server.styleTargets.path(of: sha), "served like a style target")
        XCTAssertEqual(try FileBytes.readFile(path: harness.server.styleTargets.path(of: sha), maxBytes: 1 << 20), Array(conversion.ctf.utf8))
        var gain: [Float] = [0.25, 0.25, 0.25]
        try conversion.apply(&gain, inverse: false)
        XCTAssertEqual(gain[0], 0.5, accuracy: 1e-5, "the config's own conversion: twice, then AP0 to Rec.709 (white stays white)")

        try "not a config any more".write(to: config, atomically: true, encoding: .utf8)
        let restored = try JobContext(restoring: try XCTUnwrap(harness.server.store.job(jobID)), styleTargets: harness.server.styleTargets)
        XCTAssertEqual(restored, made, "a restart converts with the text baked at submit")
        XCTAssertEqual(restored.ocioConversionBlob, sha)
    }

    /// Idle workers cost no write transaction per iteration: while another thread holds the store's writer (a job's
    /// deletion, in 2,000-task transactions), a loop with an idle worker and an empty queue still answers at once,
    /// and the first task submitted after it is handed out.
    func testAnIdleLoopDoesNotWaitForAnotherThreadsWrite() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(name: "done", frames: "1"))
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        try w.result(try XCTUnwrap(w.nextTask()))
        XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .completed })
        try harness.pump(for: .milliseconds(200))   // the claims that found nothing

        let store = harness.server.store
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread {
            try? store.write { _ in
                holding.signal()
                release.wait()
            }
        }.start()
        holding.wait()
        let start = ContinuousClock.now
        for _ in 0..<3 {
            XCTAssertEqual(try client.status(jobID, frames: false)?.job.state, .completed)
        }
        let took = ContinuousClock.now - start
        release.signal()
        XCTAssertLessThan(took, .milliseconds(900), "answered without waiting for the writer")
        _ = try client.submit(echoSpec(name: "next", frames: "1"))
        XCTAssertNotNil(try w.nextTask(), "a new job's task goes out at once")
    }

    /// A finished job's context (its resolved spec and plan) is not kept for the coordinator's lifetime: it is
    /// forgotten (freed off the loop) and restored from the store when a request needs it again.
    func testAFinishedJobsContextIsForgottenAndRestoredOnDemand() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(name: "short", frames: "1-2"))
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        for _ in 0..<2 { try w.result(try XCTUnwrap(w.nextTask())) }
        XCTAssertTrue(try harness.pump { try client.status(jobID)?.job.state == .completed })
        XCTAssertTrue(try harness.pump { harness.server.jobContexts[jobID] == nil }, "forgotten once finished")
        var requeue = Stylefarm_V1_JobControl()
        requeue.jobID = jobID
        var frames = Stylefarm_V1_RequeueFrames()
        frames.frames = [2]
        requeue.action = .requeue(frames)
        guard case .jobControl(let reply)? = try client.request(.jobControl(requeue))?.payload else { return XCTFail("no reply") }
        XCTAssertEqual(reply.framesRequeued, [2], reply.error.message)
        try w.ready(1)
        let again = try XCTUnwrap(w.nextTask(), "the restored context builds the assignment")
        XCTAssertEqual(again.jobID, jobID)
    }
}
