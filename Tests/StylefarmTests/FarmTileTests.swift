import Coordinator
import Engine
import Foundation
import ModelStore
import Protocol
import XCTest
import TestSupport

/// Tiled frames on a farm of processes over 127.0.0.1 (issue 7): tiles rendered by different workers,
/// reassembled by the coordinator, a tile lost with a killed worker retried alone, and the result close
/// to an untiled render without visible seams.
final class FarmTileTests: XCTestCase {
    private var farm: FarmProcesses!
    private let engineFlags = ["--size", "203", "--iterations", "30", "--seed", "7", "--scales", "2"]

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    /// Two 203×152 plates of the astronaut portrait (odd sizes: the last tile column is 11 px of core).
    private func writePlates() throws -> URL {
        let photo = try ImageReader.read(path: try DemoImages.portrait)
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for i in 0..<2 {
            let frame = try photo.cropped(x: 20 + 8 * i, y: 40, width: 406, height: 304).resized(width: 203, height: 152)
            try ImageWriter.writePNG(frame, to: plates.appendingPathComponent(String(format: "plate.%04d.png", i + 1)).path)
        }
        return plates
    }

    private func submitArguments(_ name: String, plates: URL, tiles: [String]) throws -> [String] {
        ["submit", "--name", name, "--content", plates.path + "/plate.####.png", "--frames", "1-2", "--no-detect-cuts",
         "--style", try DemoImages.painting,
         "--output-dir", farm.directory.appendingPathComponent(name).path, "--coordinator", farm.clientEndpoint,
         "--no-shared-filesystem"] + tiles + engineFlags
    }

