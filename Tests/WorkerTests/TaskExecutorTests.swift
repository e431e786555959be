import Engine
import FarmWire
import Foundation
import JobModel
import Protocol
import XCTest
@testable import Worker

final class TaskExecutorTests: XCTestCase {
    private var folder = ""
    private var cache: BlobCache!

    override func setUp() {
        EngineThreads.set(1)
        folder = TestSupport.temporaryFolder()
        cache = try! BlobCache(root: folder, maxBytes: 64 << 20)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func parameters(scales: Int = 1) -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = 32
        p.scales = scales
        p.iterations = 4
        return p
    }

    private func ref(_ bytes: [UInt8]) throws -> Stylefarm_V1_BlobRef {
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = try cache.put(bytes)
        ref.size = UInt64(bytes.count)
        ref.mediaType = "image/png"
        return ref
    }

    private func stylizeTask(_ p: StyleTransferParameters, content: [UInt8], styles: [[UInt8]]) throws -> Stylefarm_V1_TaskAssignment {
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "t1"
        task.jobID = "j1"
        task.attempt = 2
        task.frameIndex = 7
        task.kind = .stylize
        task.parameters = Stylefarm_V1_EngineParameters(p)
        task.content = try ref(content)
        task.styles = try styles.map(ref)
        return task
    }

    private func directPNG(_ p: StyleTransferParameters, content: [UInt8], styles: [[UInt8]]) throws -> [UInt8] {
        let result = try StyleTransfer(vgg: TestSupport.randomVGG16Average).stylize(
            content: try ImageReader.decode(bytes: content), styles: try styles.map { try ImageReader.decode(bytes: $0) },
            parameters: p)
        return [UInt8](try ImageWriter.encodePNG(result.image, bitDepth: 8))
    }

    func testStylizeGivesTheSameBytesAsStyleTransfer() throws {
        let content = TestSupport.png(width: 40, height: 30, seed: 1)
        let style = TestSupport.png(width: 24, height: 24, seed: 2)
        let p = parameters(scales: 2)
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        var progress: [Stylefarm_V1_Progress] = []
        let result = try executor.execute(try stylizeTask(p, content: content, styles: [style])) { progress.append($0) }

        let expected = try directPNG(p, content: content, styles: [style])
        XCTAssertEqual(try cache.get(result.output.sha256), expected)
        XCTAssertEqual(result.output.sha256, BlobName.of(expected))
        XCTAssertEqual(result.output.size, UInt64(expected.count))
        XCTAssertEqual(result.taskID, "t1")
        XCTAssertEqual(result.attempt, 2)
        XCTAssertEqual(result.stats.iterations, UInt32(progress.count))
        XCTAssertGreaterThan(result.stats.finalLosses.total, 0)
        XCTAssertGreaterThan(result.stats.peakRssBytes, 0)
        XCTAssertGreaterThan(result.stats.wallSeconds, 0)
        XCTAssertFalse(progress.isEmpty)
        XCTAssertTrue(progress.allSatisfy { $0.budget == 8 && $0.taskID == "t1" && $0.attempt == 2 })
        XCTAssertEqual(progress.map(\.iteration), progress.map(\.iteration).sorted())

        // The network is loaded once and reused by the next task.
        _ = try executor.execute(try stylizeTask(p, content: content, styles: [style]))
        XCTAssertEqual(host.loads, 1)
    }

    func testPrecomputedTargetsGiveTheSameBytesAsStyleTransfer() throws {
        let content = TestSupport.png(width: 30, height: 40, seed: 5)
        let style = TestSupport.png(width: 28, height: 20, seed: 6)
        var p = parameters()
        p.initialization = .noise
        p.seed = 9
        let host = TestSupport.host()
        let targets = try StyleTargetsProvider(host: host).serializedTargets(
            parameters: p, styles: [try ImageReader.decode(bytes: style)])
        XCTAssertEqual(targets.count, 1)
        XCTAssertEqual(try cache.put(targets[0].bytes), targets[0].sha256)
        var task = try stylizeTask(p, content: content, styles: [])
        task.styleTargetHashes = targets.map(\.sha256)
        let result = try TaskExecutor(host: host, cache: cache).execute(task)
        XCTAssertEqual(try cache.get(result.output.sha256), try directPNG(p, content: content, styles: [style]))
    }

