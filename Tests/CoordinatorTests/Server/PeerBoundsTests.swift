import Engine
import Foundation
import JobModel
import Protocol
import XCTest
@testable import Coordinator

/// What a peer sends is bounded before the coordinator keeps or buffers it (issue 17): failure texts, the
/// size of a client's frames, the tasks one job may plan.
final class PeerBoundsTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws { harness = try ServerHarness() }
    override func tearDown() { harness?.close() }

    func testAFailureTextIsCutTo4KiBOnACharacterBoundary() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1", maxAttempts: 1))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        try w.failure(task, retryable: false, message: String(repeating: "é", count: 100_000))
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .failed })
        let stored = try XCTUnwrap(harness.server.store.task(task.taskID)?.lastError)
        XCTAssertLessThanOrEqual(stored.utf8.count, CoordinatorServer.maxErrorBytes)
        XCTAssertTrue(stored.hasPrefix("éé") && stored.hasSuffix("(cut at 4096 bytes)"), String(stored.suffix(40)))
        XCTAssertEqual(CoordinatorServer.bounded("short", bytes: 4096), "short")
    }

    func testAClientFrameOverTheLimitDropsThatPeerAndTheCoordinatorKeepsAnswering() throws {
        let greedy = try harness.client()
        // 8 MiB in one frame: far over the client limit (1 MiB); libzmq drops the connection as it arrives.
        try greedy.socket.send(multipart: [Data("SF\u{1}Q".utf8), Data(count: 8 << 20)])
        try harness.pump(for: .milliseconds(300))
        let polite = try harness.client()
        guard case .listJobs? = try polite.request(.listJobs(Stylefarm_V1_ListJobs()))?.payload else {
            return XCTFail("the coordinator stopped answering after an oversized frame")
        }
        XCTAssertEqual(harness.server.stats.dropped["malformed", default: 0], 0, "the frame never reached the loop")
    }

    func testAMessageWithMoreFramesThanAnyMessageHasIsDroppedWithoutKeepingThem() throws {
        let flood = try harness.client()
        let frames = [Data("SF\u{1}Q".utf8)] + Array(repeating: Data(count: 1000), count: FarmDefaults.maxAttachments + 500)
        try flood.socket.send(multipart: frames)
        XCTAssertTrue(try harness.pump { harness.server.stats.dropped["malformed", default: 0] == 1 })
        let polite = try harness.client()
        guard case .listJobs? = try polite.request(.listJobs(Stylefarm_V1_ListJobs()))?.payload else {
            return XCTFail("the coordinator stopped answering")
        }
    }

    func testAJobThatWouldPlanMoreTasksThanAllowedIsRefusedBeforeAnythingIsStored() throws {
        var submission = harness.server.submission(owner: "")
        submission.maxTasks = 2
        XCTAssertThrowsError(try submission.run(echoSpec(frames: "1-3"))) { error in
            XCTAssertEqual(error as? JobSubmissionError, .tooManyTasks(planned: 3, limit: 2))
            XCTAssertTrue("\(error)".contains("--max-tasks-per-job 2"))
        }
        XCTAssertEqual(try harness.server.store.listJobs().count, 0)
        XCTAssertNoThrow(try submission.run(echoSpec(frames: "1-2")))
    }
}

/// `--allow-read`/`--allow-write` at submit (issue 17): the file-read attack — a job whose style is a file
/// outside the allowed folders — is refused before the file is opened, with the path and the rule.
final class SubmissionPathPolicyTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws { harness = try ServerHarness() }
    override func tearDown() { harness?.close() }

    func testAStyleOutsideTheReadRootsIsRefusedAtSubmitWithPermissionDenied() throws {
        let plate = Image(width: 8, height: 8, channels: 3, repeating: 0.3)
        let (spec, dir) = try harness.stylizeJob(name: "shot", plates: [1: plate],
                                                 style: Image(width: 4, height: 4, channels: 3, repeating: 0.5), frames: "1")
        let secret = harness.stateDirectory.appendingPathComponent("secret.png")
        try Data(contentsOf: dir.appendingPathComponent("style.png")).write(to: secret)
        var submission = harness.server.submission(owner: "")
        submission.pathPolicy = try PathPolicy(readRoots: [dir.path], writeRoots: [dir.path])
        XCTAssertNoThrow(try submission.run(spec), "the job's own folders are allowed")
        var stealing = spec
        stealing.stylePaths = [secret.path]
        XCTAssertThrowsError(try submission.run(stealing)) { error in
            guard case .outside(let path, _, .read, _)? = error as? PathPolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, secret.path)
        }
        var writingOut = spec
        writingOut.outputPattern = harness.stateDirectory.appendingPathComponent("elsewhere/shot.####.png").path
        XCTAssertThrowsError(try submission.run(writingOut)) { error in
            guard case .outside(_, _, .write, _)? = error as? PathPolicyError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try harness.server.store.listJobs().count, 1, "only the allowed job was stored")
    }
}
