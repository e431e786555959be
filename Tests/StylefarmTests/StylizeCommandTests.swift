import Foundation
import XCTest

/// `stylefarm stylize` through the real binary: help, validation errors and exit codes, bad files.
final class StylizeCommandTests: XCTestCase {
    func testHelpListsTheOptions() throws {
        let result = try CLIRunner.run(["stylize", "--help"])
        XCTAssertEqual(result.status, 0)
        for option in ["--content", "--style", "--style-weights", "--out", "--size", "--iterations", "--optimizer",
                       "--content-weight", "--style-weight", "--tv-weight", "--init", "--scales", "--original-colors",
                       "--seed", "--threads", "--model-dir", "--network", "--pooling"] {
            XCTAssertTrue(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    func testValidationErrorsExitWithUsageStatus() throws {
        let base = ["stylize", "--content", "c.png", "--style", "s.png", "--out", "o.png"]
        let cases: [([String], String)] = [
            (["--bit-depth", "12"], "--bit-depth must be 8 or 16"),
            (["--style-weights", "1,2"], "--style-weights has 2 values for 1 style images"),
            (["--scales", "0"], "--scales must be at least 1"),
            (["--size", "8"], "--size must be at least 16"),
            (["--optimizer", "sgd"], "sgd"),
            (["--style-layers", "relu1_1:x"], "weight 'x' of relu1_1"),
            (["--threads", "0"], "--threads must be at least 1"),
        ]
        for (extra, message) in cases {
            let result = try CLIRunner.run(base + extra)
            XCTAssertEqual(result.status, 64, "\(extra): exit status")
            XCTAssertTrue(result.stderr.contains(message), "\(extra): stderr was \(result.stderr)")
        }
    }

    func testMissingInputNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("garbage.png")
        try Data("not an image at all".utf8).write(to: garbage)
        let out = dir.appendingPathComponent("out.png").path
        for (content, expected) in [(dir.appendingPathComponent("missing.png").path, "missing.png"), (garbage.path, "garbage.png")] {
            let result = try CLIRunner.run(["stylize", "--content", content, "--style", content, "--out", out, "--size", "32"])
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}
