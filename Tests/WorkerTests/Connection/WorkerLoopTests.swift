import Engine
import FarmWire
import Foundation
import Protocol
import XCTest
@testable import Worker

/// The worker loop against a fake coordinator (a ROUTER on 127.0.0.1 in the test). Every wait is bounded.
final class WorkerLoopTests: XCTestCase {
    private var context: ZMQContext!
    private var coordinator: FakeCoordinator!
    private var cache: BlobCache!
    private var workers: [RunningWorker] = []

    override func setUpWithError() throws {
        context = try ZMQContext()
        coordinator = try FakeCoordinator(context: context)
        cache = try BlobCache(root: TestSupport.temporaryFolder(), maxBytes: 64 << 20)
    }

    override func tearDown() {
        workers.forEach { $0.stop() }
        workers = []
        coordinator?.close()
        coordinator = nil
        context = nil
    }

    private func startWorker(slots: Int = 1, models: [String: String] = [:], heartbeat: Duration = .milliseconds(100),
                             liveness: Int = 3, backoff: Duration = .milliseconds(50), backoffMax: Duration = .milliseconds(200),
                             blobTimeout: Duration = .seconds(5)) throws -> RunningWorker {
        let configuration = WorkerConfiguration(endpoint: coordinator.endpoint, workerID: "test-worker-\(UUID().uuidString.prefix(8))",
                                                hostname: "testhost", cores: 2, memoryBytes: 1 << 30, engineVersion: "engine-test",
                                                modelHashes: models, slots: slots, heartbeatInterval: heartbeat,
                                                heartbeatLiveness: liveness, backoffInitial: backoff, backoffMax: backoffMax,
                                                blobTimeout: blobTimeout)
        let worker = RunningWorker(try WorkerLoop(configuration: configuration, host: TestSupport.host(), cache: cache, context: context))
        workers.append(worker)
        return worker
    }

    private func task(_ id: String, kind: Stylefarm_V1_TaskKind, ms: UInt32 = 0, content: [UInt8]? = nil, job: String = "job-1") -> Stylefarm_V1_TaskAssignment {
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = id
        t.jobID = job
        t.attempt = 1
        t.kind = kind
        t.diagnosticDurationMs = ms
        if let content {
            t.content.sha256 = BlobName.of(content)
            t.content.size = UInt64(content.count)
            t.content.mediaType = "image/png"
        }
        return t
    }

    private func register() throws {
        try coordinator.acceptRegistration()
        try coordinator.expect("Ready") { $0.ready != nil }
    }

    func testRegistersWithItsFieldsThenAnnouncesItsSlots() throws {
        let worker = try startWorker(slots: 3, models: ["vgg16": String(repeating: "ab", count: 32)])
        let register = try XCTUnwrap(try coordinator.acceptRegistration())
        XCTAssertEqual(register.workerID, worker.loop.configuration.workerID)
        XCTAssertEqual(coordinator.workerID, Data(worker.loop.configuration.workerID.utf8), "routing id = worker id")
        XCTAssertEqual(register.hostname, "testhost")
        XCTAssertEqual(register.cores, 2)
        XCTAssertEqual(register.memoryBytes, 1 << 30)
        XCTAssertEqual(register.engineVersion, "engine-test")
        XCTAssertEqual(register.protocolVersion, ProtocolVersion.major)
        XCTAssertEqual(register.modelHashes, ["vgg16": String(repeating: "ab", count: 32)])
        XCTAssertEqual(register.slots, 3)
        let ready = try XCTUnwrap(try coordinator.expect("Ready") { $0.ready != nil }?.message.ready)
        XCTAssertEqual(ready.freeSlots, 3)
    }

