import Engine
import FarmWire
import Foundation
import Protocol
import XCTest
@testable import Worker

/// Segmentation-aware STYLIZE tasks: the worker makes the masks, resolves the plan and runs the guided
/// objective with the coordinator's per-set targets, giving the bytes `stylize --segment` gives.
final class TaskExecutorRegionTests: XCTestCase {
    private var folder = ""
    private var cache: BlobCache!

    override func setUp() {
        EngineThreads.set(1)
        folder = TestSupport.temporaryFolder()
        cache = try! BlobCache(root: folder, maxBytes: 64 << 20)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private var parameters: StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = 32
        p.scales = 1
        p.iterations = 4
        p.initialization = .noise
        p.seed = 3
        return p
    }

    /// A gray matte, white (foreground) on the left `share` of the width.
    private func mattePNG(width: Int, height: Int, share: Float) -> [UInt8] {
        var pixels = [Float](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width where Float(x) < share * Float(width) { pixels[y * width + x] = 1 } }
        return [UInt8](try! ImageWriter.encodePNG(Image(width: width, height: height, channels: 1, pixels: pixels), bitDepth: 8))
    }

    private func ref(_ bytes: [UInt8]) throws -> Stylefarm_V1_BlobRef {
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = try cache.put(bytes)
        ref.size = UInt64(bytes.count)
        return ref
    }

    /// A matte task: `foreground=none`, the rest in the job's own style (set 0).
    private func matteTask(content: [UInt8], style: [UInt8], matte: [UInt8], host: VGGCache) throws -> Stylefarm_V1_TaskAssignment {
        var task = Stylefarm_V1_TaskAssignment()
        task.taskID = "t1"; task.jobID = "j1"; task.attempt = 1; task.frameIndex = 0
        task.kind = .stylize
        task.parameters = Stylefarm_V1_EngineParameters(parameters)
        task.content = try ref(content)
        task.styles = [try ref(style)]
        let targets = try StyleTargetsProvider(host: host).serializedTargets(parameters: parameters, styles: [try ImageReader.decode(bytes: style)])
        for t in targets { _ = try cache.put(t.bytes) }
        task.styleTargetHashes = targets.map(\.sha256)
        task.regionStyleTargets = [.with { $0.hashes = targets.map(\.sha256) }]
        task.regions.segment = "matte:/unused/m.####.png"
        task.regions.regions = [.with { $0.name = "foreground"; $0.contentWeight = 1; $0.styleWeight = 1 }]
        task.regionMask = try ref(matte)
        return task
    }

    func testAMatteTaskGivesTheBytesOfTheEngineRegionStylization() throws {
        let content = TestSupport.png(width: 40, height: 30, seed: 1)
        let style = TestSupport.png(width: 24, height: 24, seed: 2)
        let matte = mattePNG(width: 40, height: 30, share: 0.5)
        let host = TestSupport.host()
        let task = try matteTask(content: content, style: style, matte: matte, host: host)
        let result = try TaskExecutor(host: host, cache: cache).execute(task)

        // What `stylize --segment matte:… --region foreground=none` does.
        let image = try ImageReader.decode(bytes: content)
        let (w, h) = try Image.size(scaling: image.width, image.height, toLongerSide: parameters.size)
        let masks = try RegionMasks(matte: try ImageReader.decode(bytes: matte), source: "m", width: image.width, height: image.height)
            .resized(width: w, height: h)
        let assignments = [RegionAssignment(name: "foreground", style: .none)]
        let layout = RegionStyleLayout(assignments: assignments, hasDefaultStyle: true)
        let plan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                          defaultStyleSet: layout.defaultSet)
        let transfer = StyleTransfer(vgg: TestSupport.randomVGG16Average)
        let targets = try transfer.styleTargets(styles: [try ImageReader.decode(bytes: style)], parameters: parameters)
        let sized = try image.toRGB().resized(width: w, height: h)
        let direct = try transfer.stylize(content: sized, regions: RegionStylization(plan: plan),
                                          styleTargets: [targets], parameters: parameters)
        // The photoreal region is the content itself (RegionPlan.restoringPhotoreal), as stylize gives it.
        let expected = plan.restoringPhotoreal(direct.image, content: sized)
        XCTAssertEqual(try cache.get(result.output.sha256), [UInt8](try ImageWriter.encodePNG(expected, bitDepth: 8)))

