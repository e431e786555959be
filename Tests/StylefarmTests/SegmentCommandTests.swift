import Engine
import Foundation
import ModelStore
import XCTest
import TestSupport

/// `stylefarm segment` end to end with the installed DeepLab model and the dense CRF.
final class SegmentCommandTests: XCTestCase {

    func testTwoDogsBecomeTheForegroundMatte() throws {
        try InstalledModels.requireSegmentation("deeplab")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sf-segment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let matte = folder.appendingPathComponent("matte.png").path, overlay = folder.appendingPathComponent("overlay.png").path
        let pfm = folder.appendingPathComponent("dogs.pfm").path
        let result = try CLIRunner.run(["segment", "--input", try SharedTestData.path("images/pets.jpg"), "--classes", "dog",
                                        "--out", matte, "--overlay", overlay, "--probabilities", pfm, "--threads", "2"])
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
        // The float map holds the same probabilities, bottom row first.
        let floats = try Data(contentsOf: URL(fileURLWithPath: pfm))
        let header = Data("Pf\n512 430\n-1.0\n".utf8)
        XCTAssertEqual(floats.prefix(header.count), header)
        XCTAssertEqual(floats.count, header.count + 512 * 430 * 4)
        let bottomLeft = floats.subdata(in: header.count..<(header.count + 4)).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        XCTAssertEqual(bottomLeft, image[x: 0, y: 429, c: 0], accuracy: 1.0 / 255)

        let bad = try CLIRunner.run(["segment", "--input", try SharedTestData.path("images/pets.jpg"), "--classes", "unicorn", "--out", matte])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unknown class 'unicorn'"), bad.stderr)
    }

    /// An image above `--max-pixels` is refused from its header with the typed "too large" error (exit status
    /// 1, message naming the size and the limit), before decoding or running the network and CRF; at the
    /// limit it is segmented.
    func testImageAboveThePixelLimitIsRefusedWithAClearError() throws {
        try InstalledModels.requireSegmentation("deeplab")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sf-segment-limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try SharedTestData.path("images/pets.jpg")   // 512 × 430 = 220160 pixels
        let matte = folder.appendingPathComponent("matte.png").path
        let refused = try CLIRunner.run(["segment", "--input", input, "--out", matte, "--crf", "off",
                                         "--max-pixels", "220159", "--threads", "2"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("512x430 = 220160 pixels, more than the limit of 220159 pixels"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("Fatal error"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: matte), "nothing is written for a refused image")
        let accepted = try CLIRunner.run(["segment", "--input", input, "--out", matte, "--crf", "off",
                                          "--max-pixels", "220160", "--threads", "2"])
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        XCTAssertEqual(try ImageReader.read(path: matte).pixelCount, 220160)
        let invalid = try CLIRunner.run(["segment", "--input", input, "--out", matte, "--max-pixels", "0"])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.stderr.contains("--max-pixels must be at least 1"), invalid.stderr)
    }

    /// MediaPipe's selfie model (with its custom transposed convolution) finds the same person as DeepLab.
    func testSelfieModelAgreesWithDeepLabOnAPortrait() throws {
        try InstalledModels.requireSegmentation("selfie", "deeplab")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sf-selfie-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let portrait = try SharedTestData.path("images/grace_hopper.png")
        var mattes: [Image] = []
        for model in ["selfie", "deeplab"] {
            let out = folder.appendingPathComponent("\(model).png").path
            let result = try CLIRunner.run(["segment", "--model", model, "--classes", "person", "--crf", "off",
                                            "--input", portrait, "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            mattes.append(try ImageReader.read(path: out))
        }
        XCTAssertEqual([mattes[0].width, mattes[0].height], [512, 600])
        let a = mattes[0].pixels.map { $0 > 0.5 }, b = mattes[1].pixels.map { $0 > 0.5 }
        let intersection = zip(a, b).filter { $0 && $1 }.count, union = zip(a, b).filter { $0 || $1 }.count
        let iou = Double(intersection) / Double(max(1, union))
        XCTAssertGreaterThan(iou, 0.75, "selfie vs DeepLab person IoU \(iou)")
        XCTAssertGreaterThan(Double(a.filter { $0 }.count) / Double(a.count), 0.4, "the portrait is mostly person")
        XCTAssertLessThan(mattes[0][x: 500, y: 40, c: 0], 0.5, "the sky at the top right is background")
    }
}
