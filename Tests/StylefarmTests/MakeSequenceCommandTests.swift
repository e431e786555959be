import Engine
import Foundation
import XCTest
import TestSupport

/// `stylefarm make-sequence` end to end, and its output through `stylefarm evaluate temporal`.
final class MakeSequenceCommandTests: XCTestCase {
    private func tempDir(_ tag: String) throws -> String {
        let dir = NSTemporaryDirectory() + "make-sequence-\(tag)-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private func meanWarpError(_ output: String) throws -> Double {
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("mean warp_error=") }, output)
        let value = line.dropFirst("mean warp_error=".count).split(separator: " ").first.map(String.init) ?? ""
        return try XCTUnwrap(Double(value), String(line))
    }

    /// Makes a 6-frame sequence from two demo photos given as paths (not as demo names).
    private func makeSequence() throws -> String {
        let astronaut = try DemoImages.portrait, cat = try DemoImages.cat
        let dir = try tempDir("seq")
        let result = try CLIRunner.run(["make-sequence", "--out", dir, "--frames", "6", "--size", "160x120",
                                        "--background", astronaut, "--foreground", cat])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote 6 frames 160x120"), result.stdout)
        return dir
    }

    func testWritesFramesFlowsOcclusionsMattesAndDescription() throws {
        let dir = try makeSequence()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        for k in 1...6 {
            XCTAssertTrue(files.contains(String(format: "frame_%04d.png", k)))
            XCTAssertTrue(files.contains(String(format: "matte_%04d.png", k)))
        }
        for k in 1...5 {
            XCTAssertTrue(files.contains(String(format: "flow_%04d.flo", k)))
            XCTAssertTrue(files.contains(String(format: "occ_%04d.png", k)))
            XCTAssertTrue(files.contains(String(format: "flow_bwd_%04d.flo", k + 1)))
            XCTAssertTrue(files.contains(String(format: "occ_bwd_%04d.png", k + 1)))
        }
        XCTAssertFalse(files.contains("flow_0006.flo"))
        XCTAssertFalse(files.contains("flow_bwd_0001.flo"))
        let flow = try FlowFile.read(path: dir + "/flow_0001.flo")
        XCTAssertEqual(flow.width, 160); XCTAssertEqual(flow.height, 120)
        let matte = try ImageReader.read(path: dir + "/matte_0001.png")
        let covered = (0..<matte.pixelCount).filter { matte.pixels[$0 * matte.channels] > 0.5 }.count
        XCTAssertGreaterThan(covered, 1500)  // a 48-px disc (40 % of 120): ≈ 1810 pixels
        XCTAssertLessThan(covered, 2100)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/sequence.json")))
        let object = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(object["frames"] as? Int, 6)
        XCTAssertNotNil(object["motion"] as? [String: Any])
    }

    func testEvaluateTemporalWithGroundTruthSeparatesConsistentFromNoisedFrames() throws {
        let dir = try makeSequence()
        let gt = ["--flow-gt", dir + "/flow_####.flo", "--occlusions", dir + "/occ_####.png"]
        let clean = try CLIRunner.run(["evaluate", "temporal", "--stylized", dir + "/frame_####.png",
                                       "--content", dir + "/frame_####.png", "--frames", "1-6"] + gt)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        let cleanError = try meanWarpError(clean.stdout)

        // The same frames with independent uniform noise in ±0.1 per sample.
        let noisedDir = try tempDir("noised")
        var state: UInt64 = 0x5eed
        for k in 1...6 {
            let image = try ImageReader.read(path: String(format: "%@/frame_%04d.png", dir, k))
            let noised = image.pixels.map { p -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return min(max(p + Float(state >> 40) / Float(1 << 24) * 0.2 - 0.1, 0), 1)
            }
            try ImageWriter.writePNG(Image(width: image.width, height: image.height, channels: image.channels, pixels: noised),
                                     to: String(format: "%@/frame_%04d.png", noisedDir, k))
        }
        let noised = try CLIRunner.run(["evaluate", "temporal", "--stylized", noisedDir + "/frame_####.png",
                                        "--content", dir + "/frame_####.png", "--frames", "1-6"] + gt)
        XCTAssertEqual(noised.status, 0, noised.stderr)
        let noisedError = try meanWarpError(noised.stdout)
        print("evaluate temporal on make-sequence output (GT flow): content \(cleanError), noised \(noisedError)")
        XCTAssertLessThan(cleanError, 3e-4)
        // Noise in ±0.1 on both frames adds ≈ 2·0.1²/3 ≈ 0.0067.
        XCTAssertGreaterThan(noisedError, max(20 * cleanError, 0.004))
    }

    func testMissingDemoImagesSayHowToInstallThem() throws {
        let dir = try tempDir("nodemo")
        let result = try CLIRunner.run(["make-sequence", "--out", dir + "/out", "--model-dir", dir + "/models"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("models install --demo"), result.stderr)
    }

    func testRejectsBadArguments() throws {
        let dir = try tempDir("bad")
        for (args, needle) in [(["--frames", "1"], "--frames"), (["--size", "256"], "--size"),
                               (["--pan", "1"], "--pan"), (["--zoom", "0"], "--zoom")] {
            let result = try CLIRunner.run(["make-sequence", "--out", dir] + args)
            XCTAssertNotEqual(result.status, 0, "\(args)")
            XCTAssertTrue(result.stderr.contains(needle), "\(args): \(result.stderr)")
        }
    }
}
