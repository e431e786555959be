import Engine
import Foundation
import ModelStore
import XCTest

/// `stylefarm stylize` end to end on real images and the installed VGG-16 weights.
final class StylizeEndToEndTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: ModelDirectory.resolve().url.appendingPathComponent("vgg16.sfw").path) else {
            throw XCTSkip("VGG-16 weights are not installed; run `stylefarm models install`")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func testTwoRunsWriteIdenticalBytesAndSixteenBitWorks() throws {
        let content = try SharedTestData.path("images/grace_hopper.png"), style = try SharedTestData.path("styles/starry_night_crop.png")
        var outputs: [Data] = []
        for run in 0..<2 {
            let out = directory.appendingPathComponent("run\(run).png").path
            let result = try CLIRunner.run(["stylize", "--content", content, "--style", style, "--out", out,
                                            "--size", "48", "--iterations", "8", "--threads", "2", "--init", "noise",
                                            "--seed", "3", "--bit-depth", "16"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("wrote \(out) (41x48)"), result.stdout)
            XCTAssertTrue(result.stderr.contains("iteration 8/8"), "plain progress lines when not on a terminal: \(result.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        XCTAssertEqual(outputs[0], outputs[1], "same inputs, same thread count → identical bytes")
        let image = try ImageReader.decode(outputs[0])
        XCTAssertEqual([image.width, image.height, image.channels, image.bitDepth], [41, 48, 3, 16])
    }
}
