import Engine
import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Coordinator

final class CoordinatorServerTests: XCTestCase {
    var harness: ServerHarness!

    override func setUpWithError() throws {
        harness = try ServerHarness()
    }

    override func tearDown() {
        harness?.close()
        harness = nil
    }

    func testEchoJobIsAssignedAndCompletes() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1"))
        let worker = try harness.worker("w1")
        let ack = try XCTUnwrap(worker.register(slots: 1))
        XCTAssertTrue(ack.accepted)
        XCTAssertEqual(ack.heartbeatIntervalMs, 100)
        XCTAssertEqual(ack.heartbeatLiveness, 3)
        try worker.ready(1)
        let task = try XCTUnwrap(worker.nextTask())
        XCTAssertEqual(task.kind, .sleep, "an echo job without content frames only sleeps")
        XCTAssertEqual(task.diagnosticDurationMs, 1000)
        XCTAssertEqual(task.jobID, jobID)
        XCTAssertEqual(task.attempt, 1)
        XCTAssertEqual(try client.status(jobID)?.job.state, .running)

        try worker.result(task)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        let status = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertEqual(status.job.state, .completed)
        XCTAssertEqual(status.job.framesDone, 1)
        XCTAssertEqual(status.frames.map(\.state), [.done])
        XCTAssertEqual(harness.server.stats.dispatched, 1)
        XCTAssertEqual(harness.server.stats.completed, 1)
    }

    func testWorkersShareTasksByCredit() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1-6"))
        let a = try harness.worker("a"), b = try harness.worker("b")
        try a.register(slots: 4)
        try b.register(slots: 4)
        try a.ready(1)
        try b.ready(2)
        XCTAssertEqual(try a.tasks(within: .milliseconds(300)).count + 0, 1, "a announced one free slot")
        let bTasks = try b.tasks(within: .milliseconds(100))
        XCTAssertEqual(bTasks.count, 2, "b announced two free slots")
        XCTAssertEqual(try harness.server.store.tasks(ofJob: jobID).filter { $0.state.isInFlight }.count, 3)

        // A result alone gives no credit; the next Ready does.
        try b.result(bTasks[0])
        XCTAssertEqual(try b.tasks(within: .milliseconds(200)).count, 0)
        try b.ready(1)
        XCTAssertEqual(try b.tasks(within: .milliseconds(200)).count, 1)
        XCTAssertEqual(try harness.server.store.tasks(ofJob: jobID).filter { $0.state.isInFlight }.count, 3)
    }

    func testSilentWorkerIsRequeuedAndItsStaleResultIgnored() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1"))
        let a = try harness.worker("a")
        try a.register(slots: 1)
        try a.ready(1)
        let first = try XCTUnwrap(a.nextTask())
        XCTAssertEqual(first.attempt, 1)

        let b = try harness.worker("b")
        try b.register(slots: 1)
        try b.ready(1)
        a.beating = false   // a goes silent: dead after 3 × 100 ms
        let second = try XCTUnwrap(b.nextTask(timeout: .seconds(3)))
        XCTAssertEqual(second.taskID, first.taskID)
        XCTAssertEqual(second.attempt, 2)
        let task = try XCTUnwrap(harness.server.store.task(first.taskID))
        XCTAssertEqual(task.attemptsUsed, 0, "a lost attempt is not counted")
        XCTAssertEqual(task.assignedWorker, "b")
        XCTAssertGreaterThanOrEqual(harness.server.stats.requeued, 1)

        // The dead worker's late result for attempt 1 changes nothing.
        let staleBefore = harness.server.stats.staleReports
        try a.result(first, bytes: Data("late".utf8))
        XCTAssertTrue(try harness.pump { harness.server.stats.staleReports > staleBefore })
        XCTAssertEqual(try harness.server.store.task(first.taskID)?.state, .assigned)

        try b.result(second)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        XCTAssertEqual(try harness.server.store.task(first.taskID)?.resultSHA256, BlobName.of(Data("done".utf8)))
    }

    func testRetryableFailureRetriesUpToMaxAttemptsThenFailsTheJob() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1", maxAttempts: 2))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let t1 = try XCTUnwrap(w.nextTask())
        try w.failure(t1, retryable: true, message: "engine hiccup 1")
        try w.ready(1)
        let t2 = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(t2.taskID, t1.taskID)
        XCTAssertEqual(t2.attempt, 2)
        try w.failure(t2, retryable: true, message: "engine hiccup 2")
        try w.ready(1)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .failed })
        XCTAssertEqual(try w.tasks(within: .milliseconds(200)).count, 0, "no third attempt")
        let status = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertEqual(status.job.state, .failed)
        XCTAssertEqual(status.job.framesFailed, 1)
        XCTAssertEqual(status.frames.first?.error, "engine hiccup 2")
        XCTAssertEqual(status.frames.first?.attempts, 2)
    }

    /// A worker that does not hold a task cannot fail it (nor end its holder's attempt), even quoting the
    /// current attempt number.
    func testAFailureFromAWorkerThatDoesNotHoldTheTaskIsIgnored() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1", maxAttempts: 1))
        let holder = try harness.worker("holder")
        try holder.register(slots: 1)
        try holder.ready(1)
        let task = try XCTUnwrap(holder.nextTask())
        let other = try harness.worker("other")
        try other.register(slots: 1)
        let staleBefore = harness.server.stats.staleReports
        try other.failure(task, retryable: false, message: "not mine")
        XCTAssertTrue(try harness.pump { harness.server.stats.staleReports > staleBefore })
        XCTAssertEqual(try harness.server.store.task(task.taskID)?.state, .assigned)
        XCTAssertEqual(try harness.server.store.task(task.taskID)?.assignedWorker, "holder")
        try holder.result(task)
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
    }

    /// A registration's numbers and names are bounded before use: slots are how many tasks a peer may claim.
    func testRegistrationsWithImpossibleSlotsOrNamesAreRefused() throws {
        for slots: UInt32 in [0, 1025, .max] {
            let w = try harness.worker("greedy-\(slots)")
            let ack = try XCTUnwrap(w.register(slots: slots))
            XCTAssertFalse(ack.accepted, "\(slots) slots")
            XCTAssertTrue(ack.reason.contains("slots \(slots) must be 1…1024"), ack.reason)
        }
        let named = try harness.worker("long-name")
        var r = Stylefarm_V1_Register()
        r.workerID = "long-name"
        r.hostname = String(repeating: "h", count: 10_000)
        r.protocolVersion = ProtocolVersion.major
        r.slots = 1
        try named.send(.register(r))
        let ack = try XCTUnwrap(named.next { p, _ in if case .registerAck(let a) = p { return a } else { return nil } })
        XCTAssertFalse(ack.accepted)
        XCTAssertTrue(ack.reason.contains("at most 255 bytes"), ack.reason)
        XCTAssertEqual(try harness.server.store.listWorkers().map(\.id), [], "nothing stored for a refused worker")
    }

    /// A worker's output name is a file name under the state folder: anything but a SHA-256 fails the attempt
    /// (retryable) and touches no file.
    func testAnOutputNamedLikeAPathIsRefused() throws {
        let client = try harness.client()
        var spec = echoSpec(frames: "1", maxAttempts: 2)
        spec.options.sharedFilesystem = false
        let jobID = try client.submit(spec)
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        var r = Stylefarm_V1_Result()
        r.taskID = task.taskID
        r.attempt = task.attempt
        r.output.sha256 = "../../escape"
        r.output.size = 4
        r.data = .attachment(0)
        try w.send(.result(r), attachments: [Data("evil".utf8)])
        XCTAssertTrue(try harness.pump { try harness.server.store.task(task.taskID)?.attemptsUsed == 1 })
        let stored = try XCTUnwrap(harness.server.store.task(task.taskID))
        XCTAssertEqual(stored.state, .queued, "retried")
        XCTAssertTrue(stored.lastError?.contains("not a SHA-256") ?? false, stored.lastError ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.stateDirectory.deletingLastPathComponent().appendingPathComponent("escape").path))
        XCTAssertEqual(try harness.server.store.summary(ofJob: jobID).state, .running)
    }

    func testGarbageAndUnregisteredSendersAreCountedAndDropped() throws {
        let raw = try harness.context.makeSocket(.dealer)
        defer { raw.close() }
        try raw.setRoutingID(Data("intruder".utf8))
        try raw.connect(harness.server.workerEndpoint)
        try raw.send(multipart: [Data("hello".utf8)])
        try raw.send(multipart: [Data("XX\u{1}W".utf8), Data([1, 2, 3])])
        try raw.send(multipart: [Framing.header(for: .workerToCoordinator), Data([0xff, 0xff, 0xff])])
        var ready = Stylefarm_V1_Ready()
        ready.freeSlots = 5
        try raw.send(multipart: try harness.framing.encode(Stylefarm_V1_WorkerMessage(.ready(ready))))
        let rawClient = try harness.context.makeSocket(.dealer)
        defer { rawClient.close() }
        try rawClient.connect(harness.server.clientEndpoint)
        try rawClient.send(multipart: [Framing.header(for: .workerToCoordinator), Data()])

        XCTAssertTrue(try harness.pump {
            harness.server.stats.dropped["malformed"] ?? 0 >= 4 && harness.server.stats.dropped["unknownSender"] ?? 0 >= 1
        }, "\(harness.server.stats)")

        // Still serving.
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1"))
        let w = try harness.worker("w")
        XCTAssertEqual(try w.register()?.accepted, true)
        try w.ready(1)
        XCTAssertNotNil(try w.nextTask())
        XCTAssertEqual(try harness.server.store.task(JobPlanner.taskID(jobID: jobID, frame: 1, region: TaskRegion(x: 0, y: 0, width: 1, height: 1)))?.assignedWorker, "w")
        XCTAssertNil(try raw.receiveMultipart(timeout: .zero), "nothing is sent to an unregistered sender")
    }

    func testRestartKeepsFinishedFramesAndRequeuesInFlightTasks() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1-2"))
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        let tasks = try w.tasks(within: .milliseconds(300))
        XCTAssertEqual(tasks.count, 2)
        try w.result(tasks[0])
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).framesDone == 1 })

        w.beating = false
        w.socket.close()
        try harness.restartServer()
        let store = harness.server.store
        XCTAssertEqual(try store.frames(ofJob: jobID).map(\.state), [.done, .pending])
        XCTAssertEqual(try store.task(tasks[0].taskID)?.state, .completed)
        XCTAssertEqual(try store.task(tasks[1].taskID)?.state, .queued)
        XCTAssertEqual(try store.task(tasks[1].taskID)?.attemptsUsed, 0)

        // The worker comes back to the new coordinator and gets the requeued task again.
        let w2 = try harness.worker("w")
        try w2.register(slots: 2)
        try w2.ready(2)
        let again = try XCTUnwrap(w2.nextTask())
        XCTAssertEqual(again.taskID, tasks[1].taskID)
        XCTAssertEqual(again.attempt, 2)
        try w2.result(again)
        XCTAssertTrue(try harness.pump { try store.summary(ofJob: jobID).state == .completed })
    }

    func testCancelTellsTheHoldingWorker() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1-3"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        var cancel = Stylefarm_V1_CancelJob()
        cancel.jobID = jobID
        guard case .cancelJob(let reply)? = try client.request(.cancelJob(cancel))?.payload else { return XCTFail("no reply") }
        XCTAssertTrue(reply.cancelled)
        let c = try w.next { p, _ in if case .cancel(let c) = p { return c } else { return nil } }
        XCTAssertEqual(c?.taskID, task.taskID)
        XCTAssertEqual(try client.status(jobID)?.job.state, .cancelled)
        // The assignment ends with the cancel: no entry left behind to check a late report against.
        XCTAssertNil(harness.server.assigned[task.taskID], "a cancelled task's assignment is forgotten")
        XCTAssertTrue(harness.server.liveness.inFlight(of: "w").isEmpty)
    }

    func testWatchStreamsEventsUntilTheJobEnds() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1-2"))
        var watch = Stylefarm_V1_WatchJob()
        watch.jobID = jobID
        let watchID = try client.send(.watchJob(watch))
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        for task in try w.tasks(within: .milliseconds(300)) { try w.result(task) }
        var events: [Stylefarm_V1_JobEvent] = []
        while let reply = try client.reply(to: watchID, timeout: .seconds(2)) {
            guard case .jobEvent(let e)? = reply.payload else { break }
            events.append(e)
            if e.terminal { break }
        }
        XCTAssertEqual(events.last?.terminal, true)
        XCTAssertEqual(events.last?.jobState, .completed)
        XCTAssertEqual(events.last?.framesDone, 2)
        XCTAssertEqual(events.map(\.sequence), Array(1...UInt64(events.count)))
    }

    /// A job whose content frame is missing is refused at submit, naming the file; a frame that goes
    /// missing after submit fails alone and the worker still gets the next frame (its credit is not lost).
    func testMissingContentIsRefusedAtSubmitAndAnUnassignableTaskKeepsTheWorkersCredit() throws {
        let plate = Image(width: 8, height: 8, channels: 3, repeating: 0.3)
        var (spec, dir) = try harness.stylizeJob(name: "shot", plates: [1: plate, 2: plate],
                                                 style: Image(width: 4, height: 4, channels: 3, repeating: 0.5), frames: "1-3")
        spec.parameters.size = 16
        let client = try harness.client()
        var submit = Stylefarm_V1_SubmitJob()
        submit.spec = spec
        guard case .submitJob(let refused)? = try client.request(.submitJob(submit))?.payload,
              case .error(let error)? = refused.outcome else { return XCTFail("a job with a missing frame was accepted") }
        XCTAssertTrue(error.message.contains("plate.0003.png"), error.message)

        spec.frames = "1-2"
        let jobID = try client.submit(spec)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("plate.0001.png"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask(), "the worker got no task after the first could not be assigned")
        XCTAssertEqual(task.frameIndex, 1)
        let status = try XCTUnwrap(client.status(jobID, frames: true))
        XCTAssertEqual(status.frames.first?.state, .failed)
        XCTAssertTrue(status.frames.first?.error.contains("plate.0001.png") ?? false, status.frames.first?.error ?? "")
    }

    func testStylizeJobInBlobModeMovesExactBytes() throws {
        // This fake worker does not heartbeat while it pulls megabytes of blobs: a long liveness keeps a
        // loaded machine from declaring it dead mid-test (liveness has its own tests).
        harness.close()
        harness = try ServerHarness(liveness: 100)
        let content = Image(width: 12, height: 8, channels: 3, pixels: (0..<(12 * 8 * 3)).map { Float($0 % 7) / 7 })
        var (spec, dir) = try harness.stylizeJob(name: "shot", plates: [1: content],
                                                 style: Image(width: 4, height: 4, channels: 3, repeating: 0.5), frames: "1")
        let contentBytes = try Data(contentsOf: dir.appendingPathComponent("plate.0001.png"))
        spec.parameters.size = 24
        spec.options.sharedFilesystem = false
        let client = try harness.client()
        let jobID = try client.submit(spec)
        XCTAssertFalse(jobID.isEmpty)

        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(task.kind, .stylize)
        XCTAssertEqual(task.parameters.size, 24)
        XCTAssertEqual(task.styles.count, 1)
        XCTAssertEqual(task.content.sha256, BlobName.of(contentBytes))
        XCTAssertTrue(task.contentPath.isEmpty && task.outputPath.isEmpty, "blob mode carries no paths")

        // The job's style targets were computed once by the coordinator, one blob per scale, and are
        // exactly what StyleTransfer computes for these parameters.
        XCTAssertEqual(task.styleTargetHashes.count, 1)
        var expectedParameters = StyleTransferParameters()
        expectedParameters.size = 24
        let vgg = try VGG.seededRandomWeights(.vgg16, pooling: expectedParameters.pooling)
        let expectedTargets = try StyleTransfer(vgg: vgg).styleTargets(
            styles: [try ImageReader.read(path: dir.appendingPathComponent("style.png").path)], parameters: expectedParameters)
        let stored = harness.stateDirectory.appendingPathComponent("blobs/\(task.styleTargetHashes[0])")
        let targetBytes = try Data(contentsOf: stored)
        XCTAssertEqual(BlobName.of(targetBytes), task.styleTargetHashes[0])
        // The coordinator serves it to workers (first chunk; the rest follows as for the content).
        var targetsRequest = Stylefarm_V1_BlobRequest()
        targetsRequest.sha256 = task.styleTargetHashes
        try w.send(.blobRequest(targetsRequest))
        let firstChunk = try XCTUnwrap(w.next { p, _ -> Stylefarm_V1_BlobData? in
            if case .blobData(let d) = p, d.offset == 0 { return d } else { return nil }
        })
        XCTAssertFalse(firstChunk.notFound)
        XCTAssertEqual(firstChunk.totalSize, UInt64(targetBytes.count))
        XCTAssertEqual([UInt8](targetBytes), try expectedTargets[0].serialized())
        XCTAssertEqual([task.frameWidth, task.frameHeight], [24, 16])

        // The worker pulls the content blob in small chunks.
        var request = Stylefarm_V1_BlobRequest()
        request.sha256 = [task.content.sha256]
        request.maxChunkBytes = 50
        try w.send(.blobRequest(request))
        var assembled = Data()
        while true {
            let chunk = try XCTUnwrap(w.next { p, a -> (Stylefarm_V1_BlobData, [Data])? in
                if case .blobData(let d) = p, d.sha256 == task.content.sha256 { return (d, a) } else { return nil }
            })
            XCTAssertFalse(chunk.0.notFound)
            XCTAssertEqual(chunk.0.offset, UInt64(assembled.count))
            assembled.append(try chunk.0.data.resolve(in: chunk.1))
            if chunk.0.last { break }
        }
        XCTAssertEqual(assembled, contentBytes)
        XCTAssertGreaterThan(contentBytes.count, 50, "more than one chunk")

        // Unknown blob: not found.
        request.sha256 = [String(repeating: "0", count: 64)]
        try w.send(.blobRequest(request))
        XCTAssertEqual(try w.next { p, _ in
            if case .blobData(let d) = p, d.sha256 == request.sha256[0] { return d.notFound } else { return nil }
        }, true)

        // A worker holding no task that names the blob gets nothing for it (issue 17: a worker key cannot read
        // what the coordinator serves by asking for its hash).
        let other = try harness.worker("other")
        try other.register(slots: 1)
        var stolen = Stylefarm_V1_BlobRequest()
        stolen.sha256 = [task.content.sha256, task.styleTargetHashes[0]]
        try other.send(.blobRequest(stolen))
        var refused: Set<String> = []
        while refused.count < 2 {
            guard let name = try other.next({ p, _ -> String? in
                if case .blobData(let d) = p, d.notFound { return d.sha256 } else { return nil }
            }) else { break }
            refused.insert(name)
        }
        XCTAssertEqual(refused, Set(stolen.sha256))
        XCTAssertGreaterThanOrEqual(harness.server.stats.dropped["ungrantedBlob", default: 0], 2)

        // The result goes back by reference; the coordinator pulls it and writes the planned output.
        let output = Data((0..<2500).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try w.result(task, bytes: output, inline: false)
        let pull = try XCTUnwrap(w.next { p, _ in if case .blobRequest(let r) = p { return r } else { return nil } })
        XCTAssertEqual(pull.sha256, [BlobName.of(output)])
        let chunk = 1000
        var offset = 0
        while offset < output.count {
            var d = Stylefarm_V1_BlobData()
            d.sha256 = BlobName.of(output)
            d.totalSize = UInt64(output.count)
            d.offset = UInt64(offset)
            let end = min(output.count, offset + chunk)
            d.data = .attachment(0)
            d.last = end == output.count
            try w.send(.blobData(d), attachments: [output.subdata(in: offset..<end)])
            offset = end
        }
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
        let written = try Data(contentsOf: dir.appendingPathComponent("out/shot.0001.png"))
        XCTAssertEqual(written, output)
        XCTAssertEqual(try harness.server.store.frames(ofJob: jobID).first?.resultSHA256, BlobName.of(output))
        // Its task done, the worker may no longer fetch the task's blobs.
        request.sha256 = [task.content.sha256]
        try w.send(.blobRequest(request))
        XCTAssertEqual(try w.next { p, _ in
            if case .blobData(let d) = p, d.sha256 == task.content.sha256 { return d.notFound } else { return nil }
        }, true)
    }

    func testCorruptOutputIsRetriedNotWritten() throws {
        let client = try harness.client()
        let jobID = try client.submit(echoSpec(frames: "1"))
        let w = try harness.worker("w")
        try w.register(slots: 1)
        try w.ready(1)
        let task = try XCTUnwrap(w.nextTask())
        var r = Stylefarm_V1_Result()
        r.taskID = task.taskID
        r.attempt = task.attempt
        r.output.sha256 = BlobName.of(Data("expected".utf8))
        r.data = .inline(Data("tampered".utf8))
        try w.send(.result(r))
        try w.ready(1)
        let retry = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(retry.attempt, 2)
        XCTAssertEqual(try harness.server.store.summary(ofJob: jobID).state, .running)
        // Checked on the output-write thread, failed on the loop with the reason.
        let first = try XCTUnwrap(try harness.server.store.attempts(ofTask: task.taskID).first { $0.number == 1 })
        XCTAssertEqual(first.outcome, .failed)
        XCTAssertTrue(first.errorMessage?.contains("SHA-256 mismatch") == true, "\(String(describing: first.errorMessage))")
    }

    /// Issue 16: a worker's credit may ride on its Result or Failure (`RegisterAck.credit_in_reports`), one
    /// message per finished task instead of two; the next task comes without a Ready.
    func testCreditOnAReportDispatchesTheNextTaskWithoutAReady() throws {
        let client = try harness.client()
        _ = try client.submit(echoSpec(frames: "1-3"))
        let w = try harness.worker("w")
        XCTAssertEqual(try w.register(slots: 1)?.creditInReports, true)
        try w.ready(1)
        let first = try XCTUnwrap(w.nextTask())
        try w.result(first, credit: 1)
        let second = try XCTUnwrap(w.nextTask(), "no task after a result carrying the credit")
        XCTAssertNotEqual(second.taskID, first.taskID)
        try w.failure(second, retryable: true, message: "flaky", credit: 1)
        let third = try XCTUnwrap(try w.nextTask(), "no task after a failure carrying the credit")
        // A report without credit leaves the worker without credit, as before.
        try w.result(third)
        XCTAssertEqual(try w.tasks(within: .milliseconds(300)).count, 0, "a task without credit")
    }

    /// Issue 18's hole: two tasks whose outputs are byte-identical (held frames, a black leader) pulled at the
    /// same time from one worker each get their own pull, and both frames are written.
    func testTwoIdenticalOutputsPulledAtOnceBothLand() throws {
        harness.close()
        harness = try ServerHarness(liveness: 100)
        let plate = Image(width: 12, height: 8, channels: 3, repeating: 0.25)
        var (spec, dir) = try harness.stylizeJob(name: "held", plates: [1: plate, 2: plate],
                                                 style: Image(width: 4, height: 4, channels: 3, repeating: 0.5), frames: "1-2")
        spec.parameters.size = 24
        spec.options.sharedFilesystem = false
        let jobID = try harness.client().submit(spec)
        let w = try harness.worker("w")
        try w.register(slots: 2)
        try w.ready(2)
        let tasks = try w.tasks(within: .seconds(3))
        XCTAssertEqual(tasks.count, 2)
        let output = Data((0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        for task in tasks { try w.result(task, bytes: output, inline: false) }
        // The worker answers each pull in turn, as WorkerLoop serves requests.
        for _ in tasks {
            let pull = try XCTUnwrap(w.next { p, _ in if case .blobRequest(let r) = p { return r } else { return nil } })
            XCTAssertEqual(pull.sha256, [BlobName.of(output)])
            for (offset, end) in [(0, 1000), (1000, 1500)] {
                var d = Stylefarm_V1_BlobData()
                d.sha256 = BlobName.of(output)
                d.totalSize = UInt64(output.count)
                d.offset = UInt64(offset)
                d.data = .attachment(0)
                d.last = end == output.count
                try w.send(.blobData(d), attachments: [output.subdata(in: offset..<end)])
            }
        }
        XCTAssertTrue(try harness.pump(timeout: .seconds(10)) { try harness.server.store.summary(ofJob: jobID).state == .completed },
                      "a task with the same output as another stayed assigned")
        for frame in ["0001", "0002"] {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("out/held.\(frame).png")), output)
        }
        XCTAssertEqual(harness.server.stats.dropped["unexpectedBlob", default: 0], 0)
    }
}
