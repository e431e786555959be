import Engine
import Foundation
import ModelStore
import XCTest

/// `stylefarm segment` end to end with the installed DeepLab model and the dense CRF.
final class SegmentCommandTests: XCTestCase {

    func testTwoDogsBecomeTheForegroundMatte() throws {
        guard (try? SegmentationModels(modelDirectory: ModelDirectory.resolve()).installedURL("deeplab")) != nil else {
            throw XCTSkip("DeepLab is not installed; run `stylefarm models install --segmentation`")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sf-segment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let matte = folder.appendingPathComponent("matte.png").path, overlay = folder.appendingPathComponent("overlay.png").path
        let result = try CLIRunner.run(["segment", "--input", try SharedTestData.path("images/pets.jpg"), "--classes", "dog",
                                        "--out", matte, "--overlay", overlay, "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("dog="), result.stdout)
        let image = try ImageReader.read(path: matte)
        XCTAssertEqual([image.width, image.height, image.channels], [512, 430, 1])
        let share = Double(image.pixels.filter { $0 > 0.5 }.count) / Double(image.pixelCount)
        XCTAssertGreaterThan(share, 0.08, "two dogs cover a good part of the frame")
        XCTAssertLessThan(share, 0.25, "the lawn is background")
        // The bottom-left corner is lawn.
        XCTAssertLessThan(image[x: 5, y: 420, c: 0], 0.1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: overlay))

        let bad = try CLIRunner.run(["segment", "--input", try SharedTestData.path("images/pets.jpg"), "--classes", "unicorn", "--out", matte])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unknown class 'unicorn'"), bad.stderr)
    }
}