    func testEchoAssignmentProducesAResultWhoseOutputCanBeFetched() throws {
        let content = TestSupport.png(width: 8, height: 8, seed: 1)
        try cache.put(content)
        _ = try startWorker()
        try register()
        try coordinator.send(.task(task("echo-1", kind: .echo, content: content)))
        let result = try XCTUnwrap(try coordinator.expect("Result") { $0.result != nil }?.message.result)
        XCTAssertEqual(result.taskID, "echo-1")
        XCTAssertEqual(result.output.sha256, BlobName.of(content))
        XCTAssertEqual(result.output.size, UInt64(content.count))
        let ready = try XCTUnwrap(try coordinator.expect("Ready after the result") { $0.ready != nil }?.message.ready)
        XCTAssertEqual(ready.freeSlots, 1)

        // The coordinator pulls the output by reference, in small chunks.
        var request = Stylefarm_V1_BlobRequest()
        request.sha256 = [result.output.sha256]
        request.maxChunkBytes = 100
        try coordinator.send(.blobRequest(request))
        var assembled = Data()
        while true {
            guard let routed = try coordinator.expect("BlobData", { $0.blobData != nil }), let chunk = routed.message.blobData else { return }
            XCTAssertEqual(chunk.offset, UInt64(assembled.count))
            XCTAssertFalse(chunk.notFound)
            assembled.append(try chunk.data.resolve(in: routed.attachments))
            if chunk.last { break }
        }
        XCTAssertEqual([UInt8](assembled), content)
    }

    func testACoordinatorThatTakesCreditInReportsGetsItOnTheResultAndNoReady() throws {
        let content = TestSupport.png(width: 8, height: 8, seed: 2)
        try cache.put(content)
        _ = try startWorker()
        try coordinator.acceptRegistration(creditInReports: true)
        // No report waits yet: the first credit still comes as a Ready.
        XCTAssertEqual(try coordinator.expect("Ready") { $0.ready != nil }?.message.ready?.freeSlots, 1)
        try coordinator.send(.task(task("echo-2", kind: .echo, content: content)))
        let result = try XCTUnwrap(try coordinator.expect("Result") { $0.result != nil }?.message.result)
        XCTAssertEqual(result.taskID, "echo-2")
        XCTAssertTrue(result.hasFreeSlots)
        XCTAssertEqual(result.freeSlots, 1)
        let deadline = ContinuousClock.now + .milliseconds(400)
        while ContinuousClock.now < deadline {
            guard let message = try coordinator.receive(timeout: .milliseconds(100))?.message else { continue }
            XCTAssertNil(message.ready, "a Ready after a report that carried the credit")
        }
    }

    func testNeverRunsMoreTasksThanSlots() throws {
        let worker = try startWorker(slots: 2)
        try register()
        for i in 1...3 { try coordinator.send(.task(task("sleep-\(i)", kind: .sleep, ms: 300))) }
        var results: Set<String> = []
        var refused: [Stylefarm_V1_Failure] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while results.count < 2 && ContinuousClock.now < deadline {
            guard let message = try coordinator.receive(timeout: .seconds(1))?.message else { continue }
            if let r = message.result { results.insert(r.taskID) }
            if let f = message.failure { refused.append(f) }
        }
        XCTAssertEqual(results, ["sleep-1", "sleep-2"])
        XCTAssertEqual(refused.map(\.taskID), ["sleep-3"])
        XCTAssertEqual(refused.first?.retryable, true)
        XCTAssertEqual(worker.loop.statistics.maxConcurrentTasks, 2)
    }

    /// Drain (SIGUSR1, a Kubernetes preStop): the coordinator hears "no free slot" at once, an assignment that
    /// crossed it is refused (retryable), the running task finishes and is reported, then Disconnect and the loop
    /// returns by itself.
    func testADrainFinishesWhatRunsTakesNothingNewAndStops() throws {
        let worker = try startWorker(slots: 2)
        try register()
        try coordinator.send(.task(task("long", kind: .sleep, ms: 700)))
        Thread.sleep(forTimeInterval: 0.1)
        worker.drain()
        let ready = try XCTUnwrap(try coordinator.expect("Ready with no free slot", timeout: .seconds(3)) { $0.ready != nil }?.message.ready)
        XCTAssertEqual(ready.freeSlots, 0)
        try coordinator.send(.task(task("late", kind: .sleep, ms: 10)))
        var result: Stylefarm_V1_Result?, refused: Stylefarm_V1_Failure?, disconnected = false
        let deadline = ContinuousClock.now + .seconds(5)
        while !disconnected && ContinuousClock.now < deadline {
            guard let message = try coordinator.receive(timeout: .seconds(1))?.message else { continue }
            if let r = message.result { result = r }
            if let f = message.failure { refused = f }
            if case .disconnect? = message.payload { disconnected = true }
        }
        XCTAssertEqual(result?.taskID, "long", "the running task finished and was reported")
        XCTAssertEqual(refused?.taskID, "late")
        XCTAssertEqual(refused?.retryable, true)
        XCTAssertTrue(refused?.message.contains("draining") ?? false, refused?.message ?? "")
        XCTAssertTrue(disconnected, "the worker said goodbye after its report")
        XCTAssertTrue(worker.hasStopped(within: .seconds(3)), "a drained worker stops by itself")
        XCTAssertEqual(worker.loop.statistics.bufferedReports, 0)
    }

