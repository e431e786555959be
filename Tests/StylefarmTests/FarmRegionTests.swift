import Coordinator
import Engine
import Foundation
import ModelStore
import Protocol
import XCTest
import TestSupport

/// Segmentation-aware jobs over a farm of processes on 127.0.0.1: region definitions travel in the job
/// spec and the task assignments, the coordinator computes every style set's targets once, and the worker
/// that stylizes a frame makes its masks. Outputs must be byte-identical to `stylefarm stylize` with the
/// same `--segment` / `--region` options.
final class FarmRegionTests: XCTestCase {
    private var farm: FarmProcesses!
    private let engineFlags = ["--size", "64", "--iterations", "12", "--seed", "7"]

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    /// Three 360×400 plates of the astronaut portrait, panning.
    private func writePlates() throws -> URL {
        let photo = try ImageReader.read(path: try DemoImages.portrait)
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for i in 0..<3 {
            let frame = try photo.cropped(x: 20 * i, y: 40, width: 360, height: 400)
            try ImageWriter.writePNG(frame, to: plates.appendingPathComponent(String(format: "plate.%04d.png", i + 1)).path)
        }
        return plates
    }

    /// Gray mattes at the plates' size: white (foreground) on the left `share(frame)` of the width.
    private func writeMattes(share: (Int) -> Float) throws -> URL {
        let mattes = farm.directory.appendingPathComponent("mattes")
        try FileManager.default.createDirectory(at: mattes, withIntermediateDirectories: true)
        let (w, h) = (360, 400)
        for frame in 1...3 {
            var pixels = [Float](repeating: 0, count: w * h)
            for y in 0..<h { for x in 0..<w where Float(x) < share(frame) * Float(w) { pixels[y * w + x] = 1 } }
            try ImageWriter.writePNG(Image(width: w, height: h, channels: 1, pixels: pixels),
                                     to: mattes.appendingPathComponent(String(format: "m.%04d.png", frame)).path, bitDepth: 8)
        }
        return mattes
    }

    /// Mean absolute difference to `reference` over the pixels whose column satisfies `columns`.
    private func meanDifference(_ image: Image, _ reference: Image, columns: (Int) -> Bool) -> Float {
        var sum: Float = 0, count = 0
        for y in 2..<(image.height - 2) {
            for x in 0..<image.width where columns(x) {
                for c in 0..<3 { sum += abs(image.pixels[(y * image.width + x) * 3 + c] - reference.pixels[(y * reference.width + x) * 3 + c]) }
                count += 3
            }
        }
        return sum / Float(max(1, count))
    }

    private func reference(_ frame: Int, plates: URL, style: String, regionFlags: [String]) throws -> [UInt8] {
        let path = farm.directory.appendingPathComponent("reference.\(frame).png").path
        let stylized = try farm.cli(["stylize", "--content", plates.path + String(format: "/plate.%04d.png", frame),
                                          "--style", style, "--out", path, "--threads", "1"] + regionFlags + engineFlags)
        XCTAssertEqual(stylized.status, 0, stylized.stderr)
        return try RenderedFile.imageBytes(path)
    }

