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

    /// Issue 20: an OpenEXR plate (scene-linear, with alpha and highlights above 1) in, OpenEXR out: the network
    /// sees the plate in the sRGB working space, the output comes back linear with the plate's alpha. The plate's
    /// working-space pixels given as they are (an OpenEXR file of float samples read as `srgb`) give the same render,
    /// so the conversion each way is the one the network's input and output need.
    func testAnOpenEXRPlateComesBackLinearWithItsAlpha() throws {
        let photo = try ImageReader.read(path: try DemoImages.cat).resized(width: 48, height: 32).toRGB()
        var linear = [Float](repeating: 0, count: 48 * 32 * 4)
        for p in 0..<(48 * 32) {
            for c in 0..<3 { linear[p * 4 + c] = Float(ColorSpace.decode(Double(photo.pixels[p * 3 + c]))) * 1.2 }  // some pixels above 1
            linear[p * 4 + 3] = [0, 0.125, 0.25, 0.5, 1][(p % 48) * 5 / 48]   // alpha steps that divide exactly
        }
        let plate = Image(width: 48, height: 32, channels: 4, pixels: linear)
        let exr = directory.appendingPathComponent("plate.exr").path
        try OpenEXR.write(plate, to: exr, half: false, compression: .piz)
        // The same plate already in working space, premultiplied by the same alpha (so both renders leave the same
        // transparent pixels out of the style statistics).
        let working = try Plate.from(linear: plate, colorSpace: .linearRec709, premultiplied: true).working
        var premultiplied = [Float](repeating: 0, count: 48 * 32 * 4)
        for p in 0..<(48 * 32) {
            let a = linear[p * 4 + 3]  // where it is 0 the colour stays as it is (light without coverage)
            for c in 0..<3 { premultiplied[p * 4 + c] = working.pixels[p * 3 + c] * (a > 0 ? a : 1) }
            premultiplied[p * 4 + 3] = linear[p * 4 + 3]
        }
        let asWorking = directory.appendingPathComponent("working.exr").path
        try OpenEXR.write(Image(width: 48, height: 32, channels: 4, pixels: premultiplied), to: asWorking, half: false, compression: .zip)

        let flags = ["--style", try DemoImages.painting, "--size", "48", "--iterations", "8", "--threads", "2", "--seed", "3"]
        let outEXR = directory.appendingPathComponent("out.exr").path, outPNG = directory.appendingPathComponent("out.png").path
        let fromEXR = try CLIRunner.run(["stylize", "--content", exr, "--out", outEXR] + flags)
        XCTAssertEqual(fromEXR.status, 0, fromEXR.stderr)
        let fromPNG = try CLIRunner.run(["stylize", "--content", asWorking, "--input-colorspace", "srgb", "--out", outPNG,
                                         "--bit-depth", "16"] + flags)
        XCTAssertEqual(fromPNG.status, 0, fromPNG.stderr)

        let out = try OpenEXR.read(path: outEXR)
        XCTAssertTrue(out.half)
        XCTAssertEqual(out.compression, .zip)
        XCTAssertEqual([out.image.width, out.image.height, out.image.channels], [48, 32, 4])
        for p in 0..<(48 * 32) {
            XCTAssertEqual(out.image.pixels[p * 4 + 3], Float(Float16(linear[p * 4 + 3])), "the plate's alpha, pixel \(p)")
        }
        // Back in working space, the EXR render is the other render (the same working input: up to the output's half
        // floats and the PNG's 16 bits).
        let reference = try ImageReader.read(path: outPNG)
        var difference = 0.0, compared = 0
        for p in 0..<(48 * 32) where out.image.pixels[p * 4 + 3] > 0.1 {
            // OpenEXR's colours are premultiplied: divided by the alpha, they are the render's.
            let o = out.image.pixels, a = Double(o[p * 4 + 3])
            let w = ColorSpace.linearRec709.toWorking((Double(o[p * 4]) / a, Double(o[p * 4 + 1]) / a, Double(o[p * 4 + 2]) / a))
            compared += 1
            difference += abs(w.0 - Double(reference.pixels[p * 3])) + abs(w.1 - Double(reference.pixels[p * 3 + 1]))
                + abs(w.2 - Double(reference.pixels[p * 3 + 2]))
        }
        difference /= Double(compared * 3)
        XCTAssertLessThan(difference, 2e-4, "mean difference in working space")
        // And the EXR holds linear values, not the working space's: its mean is well below the encoded mean.
        let meanLinear = stride(from: 0, to: out.image.pixels.count, by: 4).map { Double(out.image.pixels[$0 + 1]) }.reduce(0, +) / Double(48 * 32)
        let meanEncoded = stride(from: 0, to: reference.pixels.count, by: 3).map { Double(reference.pixels[$0 + 1]) }.reduce(0, +) / Double(48 * 32)
        XCTAssertLessThan(meanLinear, meanEncoded * 0.8, "linear \(meanLinear) against encoded \(meanEncoded)")

        let bad = try CLIRunner.run(["stylize", "--content", exr, "--out", outEXR, "--input-colorspace", "rec2020"] + flags)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--input-colorspace takes srgb, linear-rec709, acescg"), bad.stderr)
        let noLayer = try CLIRunner.run(["stylize", "--content", exr, "--out", outEXR, "--layer", "diffuse"] + flags)
        XCTAssertNotEqual(noLayer.status, 0)
        XCTAssertTrue(noLayer.stderr.contains("layer 'diffuse' has no R, G, B or Y channels"), noLayer.stderr)
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
