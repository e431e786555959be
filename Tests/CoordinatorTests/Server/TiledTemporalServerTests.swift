import Engine
import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// Tiles × temporal strategies through the coordinator, with a fake worker (issue 7): every render of a frame
/// is a tile group, and what other tasks are pulled toward or start from is a group's assembled frame.
final class TiledTemporalServerTests: XCTestCase {
    private var harness: ServerHarness!

    override func setUpWithError() throws { harness = try ServerHarness(liveness: 100) }

    override func tearDown() {
        harness?.close()
        harness = nil
    }

    /// A two-frame 400×240 job in 256-px tiles (2×2 tiles per frame; 200×120 is one) with `strategy`.
    private func submit(_ strategy: Stylefarm_V1_TemporalStrategy, scales: UInt32, passes: UInt32? = nil) throws -> (String, URL) {
        let plate = Image(width: 400, height: 240, channels: 3, repeating: 0.25)
        var (spec, dir) = try harness.stylizeJob(name: "shot", plates: [1: plate, 2: plate],
                                                 style: Image(width: 8, height: 8, channels: 3, repeating: 0.5), frames: "1-2")
        spec.parameters.size = 400
        spec.parameters.iterations = 4
        spec.parameters.scales = scales
        spec.parameters.contentWeight = 1
        spec.options.tileSize = 256
        spec.temporal.strategy = strategy
        if let passes { spec.temporal.passes = passes }  // absent: the default
        spec.temporal.noDetectCuts = true
        return (try harness.client().submit(spec), dir)
    }

    /// The value a fake tile render paints: 0.1 + 0.2 per frame, + 0.4 after multipass sweep 0, + 0.05 at a
    /// coarse scale, so assemblies can be told apart.
    private func value(of task: Stylefarm_V1_TaskAssignment) -> Float {
        let sweep = task.taskID.contains("-p0-") ? 0 : 1
        return 0.1 + 0.2 * Float(task.frameIndex) + 0.4 * Float(sweep) + (task.tile.scale == 0 && task.tile.scales > 1 ? 0.05 : 0)
    }

    /// The coordinator's intermediates the assignments named, read when they were assigned (they are removed
    /// when the job finishes).
    private var intermediates: [String: Image] = [:]

    /// Runs the job with one fake worker; returns every assignment, flows answered with placeholder blobs.
    private func run(_ jobID: String) throws -> [Stylefarm_V1_TaskAssignment] {
        let w = try harness.worker("w")
        try w.register(slots: 8)
        try w.ready(8)
        var seen: [Stylefarm_V1_TaskAssignment] = []
        let deadline = Date().addingTimeInterval(60)
        while try harness.server.store.summary(ofJob: jobID).state != .completed, Date() < deadline {
            for task in try w.tasks(within: .milliseconds(50)) {
                seen.append(task)
                switch task.kind {
                case .flow:
                    try w.result(task, bytes: Data("flow \(task.taskID)".utf8))
                case .stylize:
                    XCTAssertTrue(task.hasTile, task.taskID)
                    for ref in [task.temporal.initial, task.tile.initial] + task.temporal.neighbours.map(\.result) where !ref.sha256.isEmpty {
                        intermediates[ref.sha256] = try ImageReader.read(path: harness.stateDirectory.appendingPathComponent("intermediate/\(ref.sha256)").path)
                    }
                    let tile = Image(width: Int(task.region.width), height: Int(task.region.height), channels: 3, repeating: value(of: task))
                    try w.result(task, bytes: try ImageWriter.encodePNG(tile, bitDepth: 16, name: "tile"))
                default:
                    XCTFail("unexpected task \(task.taskID) of kind \(task.kind)")
                }
                try w.ready(1)
            }
        }
        XCTAssertEqual(try harness.server.store.summary(ofJob: jobID).state, .completed)
        return seen
    }

    /// The assembled frame a blob names, as the coordinator kept it when the task was assigned.
    private func assembled(_ ref: Stylefarm_V1_BlobRef) throws -> Image {
        try XCTUnwrap(intermediates[ref.sha256], "no intermediate \(ref.sha256)")
    }

