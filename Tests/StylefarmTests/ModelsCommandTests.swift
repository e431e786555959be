import Foundation
import ModelStore
import XCTest
import TestSupport

/// `stylefarm models …` and the missing-model path of `stylize`, through the real binary.
final class ModelsCommandTests: XCTestCase {
    func testMissingModelErrorNamesTheInstallCommand() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sf-nomodels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let png = empty.appendingPathComponent("tiny.png")
        // A valid 2×2 RGB PNG (made with Python zlib/struct).
        try Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGPgEpEDIgYIBQAGTgDxOGMygQAAAABJRU5ErkJggg==")!.write(to: png)
        let result = try CLIRunner.run(["stylize", "--content", png.path, "--style", png.path, "--out",
                                        empty.appendingPathComponent("o.png").path, "--size", "16",
                                        "--model-dir", empty.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("stylefarm models install"), result.stderr)
        let list = try CLIRunner.run(["models", "list", "--model-dir", empty.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("vgg16") && list.stdout.contains("not installed"), list.stdout)
    }

    func testInstallIsIdempotentAndListVerifiesChecksums() throws {
        try InstalledModels.requireVGG16()
        let again = try CLIRunner.run(["models", "install"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("vgg16: already installed"), again.stdout)
        let list = try CLIRunner.run(["models", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("sha256 ok"), list.stdout)
    }
}
