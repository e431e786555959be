import Coordinator
import Engine
import Foundation
import ModelStore
import Protocol
import XCTest

/// Temporal strategies over a farm of processes on 127.0.0.1: flow tasks, frames that wait for their
/// predecessors (sequential), Jacobi sweeps (multipass) and cross-faded chunks, with results travelling
/// between workers through the coordinator.
final class FarmTemporalTests: XCTestCase {
    private var farm: FarmProcesses!
    private let engineFlags = ["--size", "64", "--iterations", "24", "--seed", "7"]

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: ModelDirectory.resolve().url.appendingPathComponent("vgg16.sfw").path) else {
            throw XCTSkip("VGG-16 weights are not installed; run `stylefarm models install`")
        }
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    /// `count` 96×72 plates of the Grace Hopper photo, panning 3 px right and 1 px down per frame.
    private func writePlates(_ count: Int) throws -> URL {
        let photo = try ImageReader.read(path: try SharedTestData.path("images/grace_hopper.png"))
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for i in 0..<count {
            let frame = try photo.cropped(x: 40 + 3 * i, y: 60 + i, width: 288, height: 216).resized(width: 96, height: 72)
            try ImageWriter.writePNG(frame, to: plates.appendingPathComponent(String(format: "plate.%04d.png", i + 1)).path)
        }
        return plates
    }

    private func submit(_ name: String, plates: URL, frames: String, style: String, temporal: [String],
                        shared: Bool = false) throws -> String {
        let outDir = farm.directory.appendingPathComponent(name).path
        let submitted = try CLIRunner.run(["submit", "--name", name, "--content", plates.path + "/plate.####.png",
                                           "--frames", frames, "--style", style, "--output-dir", outDir,
                                           "--coordinator", farm.clientEndpoint, "--watch"]
                                          + (shared ? [] : ["--no-shared-filesystem"]) + temporal + engineFlags, timeout: 300)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed || $0.job.state == .failed })
        XCTAssertEqual(status.job.state, .completed, "\(status.frames.map(\.error))\n" + farm.logs)
        return outDir
    }

    /// Mean warp error of a rendered sequence (`stylefarm evaluate temporal`, DIS flow).
    private func warpError(_ dir: String, name: String, plates: URL, frames: String) throws -> Double {
        let result = try CLIRunner.run(["evaluate", "temporal", "--stylized", dir + "/\(name).####.png",
                                        "--content", plates.path + "/plate.####.png", "--frames", frames, "--no-detect-cuts"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("mean warp_error=") })
        return try XCTUnwrap(Double(line.dropFirst("mean warp_error=".count).split(separator: " ")[0]))
    }

    /// Sequential on two workers: frame 2 waits for frame 1 and the flow task, and the result equals
    /// `stylize --previous-output … --previous-content …` run by hand frame after frame, byte for byte (the
    /// flow computed on one worker and the result fetched from another change nothing).
    func testSequentialMatchesStylizeChainedByHand() throws {
        let plates = try writePlates(3)
        let style = try SharedTestData.path("styles/starry_night_crop.png")
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let out = try submit("seq", plates: plates, frames: "1-3", style: style, temporal: ["--temporal", "sequential"])

        var previous: String? = nil
        for frame in 1...3 {
            let path = farm.directory.appendingPathComponent("chain.\(frame).png").path
            let content = plates.path + String(format: "/plate.%04d.png", frame)
            var args = ["stylize", "--content", content, "--style", style, "--out", path, "--threads", "1"] + engineFlags
            if let previous {
                args += ["--previous-output", previous, "--previous-content", plates.path + String(format: "/plate.%04d.png", frame - 1)]
            }
            let stylized = try CLIRunner.run(args)
            XCTAssertEqual(stylized.status, 0, stylized.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + String(format: "/seq.%04d.png", frame))),
                           try Data(contentsOf: URL(fileURLWithPath: path)), "frame \(frame)")
            previous = path
        }
    }

    /// The same five frames independent, multipass (2 sweeps, shared-filesystem mode) and chunked (chunks of 3
    /// overlapping by 1): every frame is written, and both temporal strategies flicker less than independent
    /// frames at the same iteration budget.
    func testMultipassAndChunkedReduceWarpErrorAgainstIndependent() throws {
        let plates = try writePlates(5)
        let style = try SharedTestData.path("styles/starry_night_crop.png")
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let independent = try submit("ind", plates: plates, frames: "1-5", style: style, temporal: ["--temporal", "independent"])
        let multipass = try submit("mp", plates: plates, frames: "1-5", style: style,
                                   temporal: ["--temporal", "multipass", "--passes", "2"], shared: true)
        let chunked = try submit("ch", plates: plates, frames: "1-5", style: style,
                                 temporal: ["--temporal", "chunked", "--chunk-frames", "3", "--chunk-overlap", "1"])
        // Finished temporal jobs leave no intermediate results (flows, sweep 0, chunk renders) behind.
        let intermediate = farm.directory.appendingPathComponent("state/intermediate").path
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: intermediate)) ?? [], [], farm.logs)
        XCTAssertTrue(farm.log("coordinator.log").contains("intermediate result(s)"), "the jobs had intermediates to remove")
        let e0 = try warpError(independent, name: "ind", plates: plates, frames: "1-5")
        let e1 = try warpError(multipass, name: "mp", plates: plates, frames: "1-5")
        let e2 = try warpError(chunked, name: "ch", plates: plates, frames: "1-5")
        print("FarmTemporalTests: mean warp error independent \(e0), multipass \(e1), chunked \(e2)")
        XCTAssertLessThan(e1, e0 * 0.8, "multipass \(e1) vs independent \(e0)")
        XCTAssertLessThan(e2, e0 * 0.8, "chunked \(e2) vs independent \(e0)")
    }
}
