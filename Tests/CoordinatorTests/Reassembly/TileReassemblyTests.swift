import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// The reassembly thread's work without the loop (issue 16): tiles of an 8-bit frame cut with a halo land
/// one by one; the frame written is byte-identical to assembling them directly, a frame is reopened from
/// the tiles that landed before, and a tile that cannot be used fails alone without losing the others.
final class TileReassemblyTests: XCTestCase {
    private var directory: URL!
    private var layout: TileLayout!
    private var frame: Image!
    private var tilePaths: [String] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tile-reassembly-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("intermediate"), withIntermediateDirectories: true)
        // 48×20 in 3 tiles of 16 px cores with an 8 px halo: every cell between two tiles is blended.
        var tiles: [TileLayout.Tile] = []
        for x in stride(from: 0, to: 48, by: 16) {
            let core = PixelRect(x: x, y: 0, width: 16, height: 20)
            let left = max(0, x - 8)
            tiles.append(.init(core: core, padded: PixelRect(x: left, y: 0, width: min(48, x + 24) - left, height: 20)))
        }
        layout = try TileLayout(width: 48, height: 20, tiles: tiles, ramp: 8)
        var pixels: [Float] = []
        for i in 0..<(48 * 20 * 3) { pixels.append(Float((i * 37) % 256) / 255) }
        frame = Image(width: 48, height: 20, channels: 3, pixels: pixels)
        // Each tile renders its padded rectangle of the frame, shifted so the blend is not the identity.
        tilePaths = try layout.tiles.enumerated().map { index, tile in
            var image = try frame.cropped(x: tile.padded.x, y: tile.padded.y, width: tile.padded.width, height: tile.padded.height)
            image = Image(width: image.width, height: image.height, channels: 3,
                          pixels: image.pixels.map { min(1, $0 + Float(index) * 0.1) })
            let png = [UInt8](try ImageWriter.encodePNG(image))
            let path = directory.appendingPathComponent("intermediate").appendingPathComponent(BlobName.of(png)).path
            try Data(png).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func arrival(_ tile: Int, landed: [Int]? = [], output: String? = nil, keep: Bool = false,
                         bytes: Data? = nil) -> TileArrival {
        let path = tilePaths[tile]
        return TileArrival(key: "job|0|0", taskID: "job/t\(tile)", jobID: "job", attempt: 1, frameIndex: 0, tileIndex: tile,
                           sha: URL(fileURLWithPath: path).lastPathComponent, bytes: bytes, path: path, layout: layout,
                           landed: landed?.map { .init(tileIndex: $0, path: tilePaths[$0]) }, keep: keep,
                           output: output.map { .init(path: $0, bitDepth: 8, frameName: 1) })
    }

    /// What the frame must be: the three tiles assembled directly and encoded as the output is.
    private func expectedPNG(bitDepth: Int = 8) throws -> [UInt8] {
        var assembler = try TileAssembler(layout: layout, channels: 3)
        for (index, path) in tilePaths.enumerated() { try assembler.add(tile: index, image: try ImageReader.read(path: path)) }
        return [UInt8](try ImageWriter.encodePNG(try assembler.image(), bitDepth: bitDepth))
    }

    func testTheLastTileWritesTheFrameAndKeepsItWhenAsked() throws {
        let output = directory.appendingPathComponent("out/frame_0001.png").path
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        let first = reassembly.land(arrival(2, output: output, keep: true))
        XCTAssertNil(first.failure)
        XCTAssertFalse(first.closed)
        XCTAssertNil(first.frameSHA)
        XCTAssertEqual(reassembly.openKeys, ["job|0|0"])
        XCTAssertGreaterThan(reassembly.retainedBytes, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        // The loop knows it is open now: later tiles come without the landed list; one with its bytes inline.
        XCTAssertNil(reassembly.land(arrival(0, landed: nil, output: output, keep: true)).failure)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tilePaths[1]))
        let last = reassembly.land(arrival(1, landed: nil, output: output, keep: true, bytes: bytes))
        XCTAssertNil(last.failure)
        XCTAssertTrue(last.closed)
        XCTAssertEqual(last.tiles, 3)
        XCTAssertTrue(reassembly.openKeys.isEmpty)
        XCTAssertEqual(reassembly.retainedBytes, 0)
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
        XCTAssertEqual(written, try expectedPNG())
        XCTAssertEqual(last.frameSHA, BlobName.of(written))
        // The kept copy is 16-bit, under its own hash, decoding to the same pixels at 16-bit precision.
        let kept = try XCTUnwrap(last.keptSHA)
        let keptBytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent("intermediate").appendingPathComponent(kept)))
        XCTAssertEqual(BlobName.of(keptBytes), kept)
        XCTAssertEqual(keptBytes, try expectedPNG(bitDepth: 16))
    }

    func testAFrameIsReopenedFromTheTilesThatLandedBefore() throws {
        let output = directory.appendingPathComponent("frame.png").path
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        // After a restart: tiles 0 and 2 completed before; tile 1 is the first this coordinator sees.
        let landing = reassembly.land(arrival(1, landed: [0, 2], output: output))
        XCTAssertNil(landing.failure)
        XCTAssertTrue(landing.closed)
        XCTAssertNil(landing.keptSHA, "not kept unless asked")
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), try expectedPNG())
    }

    func testAnAssemblyThatIsNotOpenAndHasNoListFailsTheTileInsteadOfWaitingForever() {
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        let landing = reassembly.land(arrival(0, landed: nil))
        XCTAssertNotNil(landing.failure)
        XCTAssertTrue(landing.closed, "the loop must send the landed list with the retry")
        XCTAssertTrue(reassembly.openKeys.isEmpty)
    }

    func testABadTileFailsAloneAndItsRetryFinishesTheFrame() throws {
        let output = directory.appendingPathComponent("frame.png").path
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        XCTAssertNil(reassembly.land(arrival(0, output: output)).failure)
        let corrupt = reassembly.land(arrival(1, landed: nil, output: output, bytes: Data("not a png".utf8)))
        XCTAssertNotNil(corrupt.failure)
        XCTAssertFalse(corrupt.closed, "tile 0 stays in its assembly")
        // A tile of the wrong size is refused by the assembler, and it too keeps the others.
        let wrong = [UInt8](try ImageWriter.encodePNG(Image(width: 5, height: 5, channels: 3)))
        let wrongSize = reassembly.land(arrival(1, landed: nil, output: output, bytes: Data(wrong)))
        XCTAssertTrue(wrongSize.failure?.contains("tile") ?? false, wrongSize.failure ?? "no failure")
        XCTAssertFalse(wrongSize.closed)
        XCTAssertNil(reassembly.land(arrival(1, landed: nil, output: output)).failure)
        let last = reassembly.land(arrival(2, landed: nil, output: output))
        XCTAssertNil(last.failure)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))), try expectedPNG())
    }

    func testAnOutputThatCannotBeWrittenFailsTheLastTileAndClosesTheAssembly() throws {
        // The output's folder is a file: the write fails, the tile is retried and reopens from the store's list.
        let blocker = directory.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let output = blocker.appendingPathComponent("frame.png").path
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        let landing = reassembly.land(arrival(0, landed: [1, 2], output: output))
        XCTAssertNotNil(landing.failure)
        XCTAssertTrue(landing.closed)
        XCTAssertNil(landing.frameSHA)
        XCTAssertTrue(reassembly.openKeys.isEmpty)
    }

    func testForgettingAJobDropsItsOpenAssembliesOnly() {
        var reassembly = TileReassembly(intermediateDirectory: directory.appendingPathComponent("intermediate"))
        _ = reassembly.land(arrival(0))
        var other = arrival(0)
        other.key = "job2|0|0"; other.jobID = "job2"
        _ = reassembly.land(other)
        XCTAssertEqual(reassembly.openKeys, ["job|0|0", "job2|0|0"])
        reassembly.forget(jobID: "job")
        XCTAssertEqual(reassembly.openKeys, ["job2|0|0"])
    }
}