    func testEchoReturnsTheContentAndSleepSucceeds() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "echo"
        task.kind = .echo
        task.diagnosticDurationMs = 20
        task.content = try ref(Array("frame bytes".utf8))
        let started = Date()
        let result = try executor.execute(task)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.02)
        XCTAssertEqual(result.output.sha256, task.content.sha256)
        XCTAssertEqual(result.output.size, 11)
        XCTAssertEqual(result.taskID, "echo")

        task.kind = .sleep
        task.content = Stylefarm_V1_BlobRef()
        let slept = try executor.execute(task)
        XCTAssertEqual(slept.output.size, 0)
        XCTAssertEqual(try cache.get(slept.output.sha256), [])
    }

    func testSharedFilesystemTasksReadAndWriteThePathsThemselves() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        let plate = folder + "/plates/shot.0001.png", output = folder + "/renders/deep/shot.0001.png"
        try FileManager.default.createDirectory(atPath: folder + "/plates", withIntermediateDirectories: true)
        let bytes = TestSupport.png(width: 6, height: 4, seed: 2)
        try Data(bytes).write(to: URL(fileURLWithPath: plate))
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "shared"
        task.kind = .echo
        task.contentPath = plate
        task.outputPath = output
        let result = try executor.execute(task)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), Data(bytes), "written in place, folders created")
        XCTAssertEqual(result.output.size, UInt64(bytes.count))
        XCTAssertFalse(cache.contains(result.output.sha256), "shared-filesystem outputs do not go through the cache")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/renders/deep"), ["shot.0001.png"],
                       "no temporary files left behind")

        task.contentPath = folder + "/plates/missing.png"
        XCTAssertThrowsError(try executor.execute(task)) {
            guard case .badInput(let input, _) = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
            XCTAssertEqual(input, task.contentPath)
        }
    }

    /// `--allow-read`/`--allow-write` (issue 17): a shared-filesystem task naming a path outside them is refused
    /// before anything is read or written.
    func testSharedFilesystemPathsOutsideTheWorkersRootsAreRefused() throws {
        for sub in ["plates", "renders", "elsewhere"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        let bytes = TestSupport.png(width: 6, height: 4, seed: 3)
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/plates/f.png"))
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/elsewhere/f.png"))
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache,
                                    pathPolicy: try PathPolicy(readRoots: [folder + "/plates"], writeRoots: [folder + "/renders"]))
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "shared"
        task.kind = .echo
        task.contentPath = folder + "/plates/f.png"
        task.outputPath = folder + "/renders/f.png"
        XCTAssertNoThrow(try executor.execute(task))
        task.contentPath = folder + "/elsewhere/f.png"
        XCTAssertThrowsError(try executor.execute(task)) {
            guard case .badInput(_, let reason) = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("--allow-read"), reason)
        }
        task.contentPath = folder + "/plates/f.png"
        task.outputPath = folder + "/elsewhere/out.png"
        XCTAssertThrowsError(try executor.execute(task)) {
            guard case .output(let reason) = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("--allow-write"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/elsewhere/out.png"))
    }

    func testSleepIsCancellable() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        var task = Stylefarm_V1_TaskAssignment()
        task.kind = .sleep
        task.diagnosticDurationMs = 60_000
        let cancellation = TaskCancellation()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { cancellation.cancel() }
        let started = Date()
        XCTAssertThrowsError(try executor.execute(task, cancellation: cancellation)) {
            XCTAssertEqual($0 as? TaskExecutionError, .cancelled)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testCancellationMidRun() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        var p = parameters()
        p.iterations = 50
        let task = try stylizeTask(p, content: TestSupport.png(width: 32, height: 32, seed: 1),
                                   styles: [TestSupport.png(width: 32, height: 32, seed: 2)])
        let cancellation = TaskCancellation()
        var seen = 0
        XCTAssertThrowsError(try executor.execute(task, cancellation: cancellation) { _ in
            seen += 1
            if seen == 2 { cancellation.cancel() }
        }) { error in
            XCTAssertEqual(error as? TaskExecutionError, .cancelled)
            let failure = TaskExecutor.failure(for: error, task: task)
            XCTAssertEqual(failure.kind, .cancelled)
            XCTAssertFalse(failure.retryable)
        }
        XCTAssertEqual(seen, 2)
        XCTAssertEqual(cache.totalBytes, try [task.content.sha256, task.styles[0].sha256].map { try cache.blob($0).count }.reduce(0, +))
    }

    func testMissingBlobIsARetryableFailure() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        var task = try stylizeTask(parameters(), content: TestSupport.png(width: 32, height: 32, seed: 1),
                                   styles: [TestSupport.png(width: 32, height: 32, seed: 2)])
        task.styles[0].sha256 = String(repeating: "ab", count: 32)
        XCTAssertThrowsError(try executor.execute(task)) { error in
            XCTAssertEqual(error as? TaskExecutionError, .missingBlob(sha256: task.styles[0].sha256, role: "style 0"))
            let failure = TaskExecutor.failure(for: error, task: task)
            XCTAssertEqual(failure.kind, .missingBlob)
            XCTAssertTrue(failure.retryable)
            XCTAssertEqual(failure.taskID, "t1")
            XCTAssertEqual(failure.attempt, 2)
        }
    }

    func testGarbageContentIsANonRetryableFailureNamingTheFrame() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        let task = try stylizeTask(parameters(), content: Array("definitely not an image".utf8),
                                   styles: [TestSupport.png(width: 32, height: 32, seed: 2)])
        XCTAssertThrowsError(try executor.execute(task)) { error in
            guard case .badInput(let input, _) = error as? TaskExecutionError else { return XCTFail("\(error)") }
            XCTAssertTrue(input.contains("frame 7"), input)
            let failure = TaskExecutor.failure(for: error, task: task)
            XCTAssertEqual(failure.kind, .invalidTask)
            XCTAssertFalse(failure.retryable)
            XCTAssertTrue(failure.message.contains("job j1 frame 7 content"), failure.message)
        }
    }

    func testInvalidTasksAreRejected() throws {
        let executor = TaskExecutor(host: TestSupport.host(), cache: cache)
        var task = try stylizeTask(parameters(), content: TestSupport.png(width: 32, height: 32, seed: 1),
                                   styles: [TestSupport.png(width: 32, height: 32, seed: 2)])
        task.kind = .unspecified
        XCTAssertThrowsError(try executor.execute(task)) {
            XCTAssertEqual($0 as? TaskExecutionError, .unsupportedTaskKind(0))
            XCTAssertFalse(TaskExecutor.failure(for: $0, task: task).retryable)
        }
        task.kind = .stylize
        task.parameters.iterations = 3
        task.parameters.scales = 0
        XCTAssertThrowsError(try executor.execute(task)) {
            guard case .invalidParameters = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
            XCTAssertEqual(TaskExecutor.failure(for: $0, task: task).kind, .invalidTask)
        }
        task.parameters.scales = 1
        task.region.width = 16
        task.region.height = 16
        XCTAssertThrowsError(try executor.execute(task)) {
            guard case .invalidParameters(let m) = $0 as? TaskExecutionError else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("a task without `tile` renders the whole 32x32 output frame"), m)
        }
        task.region.width = 32
        task.region.height = 32
        XCTAssertNoThrow(try executor.execute(task))
        XCTAssertEqual(TaskExecutor.failure(for: CocoaError(.fileNoSuchFile), task: task).kind, .internal)
    }
}
