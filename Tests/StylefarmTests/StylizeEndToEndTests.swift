import Engine
import Foundation
import ModelStore
import XCTest
import TestSupport

/// `stylefarm stylize` end to end on real images and the installed VGG-16 weights.
final class StylizeEndToEndTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func testTwoRunsWriteIdenticalBytesAndSixteenBitWorks() throws {
        // A landscape photo (451×300): the longer side, its width, becomes --size.
        let content = try DemoImages.cat, style = try DemoImages.painting
        var outputs: [Data] = []
        for run in 0..<2 {
            let out = directory.appendingPathComponent("run\(run).png").path
            let result = try CLIRunner.run(["stylize", "--content", content, "--style", style, "--out", out,
                                            "--size", "48", "--iterations", "8", "--threads", "2", "--init", "noise",
                                            "--seed", "3", "--bit-depth", "16"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("wrote \(out) (48x32)"), result.stdout)
            XCTAssertTrue(result.stderr.contains("iteration 8/8"), "plain progress lines when not on a terminal: \(result.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        XCTAssertEqual(outputs[0], outputs[1], "same inputs, same thread count → identical bytes")
        let image = try ImageReader.decode(outputs[0])
        XCTAssertEqual([image.width, image.height, image.channels, image.bitDepth], [48, 32, 3, 16])
    }
}

/// `stylefarm stylize --segment … --region …` end to end: masks from a matte, the selfie model; bad input.
final class StylizeRegionsEndToEndTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-regions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// A left-half matte the size of `content`.
    private func writeMatte(for content: String, width: Int? = nil) throws -> String {
        let image = try ImageReader.read(path: content)
        let w = width ?? image.width
        let pixels = (0..<(w * image.height)).map { Float(($0 % w) < w / 2 ? 1 : 0) }
        let path = directory.appendingPathComponent("matte-\(w).png").path
        try ImageWriter.writePNG(Image(width: w, height: image.height, channels: 1, pixels: pixels), to: path)
        return path
    }

    func testMatteRegionKeepsTheLeftHalfAndSavesMasks() throws {
        let content = try DemoImages.portrait, style = try DemoImages.painting
        let matte = try writeMatte(for: content)
        let out = directory.appendingPathComponent("o.png").path, masks = directory.appendingPathComponent("masks").path
        let result = try CLIRunner.run(["stylize", "--content", content, "--style", style, "--out", out,
                                        "--size", "64", "--iterations", "30", "--threads", "2",
                                        "--segment", "matte:\(matte)", "--region", "foreground=none", "--save-masks", masks])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("regions: foreground 50.0% photoreal, rest 50.0% style 0"), result.stdout)
        let image = try ImageReader.read(path: out)
        let reference = try ImageReader.read(path: content).toRGB().resized(width: image.width, height: image.height)
        func change(_ columns: Range<Int>) -> Float {
            var s: Float = 0
            for y in 0..<image.height { for x in columns { for c in 0..<3 { s += abs(image[x: x, y: y, c: c] - reference[x: x, y: y, c: c]) } } }
            return s / Float(image.height * columns.count * 3)
        }
        let kept = change(0..<(image.width / 2 - 6)), styled = change((image.width / 2 + 6)..<image.width)
        XCTAssertLessThan(kept, 0.3 * styled, "photoreal half \(kept) vs styled half \(styled)")
        let saved = try ImageReader.read(path: masks + "/foreground.png")
        XCTAssertEqual([saved.width, saved.height], [image.width, image.height])
        XCTAssertTrue(FileManager.default.fileExists(atPath: masks + "/rest.png"))
    }

    func testBadRegionRequestsFailWithClearMessages() throws {
        let content = try DemoImages.portrait, style = try DemoImages.painting
        let out = directory.appendingPathComponent("o.png").path
        let base = ["stylize", "--content", content, "--style", style, "--out", out, "--size", "32", "--iterations", "1"]
        let wrongSize = try writeMatte(for: content, width: 40)
        let cases: [([String], String)] = [
            (["--region", "person=none"], "--region needs --segment"),
            (["--segment", "deeplab"], "--segment needs at least one --region"),
            (["--segment", "matte", "--region", "foreground=none"], "matte:PATH"),
            (["--segment", "matte:\(wrongSize)", "--region", "foreground=none"], "is 40x"),
            (["--segment", "matte:\(wrongSize)", "--region", "person"], "NAME=STYLE_IMAGE or NAME=none"),
            (["--segment", "matte:\(try writeMatte(for: content))", "--region", "horse=none"], "unknown region 'horse'"),
            (["--segment", "matte:\(try writeMatte(for: content))", "--region", "foreground=none",
              "--region-weight", "foreground:content=-1"], "non-negative"),
        ]
        for (extra, expected) in cases {
            let result = try CLIRunner.run(base + extra)
            XCTAssertNotEqual(result.status, 0, "\(extra)")
            XCTAssertTrue(result.stderr.contains(expected), "\(extra): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(extra) wrote an output")
        }
    }

    func testSelfiePersonGetsItsOwnStyle() throws {
        try InstalledModels.requireSegmentation("selfie")
        let content = try DemoImages.portrait
        let a = try DemoImages.painting, b = try DemoImages.secondPainting
        let out = directory.appendingPathComponent("o.png").path
        let result = try CLIRunner.run(["stylize", "--content", content, "--out", out, "--size", "64", "--iterations", "10",
                                        "--segment", "selfie", "--region", "person=\(a)", "--region", "background=\(b)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // The selfie model finds the person in most of the portrait; the two regions take both styles.
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("regions:") } ?? ""
        XCTAssertTrue(line.contains("person") && line.contains("style 0") && line.contains("background") && line.contains("style 1"), String(line))
        XCTAssertTrue(try ImageReader.read(path: out).width > 0)
    }
}