    func testTilesLandOnSeveralWorkersAndALostTileIsRetriedAlone() throws {
        let plates = try writePlates()
        var coordinator = try farm.startCoordinator()
        let first = try farm.startWorker("first")
        // 2 scales: 102×76 is one tile, 203×152 is 4×1 tiles of at most 192 px (halo 64, cores of 64/48/48/43 px).
        let submitted = try farm.cli(try submitArguments("tiled", plates: plates, tiles: ["--tile-size", "192"]), timeout: 60)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // Kill the only worker while it renders a tile of frame 2 (frame 1 is assembled by then).
        let busy = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 120) { s in
            s.frames.first?.state == .done && s.frames.contains { $0.frameIndex == 1 && $0.state == .running && $0.workerID == "first" }
        }, farm.logs)
        XCTAssertEqual(busy.frames.first?.state, .done, farm.logs)
        farm.stop(first, signal: SIGKILL)
        _ = try farm.startWorker("late")
        _ = try farm.startWorker("other")
        let finished = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 180) { $0.job.state == .completed || $0.job.state == .failed },
                                     farm.logs)
        XCTAssertEqual(finished.job.state, .completed, "\(finished.frames.map(\.error))\n" + farm.logs)
        let outputs = (1...2).map { farm.directory.appendingPathComponent("tiled/tiled.\(String(format: "%04d", $0)).png").path }
        for output in outputs {
            let image = try ImageReader.read(path: output)
            XCTAssertEqual([image.width, image.height], [203, 152])
        }
        XCTAssertTrue(farm.log("coordinator.log").contains("assembled 4 tiles"), farm.logs)

        // The store: every tile ran once, except the one the killed worker held, which ran again elsewhere.
        farm.stop(coordinator)
        let store = try SQLiteJobStore(stateDirectory: farm.directory.appendingPathComponent("state"))
        let tasks = try store.tasks(ofJob: jobID)
        XCTAssertEqual(tasks.count, 2 * 5)
        var retried: [String] = []
        for task in tasks {
            XCTAssertEqual(task.state, .completed, task.id)
            let attempts = try store.attempts(ofTask: task.id)
            XCTAssertEqual(attempts.filter { $0.outcome == .succeeded }.count, 1, task.id)
            if attempts.count > 1 {
                retried.append(task.id)
                XCTAssertEqual(attempts.first?.workerID, "first", task.id)
                XCTAssertNotEqual(attempts.last?.workerID, "first", task.id)
            }
            if task.frameIndex == 0 { XCTAssertEqual(attempts.map(\.workerID), ["first"], "frame 1 is not rendered again") }
        }
        XCTAssertEqual(retried.count, 1, "only the lost tile is rendered again: \(retried)")
        try store.close()

        // The same frames untiled: close, and no visible seams on the tile boundaries.
        coordinator = try farm.startCoordinator()
        let untiled = try farm.cli(try submitArguments("whole", plates: plates, tiles: ["--no-tiles", "--watch"]), timeout: 300)
        XCTAssertEqual(untiled.status, 0, untiled.stderr + farm.logs)
        for frame in 1...2 {
            let seams = try farm.cli(["evaluate", "seams", "--image", outputs[frame - 1], "--tile-size", "192", "--untiled",
                                           farm.directory.appendingPathComponent("whole/whole.000\(frame).png").path,
                                           "--style", try DemoImages.painting])
            XCTAssertEqual(seams.status, 0, seams.stderr)
            let fields = Self.fields(seams.stdout)
            print("frame \(frame): \(seams.stdout)")
            let ratio = try XCTUnwrap(fields["ratio_vs_untiled"], seams.stdout)
            let difference = try XCTUnwrap(fields["mean_abs_diff"], seams.stdout)
            XCTAssertLessThan(abs(ratio - 1), 0.25, "frame \(frame): \(seams.stdout)")
            XCTAssertLessThan(difference, 0.06, "frame \(frame): \(seams.stdout)")
            // Both renders are closer to the style's statistics than the plate they started from.
            let plate = try farm.cli(["evaluate", "seams", "--image", plates.appendingPathComponent("plate.000\(frame).png").path,
                                           "--tile-size", "192", "--style", try DemoImages.painting])
            let start = try XCTUnwrap(Self.fields(plate.stdout)["style_error"], plate.stdout + plate.stderr)
            for key in ["style_error", "untiled_style_error"] {
                let error = try XCTUnwrap(fields[key], seams.stdout)
                XCTAssertTrue(error > 0 && error < 0.8 * start, "frame \(frame) \(key): \(seams.stdout); the plate's: \(start)")
            }
            XCTAssertNotNil(fields["tile_drift"], seams.stdout)
        }
    }
    /// A tiled shot with a temporal strategy (issue 6 × 7): frame 2's tiles start from, and are pulled toward,
    /// frame 1's assembled result warped by the flow, so the shot holds still where the same shot tiled
    /// independently does not.
    func testATiledShotRendersSequentiallyWithWarpedTiles() throws {
        let plates = try writePlates()
        _ = try farm.startCoordinator()
        _ = try farm.startWorker("a")
        _ = try farm.startWorker("b")
        var warpErrors: [String: Double] = [:]
        for strategy in ["sequential", "independent"] {
            let name = "shot-\(strategy)"
            let run = try farm.cli(try submitArguments(name, plates: plates, tiles: ["--tile-size", "192", "--temporal", strategy, "--watch"]),
                                        timeout: 300)
            XCTAssertEqual(run.status, 0, run.stderr + farm.logs)
            for frame in 1...2 {
                let image = try ImageReader.read(path: farm.directory.appendingPathComponent("\(name)/\(name).000\(frame).png").path)
                XCTAssertEqual([image.width, image.height], [203, 152])
            }
            let evaluated = try farm.cli(["evaluate", "temporal", "--stylized", farm.directory.appendingPathComponent("\(name)/\(name).####.png").path,
                                               "--content", plates.path + "/plate.####.png", "--frames", "1-2"])
            XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
            let line = try XCTUnwrap(evaluated.stdout.split(separator: "\n").first { $0.hasPrefix("mean warp_error=") }, evaluated.stdout)
            warpErrors[strategy] = try XCTUnwrap(Double(line.dropFirst("mean warp_error=".count).split(separator: " ").first ?? ""), String(line))
        }
        print("tiled shot warp error: \(warpErrors)")
        let log = farm.log("coordinator.log")
        XCTAssertTrue(log.contains("sequential") && log.contains("assembled 4 tiles"), farm.logs)
        let sequential = try XCTUnwrap(warpErrors["sequential"]), independent = try XCTUnwrap(warpErrors["independent"])
        XCTAssertLessThan(sequential, 0.6 * independent, "sequential tiles should hold the shot still: \(warpErrors)")
    }

    /// A style too large for one pass (here: above 10 000 px, in 64-px cores) of a tiled job is summed by the
    /// workers in parts; the coordinator's combination equals the targets it computes in one pass. The job
    /// also runs exact tiles: the fine scale in 2 rounds of 15 evaluations joined by the frame's statistics.
    /// The coordinator is killed once the fine tiles run and restarted without the style settings: the parts
    /// stored with the job are not computed again and combine to the same targets.
    func testWorkersComputeALargeStylesTargetsInParts() throws {
        let plates = try writePlates()
        var coordinator = try farm.startCoordinator(extra: ["--style-pass-pixels", "10000", "--style-core-size", "64"])
        _ = try farm.startWorker("a")
        _ = try farm.startWorker("b")
        // The coffee photo (600×400) scaled to 203 px is 203×135: 4×3 cores of 64 px in 3 parts; at 102 px it
        // is 102×68, one whole-image part.
        let submitted = try farm.cli(try submitArguments("parts", plates: plates, tiles: ["--tile-size", "192", "--tile-sync", "15"]),
                                          timeout: 60)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let deadline = Date().addingTimeInterval(180)
        while !farm.log("coordinator.log").contains("(scale 1, round 0) from"), Date() < deadline { usleep(100_000) }
        XCTAssertTrue(farm.log("coordinator.log").contains("(scale 1, round 0) from"), farm.logs)
        farm.stop(coordinator, signal: SIGKILL)
        coordinator = try farm.startCoordinator()
        let finished = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 240) { $0.job.state == .completed || $0.job.state == .failed },
                                     farm.logs)
        XCTAssertEqual(finished.job.state, .completed, "\(finished.frames.map(\.error))\n" + farm.logs)
        for frame in 1...2 {
            let image = try ImageReader.read(path: farm.directory.appendingPathComponent("parts/parts.000\(frame).png").path)
            XCTAssertEqual([image.width, image.height], [203, 152])
        }
        let log = farm.log("coordinator.log")
        func combined(scale: Int, parts: Int) throws -> String {
            let marker = "style targets of scale \(scale) combined from \(parts) worker part(s) in "
            let hashes = Set(log.split(separator: "\n").filter { $0.contains(jobID) && $0.contains(marker) }.compactMap { $0.split(separator: " ").last })
            XCTAssertEqual(hashes.count, 1, "scale \(scale): the same targets before and after the restart\n" + log)
            return String(try XCTUnwrap(hashes.first, log))
        }
        let farmTargets = [try combined(scale: 0, parts: 1), try combined(scale: 1, parts: 3)]
        XCTAssertGreaterThanOrEqual(log.components(separatedBy: "style targets of scale 1 combined").count - 1, 2,
                                    "the restarted coordinator combines the kept parts again\n" + log)
        XCTAssertEqual(log.components(separatedBy: "style-target part \(jobID)-style-").count - 1, 4, "parts are not computed again\n" + log)
        // One per frame after round 0 (a task lost with the killed coordinator runs again).
        XCTAssertGreaterThanOrEqual(log.components(separatedBy: "frame statistics \(jobID)-f").count - 1, 2, log)
        XCTAssertGreaterThanOrEqual(log.components(separatedBy: "round 1) from").count - 1, 2 * 4, log)
        farm.stop(coordinator)
        let store = try SQLiteJobStore(stateDirectory: farm.directory.appendingPathComponent("state"))
        let parts = try store.tasks(ofJob: jobID).filter { $0.id.contains("-style-") }
        XCTAssertEqual(parts.map(\.id).sorted(), ["s0-i0-c0", "s1-i0-c0", "s1-i0-c4", "s1-i0-c8"].map { "\(jobID)-style-\($0)" })
        XCTAssertTrue(parts.allSatisfy { $0.state == .completed })
        let all = try store.tasks(ofJob: jobID)
        XCTAssertEqual(all.count, 2 * (1 + 2 * 4 + 1) + 4)
        XCTAssertTrue(all.allSatisfy { $0.state == .completed })
        try store.close()

        // The same look computed by a coordinator in one pass, at submit (an untiled job; only submitted).
        coordinator = try farm.startCoordinator()
        let whole = try farm.cli(try submitArguments("whole", plates: plates, tiles: ["--no-tiles"]), timeout: 60)
        XCTAssertEqual(whole.status, 0, whole.stderr + farm.logs)
        let wholeID = whole.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        farm.stop(coordinator)
        let reopened = try SQLiteJobStore(stateDirectory: farm.directory.appendingPathComponent("state"))
        let spec = try XCTUnwrap(try reopened.job(wholeID)).spec
        try reopened.close()
        let stored = try XCTUnwrap(try JSONSerialization.jsonObject(with: spec) as? [String: Any])
        let onePass = try XCTUnwrap(stored["styleTargetBlobs"] as? [String], "\(stored)")
        XCTAssertEqual(onePass.count, 2)
        for (scale, (a, b)) in zip(farmTargets, onePass).enumerated() {
            let blobs = farm.directory.appendingPathComponent("state/blobs")
            let parts = try StyleTargets(serialized: [UInt8](try Data(contentsOf: blobs.appendingPathComponent(a))))
            let single = try StyleTargets(serialized: [UInt8](try Data(contentsOf: blobs.appendingPathComponent(b))))
            XCTAssertEqual(parts.layers.map(\.name), single.layers.map(\.name))
            for (p, q) in zip(parts.layers, single.layers) {
                let size = q.gram.map { abs($0) }.max() ?? 1
                let worst = zip(p.gram, q.gram).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-4 * size, "scale \(scale) \(p.name): \(worst) of \(size)")
            }
        }
    }

    /// `key=value` numbers of an `evaluate` line.
    static func fields(_ line: String) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: line.split(whereSeparator: \.isWhitespace).compactMap { item -> (String, Double)? in
            let kv = item.split(separator: "=")
            guard kv.count == 2, let v = Double(kv[1]) else { return nil }
            return (String(kv[0]), v)
        })
    }
}
