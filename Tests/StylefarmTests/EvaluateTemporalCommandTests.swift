import Engine
import Foundation
import XCTest
import TestSupport

/// `stylefarm evaluate temporal` end to end on the shared Sintel sequence: the content frames themselves
/// are temporally consistent (small warp error), independently noised frames are not.
final class EvaluateTemporalCommandTests: XCTestCase {
    private func meanWarpError(_ output: String) throws -> Double {
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("mean warp_error=") }, output)
        let value = line.dropFirst("mean warp_error=".count).split(separator: " ").first.map(String.init) ?? ""
        return try XCTUnwrap(Double(value), String(line))
    }

    /// Frames 1–4 of alley_1 with independent uniform noise in ±0.1 added to every sample, in a temp folder.
    private func noisedFrames(_ folder: String) throws -> String {
        let dir = NSTemporaryDirectory() + "evaluate-temporal-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        var state: UInt64 = 0x1234_5678
        for k in 1...4 {
            let image = try ImageReader.read(path: String(format: "%@/frame_%04d.png", folder, k))
            let noised = image.pixels.map { p -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let r = Float(state >> 40) / Float(1 << 24) * 0.2 - 0.1
                return min(max(p + r, 0), 1)
            }
            try ImageWriter.writePNG(Image(width: image.width, height: image.height, channels: image.channels, pixels: noised),
                                     to: String(format: "%@/frame_%04d.png", dir, k))
        }
        return dir
    }

    func testGroundTruthFlowSeparatesConsistentFromNoisedFrames() throws {
        let folder = try SharedTestData.path("sequences/sintel_alley_1_clean")
        let gt = ["--flow-gt", folder + "/flow_####.flo", "--occlusions", folder + "/occ_####.png"]
        let clean = try CLIRunner.run(["evaluate", "temporal", "--stylized", folder + "/frame_####.png",
                                       "--content", folder + "/frame_####.png", "--frames", "2-3"] + gt)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.contains("frame=3 warp_error="), clean.stdout)
        let cleanError = try meanWarpError(clean.stdout)

        let noisedDir = try noisedFrames(folder)
        let noised = try CLIRunner.run(["evaluate", "temporal", "--stylized", noisedDir + "/frame_####.png",
                                        "--content", folder + "/frame_####.png", "--frames", "2-3"] + gt)
        XCTAssertEqual(noised.status, 0, noised.stderr)
        let noisedError = try meanWarpError(noised.stdout)
        print("evaluate temporal, alley_1 2→3 with GT flow: content \(cleanError), noised \(noisedError)")
        // Uniform noise in ±0.1 on both frames adds 2·0.1²/3 ≈ 0.0067 (less where clamped).
        XCTAssertLessThan(cleanError, 1e-3)
        XCTAssertGreaterThan(noisedError, max(10 * cleanError, 0.003))
    }

    func testDISFlowSeparatesConsistentFromNoisedFrames() throws {
        let folder = try SharedTestData.path("sequences/sintel_alley_1_clean")
        let clean = try CLIRunner.run(["evaluate", "temporal", "--stylized", folder + "/frame_####.png",
                                       "--content", folder + "/frame_####.png", "--frames", "1-4"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertEqual(clean.stdout.split(separator: "\n").filter { $0.hasPrefix("frame=") }.count, 3, clean.stdout)
        let cleanError = try meanWarpError(clean.stdout)
        let noisedDir = try noisedFrames(folder)
        let noised = try CLIRunner.run(["evaluate", "temporal", "--stylized", noisedDir + "/frame_####.png",
                                        "--content", folder + "/frame_####.png", "--frames", "1-4"])
        XCTAssertEqual(noised.status, 0, noised.stderr)
        let noisedError = try meanWarpError(noised.stdout)
        print("evaluate temporal, alley_1 1-4 with DIS flow: content \(cleanError), noised \(noisedError)")
        XCTAssertLessThan(cleanError, 1e-3)
        XCTAssertGreaterThan(noisedError, max(10 * cleanError, 0.003))
    }

    func testSmallerStylizedFramesUseResampledGroundTruth() throws {
        // Stylized output is usually smaller than the plates: the flow and occlusions are resampled.
        let folder = try SharedTestData.path("sequences/sintel_alley_1_clean")
        let dir = NSTemporaryDirectory() + "evaluate-temporal-small-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for k in 2...3 {
            let small = try ImageReader.read(path: String(format: "%@/frame_%04d.png", folder, k)).resized(width: 512, height: 218)
            try ImageWriter.writePNG(small, to: String(format: "%@/frame_%04d.png", dir, k))
        }
        let result = try CLIRunner.run(["evaluate", "temporal", "--stylized", dir + "/frame_####.png",
                                        "--content", folder + "/frame_####.png", "--frames", "2-3",
                                        "--flow-gt", folder + "/flow_####.flo", "--occlusions", folder + "/occ_####.png"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let error = try meanWarpError(result.stdout)
        print("evaluate temporal, alley_1 2→3 at 512×218 with resampled GT flow: \(error)")
        XCTAssertLessThan(error, 1e-3)
    }

    /// Sintel's alley (4 frames) spliced with DAVIS's black swan (3 frames), all at 96×48: the pair across the
    /// splice is reported as a cut and left out of the mean; `--no-detect-cuts` measures it.
    func testPairsAcrossAShotCutAreLeftOut() throws {
        let dir = NSTemporaryDirectory() + "evaluate-cuts-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let sources = (1...4).map { String(format: "sequences/sintel_alley_1_clean/frame_%04d.png", $0) }
            + (1...3).map { String(format: "sequences/davis_blackswan/frame_%04d.jpg", $0) }
        for (k, source) in sources.enumerated() {
            let image = try ImageReader.read(path: try SharedTestData.path(source)).toRGB().resized(width: 96, height: 48)
            try ImageWriter.writePNG(image, to: String(format: "%@/f_%04d.png", dir, k + 1))
        }
        let arguments = ["evaluate", "temporal", "--stylized", dir + "/f_####.png", "--content", dir + "/f_####.png", "--frames", "1-7"]
        let result = try CLIRunner.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("frame=5 cut"), result.stdout)
        XCTAssertTrue(result.stdout.contains("pairs=5"), result.stdout)
        let all = try CLIRunner.run(arguments + ["--no-detect-cuts"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertTrue(all.stdout.contains("pairs=6"), all.stdout)
        XCTAssertGreaterThan(try meanWarpError(all.stdout), 2 * (try meanWarpError(result.stdout)), "the cut pair dominates the error")
    }

    func testHelpListsTheOptions() throws {
        let root = try CLIRunner.run(["--help"])
        XCTAssertEqual(root.status, 0)
        XCTAssertTrue(root.stdout.contains("evaluate"), root.stdout)
        let help = try CLIRunner.run(["evaluate", "temporal", "--help"])
        XCTAssertEqual(help.status, 0)
        for option in ["--stylized", "--content", "--frames", "--flow-gt", "--occlusions", "--preset"] {
            XCTAssertTrue(help.stdout.contains(option), "\(option) missing from help:\n\(help.stdout)")
        }
    }

    func testUsageErrorsSayWhatToFix() throws {
        let oneFrame = try CLIRunner.run(["evaluate", "temporal", "--stylized", "s_####.png", "--content", "c_####.png",
                                          "--frames", "3"])
        XCTAssertEqual(oneFrame.status, 64)
        XCTAssertTrue(oneFrame.stderr.contains("--frames must list at least two frames"), oneFrame.stderr)
        let noPlaceholder = try CLIRunner.run(["evaluate", "temporal", "--stylized", "s.png", "--content", "c_####.png",
                                               "--frames", "1-2"])
        XCTAssertEqual(noPlaceholder.status, 64)
        XCTAssertTrue(noPlaceholder.stderr.contains("--stylized"), noPlaceholder.stderr)
        let occlusionsAlone = try CLIRunner.run(["evaluate", "temporal", "--stylized", "s_####.png", "--content", "c_####.png",
                                                 "--frames", "1-2", "--occlusions", "o_####.png"])
        XCTAssertEqual(occlusionsAlone.status, 64)
        XCTAssertTrue(occlusionsAlone.stderr.contains("--occlusions needs --flow-gt"), occlusionsAlone.stderr)
        let missing = try CLIRunner.run(["evaluate", "temporal", "--stylized", "/nonexistent/s_####.png",
                                         "--content", "/nonexistent/c_####.png", "--frames", "1-2"])
        XCTAssertNotEqual(missing.status, 0)
        // The content frames are read first (for shot-cut detection); the message names the missing file.
        XCTAssertTrue(missing.stderr.contains("/nonexistent/c_0001.png: no such file"), missing.stderr)
    }
}