    /// Three frames with per-frame mattes (`matte:…/m.####.png`, `--region foreground=none`): in blob mode
    /// (the mattes travel as blobs) and, for frame 1, in shared-filesystem mode (the worker reads the matte's
    /// path). Every output equals `stylize`'s bytes, and the photoreal region stays much closer to the
    /// content than the styled rest.
    func testMatteRegionsAreByteIdenticalToStylizeAndKeepTheForegroundPhotoreal() throws {
        let plates = try writePlates()
        let mattes = try writeMattes { 0.30 + 0.05 * Float($0) }
        let style = try DemoImages.painting
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let regionFlags = ["--segment", "matte:" + mattes.path + "/m.####.png", "--region", "foreground=none"]
        let outDir = farm.directory.appendingPathComponent("renders").path
        let submitted = try farm.cli(["submit", "--name", "matte64", "--content", plates.path + "/plate.####.png",
                                           "--frames", "1-3", "--style", style, "--output-dir", outDir,
                                           "--no-shared-filesystem", "--coordinator", farm.clientEndpoint, "--watch"]
                                          + regionFlags + engineFlags, timeout: 300)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed || $0.job.state == .failed })
        XCTAssertEqual(status.job.state, .completed, "\(status.frames.map(\.error))\n" + farm.logs)

        let sharedDir = farm.directory.appendingPathComponent("renders-shared").path
        let shared = try farm.cli(["submit", "--name", "shared64", "--content", plates.path + "/plate.####.png",
                                        "--frames", "1", "--style", style, "--output-dir", sharedDir,
                                        "--coordinator", farm.clientEndpoint, "--watch"] + regionFlags + engineFlags, timeout: 300)
        XCTAssertEqual(shared.status, 0, shared.stderr + farm.logs)

        for frame in 1...3 {
            let matte = mattes.path + String(format: "/m.%04d.png", frame)
            let expected = try reference(frame, plates: plates, style: style,
                                         regionFlags: ["--segment", "matte:" + matte, "--region", "foreground=none"])
            let outPath = outDir + String(format: "/matte64.%04d.png", frame)
            let farmBytes = try RenderedFile.imageBytes(outPath)
            XCTAssertEqual(farmBytes, expected, "frame \(frame) (blob mode)")
            if frame == 1 {
                XCTAssertEqual(try RenderedFile.imageBytes(sharedDir + "/shared64.0001.png"), expected,
                               "frame 1 (shared-filesystem mode)")
            }

            // Left of the matte edge: photoreal; right of it: stylized. Keep clear of the edge.
            let output = try ImageReader.read(path: outPath).toRGB()
            let content = try ImageReader.read(path: plates.path + String(format: "/plate.%04d.png", frame)).toRGB()
                .resized(width: output.width, height: output.height)
            let edge = (0.30 + 0.05 * Float(frame)) * Float(output.width)
            let photoreal = meanDifference(output, content) { Float($0) < edge - 4 && $0 >= 2 }
            let styled = meanDifference(output, content) { Float($0) > edge + 4 && $0 < output.width - 2 }
            // Measured: about 0.001 against 0.16 (mean absolute difference in [0, 1] units).
            XCTAssertLessThan(photoreal, 0.01, "frame \(frame): the photoreal region moved away from the content")
            XCTAssertLessThan(photoreal * 10, styled, "frame \(frame): photoreal region differs by \(photoreal), styled by \(styled)")
        }
    }

    /// A job without styles of its own: every pixel's style comes from a region (`foreground=none`,
    /// `background=wave`), so the coordinator computes only the region style set (the wave alone, as
    /// `stylize` does) and the output still equals `stylize`'s bytes.
    func testRegionStyleSetsComputedByTheCoordinatorMatchStylize() throws {
        let plates = try writePlates()
        let mattes = try writeMattes { _ in 0.4 }
        let coffee = try DemoImages.painting
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        let regionFlags = ["--segment", "matte:" + mattes.path + "/m.####.png", "--region", "foreground=none",
                           "--region", "background=" + coffee, "--region-weight", "background:style=2"]
        let outDir = farm.directory.appendingPathComponent("renders").path
        let submitted = try farm.cli(["submit", "--name", "wave64", "--content", plates.path + "/plate.####.png",
                                           "--frames", "3", "--output-dir", outDir, "--no-shared-filesystem",
                                           "--coordinator", farm.clientEndpoint, "--watch"] + regionFlags + engineFlags, timeout: 300)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let path = farm.directory.appendingPathComponent("reference-coffee.png").path
        let stylized = try farm.cli(["stylize", "--content", plates.path + "/plate.0003.png", "--out", path, "--threads", "1",
                                          "--segment", "matte:" + mattes.path + "/m.0003.png", "--region", "foreground=none",
                                          "--region", "background=" + coffee, "--region-weight", "background:style=2"] + engineFlags)
        XCTAssertEqual(stylized.status, 0, stylized.stderr)
        XCTAssertEqual(try RenderedFile.imageBytes(outDir + "/wave64.0003.png"), try RenderedFile.imageBytes(path))
    }

    /// One frame with `--segment selfie --region person=none`: the worker runs the selfie network (from its
    /// own model directory) and gives `stylize`'s bytes.
    func testSelfieRegionsOnTheWorkerAreByteIdenticalToStylize() throws {
        try InstalledModels.requireSegmentation("selfie")
        let plates = try writePlates()
        let style = try DemoImages.painting
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        let regionFlags = ["--segment", "selfie", "--region", "person=none"]
        let outDir = farm.directory.appendingPathComponent("renders").path
        let submitted = try farm.cli(["submit", "--name", "selfie64", "--content", plates.path + "/plate.####.png",
                                           "--frames", "2", "--style", style, "--output-dir", outDir,
                                           "--no-shared-filesystem", "--coordinator", farm.clientEndpoint, "--watch"]
                                          + regionFlags + engineFlags, timeout: 300)
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let farmBytes = try RenderedFile.imageBytes(outDir + "/selfie64.0002.png")
        XCTAssertEqual(farmBytes, try reference(2, plates: plates, style: style, regionFlags: regionFlags))
    }

    /// A region job is refused at submit when a frame's matte is missing, naming the file.
    func testAMissingMatteIsRefusedAtSubmit() throws {
        let plates = try writePlates()
        let mattes = try writeMattes { _ in 0.5 }
        try FileManager.default.removeItem(at: mattes.appendingPathComponent("m.0002.png"))
        try farm.startCoordinator(extra: ["--threads", "1"])
        let submitted = try farm.cli(["submit", "--name", "nomatte", "--content", plates.path + "/plate.####.png",
                                           "--frames", "1-3", "--style", try DemoImages.painting,
                                           "--output-dir", farm.directory.appendingPathComponent("out").path,
                                           "--segment", "matte:" + mattes.path + "/m.####.png", "--region", "foreground=none",
                                           "--coordinator", farm.clientEndpoint] + engineFlags, timeout: 60)
        XCTAssertNotEqual(submitted.status, 0)
        XCTAssertTrue(submitted.stderr.contains("m.0002.png"), submitted.stderr)
    }
}
