import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// Exact tiles through the coordinator, with a fake worker: after round 0 the frame's statistics are summed in
/// parts (a frame above one pass), the coordinator adds the parts, and every round-1 tile starts from the
/// assembled round-0 frame with the summed statistics.
final class ExactTilesServerTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUpWithError() throws { harness = try ServerHarness(liveness: 100) }

    override func tearDown() {
        harness?.close()
        harness = nil
    }

    /// Gram sums with one channel per style layer, different for every part.
    private func sums(_ value: Double, layers: [String]) -> GramSums {
        GramSums(layers: layers.map { GramSums.Layer(name: $0, channels: 1, positions: 10, sums: [value]) })
    }

    func testRoundOneTilesGetTheSummedStatisticsOfTheAssembledFrame() throws {
        // 1600×1000: two tiles under a 1024-px side; 1.6 Mpx is more than one pass, so 6 cores of 768 px in 2 parts.
        var (spec, dir) = try harness.stylizeJob(name: "exact", plates: [1: Image(width: 1600, height: 1000, channels: 3, repeating: 0.25)],
                                                 style: Image(width: 8, height: 8, channels: 3, repeating: 0.5), frames: "1")
        spec.parameters.size = 1600
        spec.parameters.iterations = 2
        spec.parameters.styleScale = 0.05  // an 80-px style: the coordinator computes its targets at submit
        spec.options.tileSize = 1024
        spec.options.tileSync = 1
        let jobID = try harness.client().submit(spec)
        let layers = StyleTransferParameters().styleLayers.map(\.name)

        let w = try harness.worker("w")
        try w.register(slots: 8)
        try w.ready(8)
        var partSums: [String: GramSums] = [:]
        var roundOne: [Stylefarm_V1_TaskAssignment] = []
        let deadline = Date().addingTimeInterval(60)
        while try harness.server.store.summary(ofJob: jobID).state != .completed, Date() < deadline {
            for task in try w.tasks(within: .milliseconds(50)) {
                switch task.kind {
                case .styleGrams:
                    XCTAssertEqual([task.styleGrams.styleWidth, task.styleGrams.styleHeight, task.styleGrams.core], [1600, 1000, 768])
                    let part = sums(Double(task.styleGrams.firstCore + 1), layers: layers)
                    partSums[task.taskID] = part
                    try w.result(task, bytes: Data(try part.serialized()))
                case .stylize:
                    XCTAssertTrue(task.hasTile, task.taskID)
                    if task.tile.round == 1 { roundOne.append(task) }
                    let tile = Image(width: Int(task.region.width), height: Int(task.region.height), channels: 3,
                                     repeating: task.tile.round == 0 ? 0.5 : 0.75)
                    try w.result(task, bytes: try ImageWriter.encodePNG(tile, bitDepth: 8, name: "tile"))
                default:
                    XCTFail("unexpected task \(task.taskID) of kind \(task.kind)")
                }
                try w.ready(1)
            }
        }
        XCTAssertEqual(try harness.server.store.summary(ofJob: jobID).state, .completed)
        XCTAssertEqual(partSums.keys.sorted(), ["\(jobID)-f1-s0-e0-grams-c0", "\(jobID)-f1-s0-e0-grams-c4"])

        // Both round-1 tiles: rounds, the assembled round-0 frame to start from, and the parts' sum.
        XCTAssertEqual(roundOne.count, 2)
        var expected = try XCTUnwrap(partSums["\(jobID)-f1-s0-e0-grams-c0"])
        try expected.add(try XCTUnwrap(partSums["\(jobID)-f1-s0-e0-grams-c4"]))
        let expectedBytes = Data(try expected.serialized())
        for task in roundOne {
            XCTAssertEqual([task.tile.round, task.tile.rounds], [1, 2])
            XCTAssertEqual(task.parameters.iterations, 1)
            XCTAssertEqual(task.tile.frameGrams.sha256, BlobName.of(expectedBytes))
            XCTAssertFalse(task.tile.initial.sha256.isEmpty)
        }
        let initial = try XCTUnwrap(roundOne.first).tile.initial.sha256
        XCTAssertEqual(roundOne.map(\.tile.initial.sha256), [initial, initial], "one assembled frame")

        // The finished frame is the round-1 tiles blended (0.75 everywhere).
        let frame = try ImageReader.read(path: dir.appendingPathComponent("out/exact.0001.png").path)
        XCTAssertEqual([frame.width, frame.height], [1600, 1000])
        XCTAssertEqual(frame.pixels.min() ?? 0, 0.75, accuracy: 0.5 / 255)
        XCTAssertEqual(frame.pixels.max() ?? 0, 0.75, accuracy: 0.5 / 255)
    }
}

/// A whole-frame job whose style is larger than one pass: the coordinator does not run the network at submit;
/// its stylize task waits for the workers' parts and carries the targets they add up to.
final class StyleTargetPartsServerTests: XCTestCase {
    private var harness: ServerHarness!
    private var saved = (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore)

    override func setUpWithError() throws {
        harness = try ServerHarness(liveness: 100)
        (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore) = (32 * 32, 32)
    }

    override func tearDown() {
        (StyleTargets.tiledGramPixels, StyleTargets.tiledGramCore) = saved
        harness?.close()
        harness = nil
    }

    func testAWholeFrameJobTakesItsTargetsFromTheWorkersParts() throws {
        var (spec, _) = try harness.stylizeJob(name: "parts", plates: [1: Image(width: 64, height: 48, channels: 3, repeating: 0.25)],
                                               style: Image(width: 80, height: 60, channels: 3, repeating: 0.5), frames: "1")
        spec.parameters.size = 64  // the style scaled to 64×48: 3072 px, 2×2 cores of 32 px, one part
        spec.options.noTiles = true
        let jobID = try harness.client().submit(spec)
        let layers = StyleTransferParameters().styleLayers.map(\.name)

        let w = try harness.worker("w")
        try w.register(slots: 4)
        try w.ready(4)
        let first = try w.tasks(within: .milliseconds(300))
        XCTAssertEqual(first.map(\.kind), [.styleGrams], "the stylize task waits for the part")
        let part = try XCTUnwrap(first.first)
        XCTAssertEqual([part.styleGrams.styleWidth, part.styleGrams.styleHeight, part.styleGrams.core,
                        part.styleGrams.firstCore, part.styleGrams.coreCount], [64, 48, 32, 0, 4])
        let sums = GramSums(layers: layers.map { GramSums.Layer(name: $0, channels: 2, positions: 4, sums: [4, 8, 8, 20]) })
        try w.result(part, bytes: Data(try sums.serialized()))
        try w.ready(1)
        let stylize = try XCTUnwrap(w.nextTask())
        XCTAssertEqual(stylize.kind, .stylize)
        let expected = try StyleTargets(blending: [sums], weights: [1]).serialized()
        XCTAssertEqual(stylize.styleTargetHashes, [BlobName.of(Data(expected))])
        XCTAssertEqual(try StyleTargets(blending: [sums], weights: [1]).layers.first?.gram, [1, 2, 2, 5])
        XCTAssertTrue(FileManager.default.fileExists(atPath: harness.stateDirectory.appendingPathComponent("blobs/\(stylize.styleTargetHashes[0])").path))
        try w.result(stylize, bytes: try ImageWriter.encodePNG(Image(width: 64, height: 48, channels: 3, repeating: 0.5), bitDepth: 8, name: "out"))
        XCTAssertTrue(try harness.pump { try harness.server.store.summary(ofJob: jobID).state == .completed })
    }
}
