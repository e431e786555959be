import Coordinator
import Engine
import FarmWire
import Foundation
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

    private func decodeOutput(_ result: Stylefarm_V1_Result) throws -> Image {
        try ImageReader.decode(bytes: try cache.blob(result.output.sha256))
    }

    func testZeroIterationTilesReassembleToTheUntiledFrameBitForBit() throws {
        let host = TestSupport.host()
        let executor = TaskExecutor(host: host, cache: cache)
        let content = TestSupport.png(width: 263, height: 197, seed: 5)  // scaled to 203×152: odd sizes
        let p = parameters(size: 203, iterations: 0)
        let style = try ImageReader.decode(bytes: TestSupport.png(width: 64, height: 64, seed: 6))
        let targets = try StyleTargetsProvider(host: host).serializedTargets(parameters: p, styles: [style])
        for t in targets { _ = try cache.put(t.bytes) }
        let hashes = targets.map(\.sha256)

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
        let style = try ImageReader.decode(bytes: TestSupport.png(width: 48, height: 48, seed: 9))
        let targets = try StyleTargetsProvider(host: host).serializedTargets(parameters: p, styles: [style])
        for t in targets { _ = try cache.put(t.bytes) }
        let plan = try XCTUnwrap(JobPlanner.tilePlans(p, frameSize: PixelSize(width: 160, height: 96), budget: .tileSide(144)).last)
        let tile = plan.tiles[1]

        // With zero iterations the tile is its start image: the previous scale's frame, scaled and cropped.
        let previous = TestSupport.image(width: 80, height: 48, seed: 10)
        let previousPNG = [UInt8](try ImageWriter.encodePNG(previous, bitDepth: 16))
        var t = try task(content: content, targets: targets.map(\.sha256), parameters: p, plan: plan, tile: tile)
        t.tile.initial = try ref(previousPNG)
        t.tile.scale = 1; t.tile.scales = 2
        let out = try decodeOutput(try executor.execute(t))
        let expected = try ImageReader.decode(bytes: previousPNG).toRGB().resized(width: 160, height: 96)
            .cropped(x: tile.padded.x, y: tile.padded.y, width: tile.padded.width, height: tile.padded.height)
        XCTAssertEqual(out.width, expected.width)
        let worst = zip(out.pixels, expected.pixels).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThanOrEqual(worst, 0.5 / 255 + 1e-6, "the tile did not start from the previous scale's frame")

        // A region outside the scale's frame is refused, naming the tile.
        var bad = try task(content: content, targets: targets.map(\.sha256), parameters: p, plan: plan, tile: tile)
        bad.region.x = 100
        XCTAssertThrowsError(try executor.execute(bad)) { error in
            XCTAssertTrue("\(error)".contains("does not lie inside the 160x96 frame"), "\(error)")
        }
    }
}
