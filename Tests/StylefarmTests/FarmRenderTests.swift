import Coordinator
import Engine
import Foundation
import ModelStore
import Protocol
import XCTest
import TestSupport

/// Real renders over a farm of processes on 127.0.0.1 with the installed VGG-16 weights.
final class FarmRenderTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    /// Six 64 px frames through `stylefarm submit --watch`, a coordinator and two worker processes (blob
    /// mode: frames and results travel over the sockets): every output's image is byte-identical to
    /// `stylefarm stylize` with the same parameters (their provenance text differs), both workers rendered frames,
    /// and a frame's provenance is enough for `verify` to render its exact bytes again.
    func testSixFramesOverTwoWorkersAreByteIdenticalToStylize() throws {
        let photo = try ImageReader.read(path: try DemoImages.portrait)
        let style = try DemoImages.painting
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for i in 0..<6 {
            let frame = try photo.cropped(x: 20 * i, y: 40, width: 360, height: 400)
            try ImageWriter.writePNG(frame, to: plates.appendingPathComponent(String(format: "plate.%04d.png", i + 1)).path)
        }
        // One BLAS thread everywhere, as `stylize --threads 1` below.
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let outDir = farm.directory.appendingPathComponent("renders").path
        let engineFlags = ["--size", "64", "--iterations", "12", "--init", "noise", "--seed", "7"]
        let submitted = try farm.cli(["submit", "--name", "farm64", "--content", plates.path + "/plate.####.png",
                                           "--frames", "1-6", "--style", style, "--output-dir", outDir,
                                           "--no-shared-filesystem", "--coordinator", farm.clientEndpoint, "--watch"] + engineFlags,
                                          timeout: 300)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(jobID.hasPrefix("job-"), submitted.stdout)
        XCTAssertTrue(submitted.stderr.contains("6/6 frames"), submitted.stderr)

        let status = try farm.cli(["status", jobID, "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("completed"), status.stdout)
        let frames = try XCTUnwrap(farm.waitForStatus(jobID) { $0.job.state == .completed }).frames
        XCTAssertEqual(Set(frames.map(\.workerID)), ["a", "b"], "both workers rendered frames")

        for i in 1...6 {
            let reference = farm.directory.appendingPathComponent("reference.\(i).png").path
            let stylized = try farm.cli(["stylize", "--content", plates.path + String(format: "/plate.%04d.png", i),
                                              "--style", style, "--out", reference, "--threads", "1"] + engineFlags)
            XCTAssertEqual(stylized.status, 0, stylized.stderr)
            let farmBytes = try Data(contentsOf: URL(fileURLWithPath: outDir + String(format: "/farm64.%04d.png", i)))
            XCTAssertEqual(try PNGText.removingText(from: [UInt8](farmBytes)), try RenderedFile.imageBytes(reference),
                           "frame \(i) (the image; the provenance text differs)")
        }

        // Each PNG frame says how it was made, in PNG text, and `verify` renders it again from that alone: the same
        // bytes, text included.
        let inspected = try farm.cli(["inspect", outDir + "/farm64.0003.png"])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        for line in ["format: PNG", "job: " + jobID, "frame: 3", "threads: 1", "content-path: " + plates.path + "/plate.0003.png"] {
            XCTAssertTrue(inspected.stdout.contains(line), "\(line) in \(inspected.stdout)")
        }
        let verified = try farm.cli(["verify", outDir + "/farm64.0003.png"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("identical bytes"), verified.stdout)
    }
}