    private func assertUniform(_ image: Image, _ value: Float, _ message: String, size: [Int] = [400, 240],
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([image.width, image.height], size, message, file: file, line: line)
        XCTAssertEqual(image.pixels.min() ?? -1, value, accuracy: 1e-4, message, file: file, line: line)
        XCTAssertEqual(image.pixels.max() ?? -1, value, accuracy: 1e-4, message, file: file, line: line)
    }

    func testMultipassSweepsStartFromAndArePulledTowardTheAssembledPreviousSweep() throws {
        let (jobID, dir) = try submit(.multipass, scales: 1, passes: 2)
        let seen = try run(jobID)
        let flows = seen.filter { $0.kind == .flow }
        XCTAssertEqual(flows.count, 1)
        let sweep1 = seen.filter { $0.kind == .stylize && !$0.taskID.contains("-p0-") }
        XCTAssertEqual(sweep1.count, 8, "four tiles of two frames")
        for task in sweep1 {
            let frame = Int(task.frameIndex)
            XCTAssertTrue(task.hasTemporal, task.taskID)
            XCTAssertFalse(task.temporal.warpedInit, "a later sweep starts from its previous sweep")
            XCTAssertGreaterThan(task.temporal.weight, 0)
            XCTAssertEqual(task.parameters.iterations, 1, "the consistency sweep's share of 4 evaluations (sweep 0 takes 3)")
            // Its own sweep-0 render, assembled from its tiles, and the other frame's as the neighbour.
            assertUniform(try assembled(task.temporal.initial), 0.1 + 0.2 * Float(frame), task.taskID)
            XCTAssertEqual(task.temporal.neighbours.count, 1)
            let neighbour = try XCTUnwrap(task.temporal.neighbours.first)
            assertUniform(try assembled(neighbour.result), 0.1 + 0.2 * Float(1 - frame), task.taskID)
            XCTAssertEqual(neighbour.neighbourIsFirst, frame == 1)
            XCTAssertEqual(neighbour.flow.sha256, BlobName.of(Data("flow \(flows[0].taskID)".utf8)))
            XCTAssertEqual([task.frameWidth, task.frameHeight], [400, 240], "the frame size the flows are made at")
        }
        // The outputs are the last sweep's tiles, assembled.
        for frame in 1...2 {
            let output = try ImageReader.read(path: dir.appendingPathComponent("out/shot.000\(frame).png").path)
            XCTAssertEqual(output.pixels.min() ?? -1, 0.5 + 0.2 * Float(frame - 1), accuracy: 1 / 255)
            XCTAssertEqual(output.pixels.max() ?? -1, 0.5 + 0.2 * Float(frame - 1), accuracy: 1 / 255)
        }
    }

    func testSequentialTilesStartWarpedOnlyAtTheirFirstScaleAndKeepTheirNeighbourAtEveryScale() throws {
        let (jobID, _) = try submit(.sequential, scales: 2)
        let seen = try run(jobID)
        let second = seen.filter { $0.kind == .stylize && $0.frameIndex == 1 }
        let coarse = second.filter { $0.tile.scale == 0 }, fine = second.filter { $0.tile.scale == 1 }
        XCTAssertEqual([coarse.count, fine.count], [1, 4], "200×120 is one tile, 400×240 four")
        for task in second {
            let neighbour = try XCTUnwrap(task.temporal.neighbours.first, task.taskID)
            XCTAssertTrue(neighbour.neighbourIsFirst)
            // Frame 1's output render: its fine tiles assembled (kept as an intermediate for this frame).
            assertUniform(try assembled(neighbour.result), 0.5, task.taskID)
            XCTAssertEqual(task.temporal.warpedInit, task.tile.scale == 0, task.taskID)
            XCTAssertEqual(task.tile.initial.sha256.isEmpty, task.tile.scale == 0, task.taskID)
        }
        for task in fine {
            assertUniform(try assembled(task.tile.initial), 0.75, "the coarse scale (the worker upsamples it)", size: [200, 120])
        }
        let first = seen.filter { $0.kind == .stylize && $0.frameIndex == 0 }
        XCTAssertTrue(first.allSatisfy { !$0.hasTemporal }, "the shot's first frame has no neighbour")
    }
}