    func testHeartbeatsKeepComingWhileASleepTaskRuns() throws {
        _ = try startWorker()
        try register()
        try coordinator.send(.task(task("sleep-long", kind: .sleep, ms: 900)))
        var arrivals: [ContinuousClock.Instant] = []
        var sawResult = false
        let deadline = ContinuousClock.now + .seconds(5)
        while !sawResult && ContinuousClock.now < deadline {
            guard let message = try coordinator.receive(timeout: .seconds(1))?.message else { continue }
            if message.isHeartbeat { arrivals.append(.now) }
            if message.result != nil { sawResult = true }
        }
        XCTAssertTrue(sawResult)
        XCTAssertGreaterThanOrEqual(arrivals.count, 6, "a heartbeat every 100 ms during a 900 ms task")
        let gaps = zip(arrivals, arrivals.dropFirst()).map { $0.duration(to: $1) }
        XCTAssertLessThan(gaps.max() ?? .zero, .milliseconds(300), "heartbeat gaps \(gaps)")
    }

    func testReconnectsWithBackoffAndResendsTheBufferedResult() throws {
        let worker = try startWorker()
        try coordinator.acceptRegistration(interval: .milliseconds(100), liveness: 3)
        try coordinator.expect("Ready") { $0.ready != nil }
        try coordinator.send(.task(task("survivor", kind: .sleep, ms: 600)))
        Thread.sleep(forTimeInterval: 0.05)
        coordinator.close()                      // the coordinator goes silent
        Thread.sleep(forTimeInterval: 1.0)       // worker: dead after 300 ms, backs off, retries
        let stats = worker.loop.statistics
        XCTAssertFalse(stats.backoffs.isEmpty, "the worker backed off")
        XCTAssertEqual(stats.bufferedReports, 1, "the result waits for the coordinator")
        try coordinator.bind()                   // back on the same port
        try coordinator.acceptRegistration()
        // Bounded generously: on a loaded 2-core machine (a parallel build) 5 s once passed without it.
        let result = try XCTUnwrap(try coordinator.expect("the buffered Result", timeout: .seconds(15)) { $0.result != nil }?.message.result)
        XCTAssertEqual(result.taskID, "survivor")
        // The loop publishes its statistics after the iteration that sent the result: wait for them (bounded).
        let published = ContinuousClock.now + .seconds(2)
        while worker.loop.statistics.registrations < 2 && ContinuousClock.now < published { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(worker.loop.statistics.registrations, 2)
        let backoffs = worker.loop.statistics.backoffs
        XCTAssertEqual(Array(backoffs.prefix(3)), Array([.milliseconds(50), .milliseconds(100), .milliseconds(200)].prefix(backoffs.count)))
        XCTAssertLessThanOrEqual(backoffs.max() ?? .zero, .milliseconds(200))
    }

    func testCancelStopsARunningSleepTask() throws {
        _ = try startWorker()
        try register()
        try coordinator.send(.task(task("sleepy", kind: .sleep, ms: 30_000)))
        Thread.sleep(forTimeInterval: 0.1)
        var cancel = Stylefarm_V1_Cancel()
        cancel.taskID = "sleepy"
        let sent = ContinuousClock.now
        try coordinator.send(.cancel(cancel))
        let failure = try XCTUnwrap(try coordinator.expect("Failure", timeout: .seconds(3)) { $0.failure != nil }?.message.failure)
        XCTAssertEqual(failure.taskID, "sleepy")
        XCTAssertEqual(failure.kind, .cancelled)
        XCTAssertLessThan(sent.duration(to: .now), .seconds(2))
    }

    func testCancelByJobStopsItsTasks() throws {
        _ = try startWorker(slots: 2)
        try register()
        try coordinator.send(.task(task("a", kind: .sleep, ms: 30_000, job: "doomed")))
        try coordinator.send(.task(task("b", kind: .sleep, ms: 30_000, job: "doomed")))
        Thread.sleep(forTimeInterval: 0.1)
        var cancel = Stylefarm_V1_Cancel()
        cancel.jobID = "doomed"
        try coordinator.send(.cancel(cancel))
        var cancelled: Set<String> = []
        for _ in 0..<2 {
            if let f = try coordinator.expect("Failure", timeout: .seconds(3), { $0.failure != nil })?.message.failure {
                XCTAssertEqual(f.kind, .cancelled)
                cancelled.insert(f.taskID)
            }
        }
        XCTAssertEqual(cancelled, ["a", "b"])
    }

    /// Serves `bytes` to the worker's next BlobRequest in `chunk`-byte pieces.
    private func serveBlob(_ bytes: [UInt8], chunk: Int, corrupt: Bool = false) throws {
        let hash = BlobName.of(bytes)
        let request = try XCTUnwrap(try coordinator.expect("BlobRequest") { $0.blobRequest != nil }?.message.blobRequest)
        XCTAssertEqual(request.sha256, [hash])
        var sent = corrupt ? bytes.map { $0 ^ 1 } : bytes
        var offset = 0
        repeat {
            let end = min(sent.count, offset + chunk)
            var data = Stylefarm_V1_BlobData()
            data.sha256 = hash
            data.totalSize = UInt64(sent.count)
            data.offset = UInt64(offset)
            data.data = .attachment(0)
            data.last = end == sent.count
            try coordinator.send(.blobData(data), attachments: [Data(sent[offset..<end])])
            offset = end
        } while offset < sent.count
        sent.removeAll()
    }

    func testStylizeWithAMissingContentBlobFetchesItFirst() throws {
        let content = TestSupport.png(width: 32, height: 32, seed: 3)
        let style = TestSupport.png(width: 32, height: 32, seed: 4)
        try cache.put(style)
        _ = try startWorker()
        try register()
        var p = StyleTransferParameters()
        p.size = 32
        p.scales = 1
        p.iterations = 2
        var t = task("stylize-1", kind: .stylize, content: content)
        t.parameters = Stylefarm_V1_EngineParameters(p)
        var styleRef = Stylefarm_V1_BlobRef()
        styleRef.sha256 = BlobName.of(style)
        t.styles = [styleRef]
        try coordinator.send(.task(t))
        try serveBlob(content, chunk: 500)
        let result = try XCTUnwrap(try coordinator.expect("Result", timeout: .seconds(60)) { $0.result != nil || $0.failure != nil }?.message)
        XCTAssertNil(result.failure, "\(result)")
        XCTAssertEqual(result.result?.taskID, "stylize-1")
        XCTAssertTrue(cache.contains(BlobName.of(content)), "the fetched blob is cached")
    }

    func testACorruptBlobIsAMissingBlobFailure() throws {
        let content = TestSupport.png(width: 8, height: 8, seed: 5)
        _ = try startWorker()
        try register()
        try coordinator.send(.task(task("echo-bad", kind: .echo, content: content)))
        try serveBlob(content, chunk: 64, corrupt: true)
        let failure = try XCTUnwrap(try coordinator.expect("Failure") { $0.failure != nil }?.message.failure)
        XCTAssertEqual(failure.kind, .missingBlob)
        XCTAssertTrue(failure.retryable)
        XCTAssertFalse(cache.contains(BlobName.of(content)))
    }

    func testGarbageFromTheCoordinatorIsDroppedAndCounted() throws {
        let worker = try startWorker()
        try register()
        try coordinator.sendRaw([coordinator.workerID, Data("garbage".utf8)])                             // one frame
        try coordinator.sendRaw([coordinator.workerID, Data([0x53, 0x46, 0x01, 0x57]), Data()])           // wrong channel
        try coordinator.sendRaw([coordinator.workerID, Framing.header(for: .coordinatorToWorker), Data([0xFF, 0xFF, 0xFF])])  // bad body
        let content = TestSupport.png(width: 8, height: 8, seed: 6)
        try cache.put(content)
        try coordinator.send(.task(task("after-garbage", kind: .echo, content: content)))
        XCTAssertEqual(try coordinator.expect("Result") { $0.result != nil }?.message.result?.taskID, "after-garbage")
        XCTAssertEqual(worker.loop.statistics.droppedMessages, 3)
        XCTAssertEqual(worker.loop.statistics.registrations, 1, "garbage does not break the connection")
    }
}