        // And it is not the plain stylization: the matte mattered.
        let plain = try TaskExecutor(host: host, cache: cache).execute({ var t = task; t.clearRegions(); t.regionStyleTargets = []; return t }())
        XCTAssertNotEqual(plain.output.sha256, result.output.sha256)
    }

    func testAnIDMapTaskWithTwoRegionStylesGivesTheEngineBytes() throws {
        let (w, h) = (40, 30)
        var pixels = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { pixels[(y * w + x) * 3 + (x < 20 ? 0 : 2)] = 1 } }  // red left, blue right
        let idMap = [UInt8](try ImageWriter.encodePNG(Image(width: w, height: h, channels: 3, pixels: pixels), bitDepth: 8))
        let content = TestSupport.png(width: w, height: h, seed: 1)
        let styleA = TestSupport.png(width: 24, height: 24, seed: 2), styleB = TestSupport.png(width: 20, height: 28, seed: 4)
        let host = TestSupport.host()
        var task = try matteTask(content: content, style: styleA, matte: idMap, host: host)
        task.styles = []
        task.styleTargetHashes = []
        task.regions.segment = "ids:/unused.png"
        task.regions.regions = [
            .with { $0.name = "#ff0000"; $0.stylePath = "/a.png"; $0.contentWeight = 1; $0.styleWeight = 1 },
            .with { $0.name = "background"; $0.stylePath = "/b.png"; $0.contentWeight = 0.5; $0.styleWeight = 2 },
        ]
        let provider = StyleTargetsProvider(host: host)
        task.regionStyleTargets = try [styleA, styleB].map { bytes in
            let targets = try provider.serializedTargets(parameters: parameters, styles: [try ImageReader.decode(bytes: bytes)])
            for t in targets { _ = try cache.put(t.bytes) }
            return .with { $0.hashes = targets.map(\.sha256) }
        }
        let result = try TaskExecutor(host: host, cache: cache).execute(task)

        let image = try ImageReader.decode(bytes: content)
        let masks = try RegionMasks(idMap: try ImageReader.decode(bytes: idMap), source: "ids", width: w, height: h)
            .resized(width: 32, height: 24)
        let assignments = [RegionAssignment(name: "#ff0000", style: .image("/a.png")),
                           RegionAssignment(name: "background", style: .image("/b.png"), contentWeight: 0.5, styleWeight: 2)]
        let layout = RegionStyleLayout(assignments: assignments, hasDefaultStyle: false)
        XCTAssertEqual(layout.assignmentSets, [0, 1])
        let plan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                          defaultStyleSet: layout.defaultSet)
        let transfer = StyleTransfer(vgg: TestSupport.randomVGG16Average)
        let targets = try [styleA, styleB].map {
            try transfer.styleTargets(styles: [try ImageReader.decode(bytes: $0)], blendWeights: [1], parameters: parameters)
        }
        let direct = try transfer.stylize(content: try image.toRGB().resized(width: 32, height: 24), regions: RegionStylization(plan: plan),
                                          styleTargets: targets, parameters: parameters)
        XCTAssertEqual(try cache.get(result.output.sha256), [UInt8](try ImageWriter.encodePNG(direct.image, bitDepth: 8)))
    }

    func testAnEmptyRegionIsAWarningInTheWorkerLog() throws {
        let host = TestSupport.host()
        let task = try matteTask(content: TestSupport.png(width: 40, height: 30, seed: 1), style: TestSupport.png(width: 24, height: 24, seed: 2),
                                 matte: mattePNG(width: 40, height: 30, share: 0), host: host)
        let lines = LockedLines()
        let result = try TaskExecutor(host: host, cache: cache, log: { lines.append($0) }).execute(task)
        XCTAssertFalse(result.output.sha256.isEmpty)
        XCTAssertEqual(lines.all.count, 1, "\(lines.all)")
        XCTAssertTrue(lines.all.first?.contains("warning") == true && lines.all.first?.contains("foreground") == true, "\(lines.all)")
    }

    func testAMissingSegmentationModelIsAMissingModelFailureNamingTheInstallCommand() throws {
        let host = TestSupport.host()
        var task = try matteTask(content: TestSupport.png(width: 40, height: 30, seed: 1), style: TestSupport.png(width: 24, height: 24, seed: 2),
                                 matte: mattePNG(width: 40, height: 30, share: 0.5), host: host)
        task.regions.segment = "selfie"
        task.regions.regions = [.with { $0.name = "person"; $0.contentWeight = 1; $0.styleWeight = 1 }]
        struct NotInstalled: Error {}
        for executor in [TaskExecutor(host: host, cache: cache),
                         TaskExecutor(host: host, cache: cache, segmentationModel: { _ in throw NotInstalled() })] {
            XCTAssertThrowsError(try executor.execute(task)) { error in
                let failure = TaskExecutor.failure(for: error, task: task)
                XCTAssertEqual(failure.kind, .missingModel)
                XCTAssertTrue(failure.retryable, "another worker may have the model")
                XCTAssertTrue(failure.message.contains("stylefarm models install --segmentation"), failure.message)
            }
        }
    }

    func testMismatchedStyleSetsAreInvalidTasks() throws {
        let host = TestSupport.host()
        var task = try matteTask(content: TestSupport.png(width: 40, height: 30, seed: 1), style: TestSupport.png(width: 24, height: 24, seed: 2),
                                 matte: mattePNG(width: 40, height: 30, share: 0.5), host: host)
        task.regions.regions.append(.with { $0.name = "background"; $0.stylePath = "/b.png"; $0.contentWeight = 1; $0.styleWeight = 1 })
        XCTAssertThrowsError(try TaskExecutor(host: host, cache: cache).execute(task)) { error in
            XCTAssertEqual(TaskExecutor.failure(for: error, task: task).kind, .invalidTask)
            XCTAssertTrue("\(error)".contains("1 region style-target sets for 2 style set(s)"), "\(error)")
        }
    }
}

/// Lines collected from another thread.
private final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
