import Coordinator
import Engine
import FarmWire
import Foundation
@testable import JobModel
import Protocol
import XCTest
@testable import Worker

/// Tile tasks (issue 7): the worker crops the content at the scale's frame size and renders the crop;
/// reassembled with `TileAssembler`, the tiles of a zero-iteration run give back the untiled frame bit for bit.
final class TaskExecutorTileTests: XCTestCase {
    private var folder = ""
    private var cache: BlobCache!

    override func setUp() {
        EngineThreads.set(1)
        folder = TestSupport.temporaryFolder()
        cache = try! BlobCache(root: folder, maxBytes: 256 << 20)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func ref(_ bytes: [UInt8]) throws -> Stylefarm_V1_BlobRef {
        var ref = Stylefarm_V1_BlobRef()
        ref.sha256 = try cache.put(bytes)
        ref.size = UInt64(bytes.count)
        return ref
    }

    private func parameters(size: Int, iterations: Int) -> StyleTransferParameters {
        var p = StyleTransferParameters()
        p.size = size
        p.scales = 1
        p.iterations = iterations
        return p
    }

    /// A STYLIZE task of the whole frame, or of `tile` of `plan` when given.
    private func task(content: [UInt8], targets: [String], parameters p: StyleTransferParameters,
                      plan: TilePlan? = nil, tile: TilePlan.Tile? = nil) throws -> Stylefarm_V1_TaskAssignment {
        var t = Stylefarm_V1_TaskAssignment()
        t.taskID = tile.map { "tile-\($0.index)" } ?? "whole"
        t.jobID = "j"; t.attempt = 1; t.kind = .stylize
        t.parameters = Stylefarm_V1_EngineParameters(p, outputBitDepth: 8)
        t.content = try ref(content)
        t.styleTargetHashes = targets
        if let plan, let tile {
            t.region = .with { $0.x = UInt32(tile.padded.x); $0.y = UInt32(tile.padded.y)
                               $0.width = UInt32(tile.padded.width); $0.height = UInt32(tile.padded.height) }
            t.tile = .with { $0.scaleWidth = UInt32(plan.frameSize.width); $0.scaleHeight = UInt32(plan.frameSize.height)
                             $0.scale = 0; $0.scales = 1 }
        }
        return t
    }

    /// The serialized style targets of `style` (PNG bytes) under `p`, put in the worker's cache: their hashes.
    private func cachedTargets(_ p: StyleTransferParameters, style: [UInt8], host: VGGCache) throws -> [String] {
        let targets = try StyleTargetsProvider(host: host).serializedTargets(parameters: p, styles: [try ImageReader.decode(bytes: style)])
        for t in targets { _ = try cache.put(t.bytes) }
        return targets.map(\.sha256)
    }

    private func decodeOutput(_ result: Stylefarm_V1_Result) throws -> Image {
        try ImageReader.decode(bytes: try cache.blob(result.output.sha256))
    }

    func testZeroIterationTilesReassembleToTheUntiledFrameBitForBit() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        let content = TestSupport.png(width: 263, height: 197, seed: 5)  // scaled to 203×152: odd sizes
        let p = parameters(size: 203, iterations: 0)
        let hashes = try cachedTargets(p, style: TestSupport.png(width: 64, height: 64, seed: 6), host: host)

        let whole = try decodeOutput(try executor.execute(try task(content: content, targets: hashes, parameters: p)))
        XCTAssertEqual([whole.width, whole.height], [203, 152])
        // 4×1 tiles with a last core of 11 px; 7×5 tiles of 32-px cores; a 3×2 core budget that is not square.
        for budget: TileBudget in [.tileSide(192), .tileSide(160), .core(PixelSize(width: 80, height: 96))] {
            let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: 203, height: 152), budget: budget).last)
            XCTAssertFalse(plan.isSingleTile, "\(budget)")
            var assembler = try TileAssembler(layout: try plan.layout(), channels: 3)
            for tile in plan.tiles.reversed() {  // any arrival order
                let out = try decodeOutput(try executor.execute(try task(content: content, targets: hashes, parameters: p,
                                                                         plan: plan, tile: tile)))
                XCTAssertEqual([out.width, out.height], [tile.padded.width, tile.padded.height], "\(tile)")
                try assembler.add(tile: tile.index, image: out)
            }
            let assembled = try assembler.image()
            XCTAssertEqual(assembled.pixels, whole.pixels, "\(plan): the reassembled tiles differ from the untiled frame")
        }
    }

    func testATileStartsFromThePreviousScalesFrameAndRejectsABadRegion() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        let content = TestSupport.png(width: 160, height: 96, seed: 8)
        let p = parameters(size: 160, iterations: 0)
        let targets = try cachedTargets(p, style: TestSupport.png(width: 48, height: 48, seed: 9), host: host)
        let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: 160, height: 96), budget: .tileSide(144)).last)
        let tile = plan.tiles[1]

        // With zero iterations the tile is its start image: the previous scale's frame, scaled and cropped.
        let previous = TestSupport.image(width: 80, height: 48, seed: 10)
        let previousPNG = [UInt8](try ImageWriter.encodePNG(previous, bitDepth: 16))
        var t = try task(content: content, targets: targets, parameters: p, plan: plan, tile: tile)
        t.tile.initial = try ref(previousPNG)
        t.tile.scale = 1; t.tile.scales = 2
        let out = try decodeOutput(try executor.execute(t))
        let expected = try ImageReader.decode(bytes: previousPNG).toRGB().resized(width: 160, height: 96)
            .cropped(x: tile.padded.x, y: tile.padded.y, width: tile.padded.width, height: tile.padded.height)
        XCTAssertEqual(out.width, expected.width)
        let worst = zip(out.pixels, expected.pixels).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThanOrEqual(worst, 0.5 / 255 + 1e-6, "the tile did not start from the previous scale's frame")

        // A region outside the scale's frame is refused, naming the tile.
        var bad = try task(content: content, targets: targets, parameters: p, plan: plan, tile: tile)
        bad.region.x = 100
        XCTAssertThrowsError(try executor.execute(bad)) { error in
            XCTAssertTrue("\(error)".contains("does not lie inside the 160x96 frame"), "\(error)")
        }
    }

    /// Tiles × temporal strategies: a tile's temporal terms and start point are the whole frame's, cropped. With
    /// zero iterations a frame is its start point, so the tiles of a warped start (sequential) and of a multipass
    /// sweep's blended start reassemble to the untiled task's frame bit for bit; a tile after its group's first
    /// step starts from the previous step's frame instead.
    func testTemporalTilesReassembleToTheUntiledTemporalFrame() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        let content = TestSupport.png(width: 160, height: 96, seed: 20)
        let p = parameters(size: 160, iterations: 0)
        let targets = try cachedTargets(p, style: TestSupport.png(width: 48, height: 48, seed: 21), host: host)
        // The neighbour moved by (5, −3) px: certain inside, uncertain where the flow leaves the frame.
        let pair = FlowPair(forward: FlowField(width: 160, height: 96, constant: 5, -3),
                            backward: FlowField(width: 160, height: 96, constant: -5, 3))
        let neighbour = try ref([UInt8](try ImageWriter.encodePNG(TestSupport.image(width: 160, height: 96, seed: 22), bitDepth: 16)))
        let previousSweep = try ref([UInt8](try ImageWriter.encodePNG(TestSupport.image(width: 160, height: 96, seed: 23), bitDepth: 16)))
        let flow = try ref(pair.serialized())
        func temporal(_ t: inout Stylefarm_V1_TaskAssignment, multipass: Bool) {
            t.frameWidth = 160; t.frameHeight = 96
            t.temporal = .with {
                $0.neighbours = [.with { $0.result = neighbour; $0.flow = flow; $0.neighbourIsFirst = true }]
                $0.weight = 1
                $0.warpedInit = !multipass
                if multipass { $0.initial = previousSweep; $0.blend = 0.5 }
            }
        }
        let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: 160, height: 96), budget: .tileSide(144)).last)
        XCTAssertFalse(plan.isSingleTile)
        for multipass in [false, true] {
            var untiled = try task(content: content, targets: targets, parameters: p)
            temporal(&untiled, multipass: multipass)
            let whole = try decodeOutput(try executor.execute(untiled))
            let plate = try ImageReader.decode(bytes: content).toRGB().resized(width: 160, height: 96)
            XCTAssertGreaterThan(zip(whole.pixels, plate.pixels).map { abs($0 - $1) }.max() ?? 0, 0.1,
                                 "the untiled frame starts from the neighbour, not the plate")
            var assembler = try TileAssembler(layout: try plan.layout(), channels: 3)
            for tile in plan.tiles {
                var t = try task(content: content, targets: targets, parameters: p, plan: plan, tile: tile)
                temporal(&t, multipass: multipass)
                try assembler.add(tile: tile.index, image: try decodeOutput(try executor.execute(t)))
            }
            XCTAssertEqual(try assembler.image().pixels, whole.pixels, multipass ? "multipass start" : "warped start")
        }

        // A later step's tile starts from the previous step's frame, whatever the warped start would be.
        let previous = TestSupport.image(width: 80, height: 48, seed: 24)
        let previousPNG = [UInt8](try ImageWriter.encodePNG(previous, bitDepth: 16))
        var later = try task(content: content, targets: targets, parameters: p, plan: plan, tile: plan.tiles[0])
        temporal(&later, multipass: false)
        later.tile.initial = try ref(previousPNG)
        later.tile.scale = 1; later.tile.scales = 2
        let out = try decodeOutput(try executor.execute(later))
        let r = plan.tiles[0].padded
        let expected = try ImageReader.decode(bytes: previousPNG).toRGB().resized(width: 160, height: 96)
            .cropped(x: r.x, y: r.y, width: r.width, height: r.height)
        XCTAssertLessThanOrEqual(zip(out.pixels, expected.pixels).map { abs($0 - $1) }.max() ?? 1, 0.5 / 255 + 1e-6)

        // A flow of another shape than the frame is refused, naming it (one of the same shape is resampled: a
        // multipass lineage renders at 3/4 of the size the flows were measured at).
        var wrong = try task(content: content, targets: targets, parameters: p, plan: plan, tile: plan.tiles[0])
        temporal(&wrong, multipass: false)
        wrong.temporal.neighbours[0].flow = try ref(pair.resampled(width: 80, height: 80).serialized())
        XCTAssertThrowsError(try executor.execute(wrong)) { XCTAssertTrue("\($0)".contains("the flow is 80x80, the frame 160x96"), "\($0)") }
    }

    /// Exact tiles: a later round matches the frame's statistics. A tile that is the whole frame, given the
    /// frame's own sums, renders exactly as without them; a tile given another frame's sums renders otherwise.
    func testAnExactTileSharesTheFramesStatistics() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        let content = TestSupport.png(width: 96, height: 64, seed: 12)
        let p = parameters(size: 96, iterations: 4)
        let targets = try cachedTargets(p, style: TestSupport.png(width: 48, height: 48, seed: 13), host: host)
        let start = TestSupport.image(width: 96, height: 64, seed: 14)
        let startPNG = [UInt8](try ImageWriter.encodePNG(start, bitDepth: 16))
        let decodedStart = try ImageReader.decode(bytes: startPNG).toRGB()
        let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: 96, height: 64), budget: .tileSide(512)).last)
        XCTAssertTrue(plan.isSingleTile)
        let vgg = try host.vgg(p.network, pooling: p.pooling)
        func grams(_ image: Image) throws -> [UInt8] {
            let tensor = VGGPreprocessing.tensor(from: image)
            return try GramSums.compute(vgg: vgg, style: tensor, layerNames: p.styleLayers.map(\.name),
                                        core: GramSums.wholeImageCore(width: tensor.width, height: tensor.height), cores: 0..<1).serialized()
        }
        func run(frameGrams: [UInt8]?) throws -> [UInt8] {
            var t = try task(content: content, targets: targets, parameters: p, plan: plan, tile: plan.tiles[0])
            t.tile.initial = try ref(startPNG)
            t.tile.round = 1; t.tile.rounds = 2
            if let frameGrams { t.tile.frameGrams = try ref(frameGrams) }
            return try cache.blob(try executor.execute(t).output.sha256)
        }
        let plain = try run(frameGrams: nil)
        XCTAssertEqual(try run(frameGrams: try grams(decodedStart)), plain, "A′ = A for a tile that is the frame")
        let elsewhere = try run(frameGrams: try grams(TestSupport.image(width: 96, height: 64, seed: 15)))
        XCTAssertNotEqual(elsewhere, plain, "the frame's statistics were not used")

        // Frame statistics without the start image they were taken from are refused.
        var orphan = try task(content: content, targets: targets, parameters: p, plan: plan, tile: plan.tiles[0])
        orphan.tile.frameGrams = try ref(try grams(decodedStart))
        XCTAssertThrowsError(try executor.execute(orphan)) { XCTAssertTrue("\($0)".contains("initial"), "\($0)") }
    }

    /// A region tile uses the whole frame's masks cropped to the tile: its bytes are the engine's guided
    /// stylization of the content crop with the cropped ID-map masks.
    func testARegionTileCropsTheWholeFramesMasks() throws {
        let (w, h) = (160, 96)
        var pixels = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { pixels[(y * w + x) * 3 + (x < 70 ? 0 : 2)] = 1 } }  // red left, blue right
        let idMap = [UInt8](try ImageWriter.encodePNG(Image(width: w, height: h, channels: 3, pixels: pixels), bitDepth: 8))
        let content = TestSupport.png(width: w, height: h, seed: 11)
        let styleA = TestSupport.png(width: 32, height: 32, seed: 12), styleB = TestSupport.png(width: 28, height: 36, seed: 13)
        let host = TestSupport.host()
        let p = parameters(size: w, iterations: 3)
        let setHashes = try [styleA, styleB].map { try cachedTargets(p, style: $0, host: host) }
        let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: w, height: h), budget: .tileSide(144)).last)
        let tile = plan.tiles[3]  // its crop holds both regions
        XCTAssertTrue(tile.padded.x < 70 && tile.padded.x + tile.padded.width > 70, "\(tile)")
        var task = try task(content: content, targets: [], parameters: p, plan: plan, tile: tile)
        task.regions.segment = "ids:/unused.png"
        task.regions.regions = [
            .with { $0.name = "#ff0000"; $0.stylePath = "/a.png"; $0.contentWeight = 1; $0.styleWeight = 1 },
            .with { $0.name = "background"; $0.stylePath = "/b.png"; $0.contentWeight = 0.5; $0.styleWeight = 2 },
        ]
        task.regionStyleTargets = setHashes.map { hashes in .with { $0.hashes = hashes } }
        task.regionMask = try ref(idMap)
        let result = try TaskExecutor(host: host, cache: cache).execute(task)

        let r = tile.padded
        let masks = try RegionMasks(idMap: try ImageReader.decode(bytes: idMap), source: "ids", width: w, height: h)
            .cropped(to: PixelRect(x: r.x, y: r.y, width: r.width, height: r.height))
        let assignments = [RegionAssignment(name: "#ff0000", style: .image("/a.png")),
                           RegionAssignment(name: "background", style: .image("/b.png"), contentWeight: 0.5, styleWeight: 2)]
        let layout = RegionStyleLayout(assignments: assignments, hasDefaultStyle: false)
        let regionPlan = try RegionPlan.resolve(masks: masks, assignments: assignments, styleSets: layout.assignmentSets,
                                                defaultStyleSet: layout.defaultSet)
        var tileParameters = p
        tileParameters.size = max(r.width, r.height)
        let transfer = StyleTransfer(vgg: TestSupport.randomVGG16Average)
        let targets = try [styleA, styleB].map {
            try transfer.styleTargets(styles: [try ImageReader.decode(bytes: $0)], blendWeights: [1], parameters: p)
        }
        let crop = try ImageReader.decode(bytes: content).toRGB().cropped(x: r.x, y: r.y, width: r.width, height: r.height)
        let direct = try transfer.stylize(content: crop, regions: RegionStylization(plan: regionPlan), styleTargets: targets,
                                          parameters: tileParameters)
        XCTAssertEqual(try cache.get(result.output.sha256), [UInt8](try ImageWriter.encodePNG(direct.image, bitDepth: 8)))

        // With a temporal neighbour (weight 0: only the masks see it) the frame's masks are stabilized before the
        // crop: a still neighbour with the same ID map changes nothing, one whose ID map is all red changes them.
        func temporalTile(neighbourMap: [UInt8]) throws -> [UInt8] {
            var t = task
            t.frameWidth = UInt32(w); t.frameHeight = UInt32(h)
            let still = FlowPair(forward: FlowField(width: w, height: h, constant: 0, 0), backward: FlowField(width: w, height: h, constant: 0, 0))
            let flow = try ref(still.serialized()), neighbourContent = try ref(content), map = try ref(neighbourMap)
            t.temporal = .with {
                $0.neighbours = [.with { $0.result = neighbourContent; $0.flow = flow; $0.neighbourIsFirst = true
                                         $0.content = neighbourContent; $0.regionMask = map }]
                $0.weight = 0
            }
            return try XCTUnwrap(try cache.get(try TaskExecutor(host: host, cache: cache).execute(t).output.sha256))
        }
        let plain = BlobName.of(try XCTUnwrap(try cache.get(result.output.sha256)))
        XCTAssertEqual(BlobName.of(try temporalTile(neighbourMap: idMap)), plain)
        let red = [UInt8](try ImageWriter.encodePNG(Image(width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { $0 % 3 == 0 ? 1 : 0 }), bitDepth: 8))
        XCTAssertNotEqual(BlobName.of(try temporalTile(neighbourMap: red)), plain, "the neighbour's masks were not used")
    }

    /// A tile scales only the masks its assignments name; an unknown name keeps them all, so the plan's
    /// error lists every region the frame has.
    func testATileScalesOnlyTheAssignedMasks() {
        let masks = RegionMasks(width: 2, height: 1, named: [("background", [1, 0]), ("person", [0, 1]), ("dog", [0, 0])])
        let kept = TaskExecutor.assignedMasks(masks, names: ["Person", "background"])
        XCTAssertEqual(kept.names, ["person"])
        XCTAssertEqual(kept.mask(named: "person"), [0, 1])
        XCTAssertEqual(TaskExecutor.assignedMasks(masks, names: ["person", "cat"]).names, ["background", "person", "dog"])
    }
}
