import Foundation
import TestSupport
import XCTest
@testable import Engine

/// Issue 20, first part: OpenEXR read and write through OpenEXR's own library, checked against an independent
/// implementation (OpenImageIO's `oiiotool` and `iinfo`, Debian's openimageio-tools) both ways.
final class OpenEXRTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-exr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { if let directory { try? FileManager.default.removeItem(at: directory) } }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A scene-linear RGBA ramp with highlights above 1, negative (out-of-gamut) values and a soft alpha.
    private func plate(width: Int = 37, height: Int = 21) -> Image {
        var pixels = [Float](repeating: 0, count: width * height * 4)
        for y in 0..<height { for x in 0..<width {
            let p = (y * width + x) * 4
            pixels[p] = Float(x) / Float(width) * 6            // up to 6: highlights
            pixels[p + 1] = Float(y) / Float(height) - 0.1      // a little below 0
            pixels[p + 2] = 0.18
            pixels[p + 3] = Float(x + y) / Float(width + height)
        } }
        return Image(width: width, height: height, channels: 4, pixels: pixels)
    }

    /// Runs an OpenImageIO tool; fails the test when it fails.
    private func tool(_ name: String, _ arguments: [String]) throws -> String {
        try SystemTool.require(name, package: "openimageio-tools")
        let (status, output) = try SystemTool.run(name, arguments)
        XCTAssertEqual(status, 0, output)
        return output
    }

    func testFloatFilesRoundTripExactlyAndHalfFilesToHalfPrecision() throws {
        let image = plate()
        for compression in OpenEXR.Compression.allCases where ![.b44, .b44a, .dwaa, .dwab, .pxr24].contains(compression) {
            let float = try OpenEXR.decode(bytes: try OpenEXR.encode(image, half: false, compression: compression))
            XCTAssertEqual(float.image.pixels, image.pixels, "lossless float with \(compression)")
            XCTAssertEqual(float.compression, compression)
            XCTAssertFalse(float.half)
            XCTAssertTrue(float.hasAlpha)
            let half = try OpenEXR.decode(bytes: try OpenEXR.encode(image, half: true, compression: compression))
            XCTAssertTrue(half.half)
            for (a, b) in zip(half.image.pixels, image.pixels) {
                XCTAssertEqual(a, Float(Float16(b)), "half with \(compression): the nearest half float")
            }
        }
        let gray = Image(width: 4, height: 3, channels: 1, pixels: (0..<12).map { Float($0) / 4 })
        let y = try OpenEXR.decode(bytes: try OpenEXR.encode(gray, half: false))
        XCTAssertEqual(y.image.channels, 1)
        XCTAssertEqual(y.image.pixels, gray.pixels)
    }

    func testOpenImageIOReadsWhatStyleFarmWrites() throws {
        try OpenEXR.write(plate(), to: path("ours.exr"), half: true, compression: .piz)
        let info = try tool("iinfo", ["-v", path("ours.exr")])
        XCTAssertTrue(info.contains("37 x   21, 4 channel, half openexr"), info)
        XCTAssertTrue(info.contains("channel list: R, G, B, A"), info)
        XCTAssertTrue(info.contains("compression: \"piz\""), info)
        // Its values as OpenImageIO reads them: red up to 36/37·6 (5.8378, 5.8359 as a half), green from −0.1, not clamped.
        let stats = try tool("oiiotool", ["--stats", path("ours.exr")])
        XCTAssertTrue(stats.contains("Stats Max: 5.835938"), stats)
        XCTAssertTrue(stats.contains("Stats Min: 0.000000 -0.099976 0.180054 0.000000"), stats)
    }

    func testStyleFarmReadsWhatOpenImageIOWrites() throws {
        // Tiled, PIZ, half.
        _ = try tool("oiiotool", ["--pattern", "constant:color=0.25,0.5,2.0", "64x48", "3", "-d", "half", "--compression", "piz",
                                  "--tile", "32", "32", "-o", path("tiled.exr")])
        let tiled = try OpenEXR.read(path: path("tiled.exr"))
        XCTAssertTrue(tiled.tiled)
        XCTAssertEqual(tiled.compression, .piz)
        XCTAssertEqual([tiled.image.width, tiled.image.height, tiled.image.channels], [64, 48, 3])
        XCTAssertEqual(Array(tiled.image.pixels.prefix(3)), [0.25, 0.5, 2.0])
        XCTAssertEqual(Array(tiled.image.pixels.suffix(3)), [0.25, 0.5, 2.0])

        // A data window inside a larger display window: placed where it belongs, the rest transparent black.
        _ = try tool("oiiotool", ["--pattern", "constant:color=0.25,0.5,2.0,1", "20x10", "4", "--origin", "+10+5",
                                  "--fullsize", "80x60+0+0", "-d", "float", "-o", path("window.exr")])
        let window = try OpenEXR.read(path: path("window.exr"))
        XCTAssertEqual(window.dataWindow, OpenEXR.Window(minX: 10, minY: 5, maxX: 29, maxY: 14))
        XCTAssertEqual(window.displayWindow, OpenEXR.Window(minX: 0, minY: 0, maxX: 79, maxY: 59))
        XCTAssertEqual([window.image.width, window.image.height], [80, 60])
        XCTAssertEqual(window.image[x: 10, y: 5, c: 2], 2.0)
        XCTAssertEqual(window.image[x: 29, y: 14, c: 3], 1.0)
        XCTAssertEqual(window.image[x: 9, y: 5, c: 3], 0.0, "outside the data window")
        XCTAssertEqual(window.image[x: 30, y: 14, c: 0], 0.0)

        // A named layer.
        _ = try tool("oiiotool", ["--pattern", "constant:color=0.1,0.2,0.3", "8x8", "3", "--chnames", "diffuse.R,diffuse.G,diffuse.B",
                                  "-d", "float", "-o", path("layer.exr")])
        let layer = try OpenEXR.read(path: path("layer.exr"), layer: "diffuse")
        XCTAssertEqual(Array(layer.image.pixels.prefix(3)), [0.1, 0.2, 0.3])
        XCTAssertThrowsError(try OpenEXR.read(path: path("layer.exr"))) { error in
            XCTAssertTrue("\(error)".contains("diffuse.R"), "the error lists the channels there are: \(error)")
        }
    }

    func testBadFilesGetClearErrorsAndNothingCrashes() throws {
        let bytes = try OpenEXR.encode(plate(width: 64, height: 64), half: false, compression: .zip)
        XCTAssertThrowsError(try OpenEXR.decode(bytes: Array(bytes.prefix(bytes.count / 2)), name: "cut.exr")) { error in
            guard case ImageIOError.truncated(let path)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "cut.exr")
        }
        var damaged = bytes
        for i in stride(from: bytes.count / 2, to: bytes.count, by: 7) { damaged[i] ^= 0x5A }
        XCTAssertThrowsError(try OpenEXR.decode(bytes: damaged, name: "damaged.exr"))
        XCTAssertThrowsError(try OpenEXR.decode(bytes: Array("not an exr at all".utf8), name: "text.exr")) { error in
            XCTAssertTrue("\(error)".contains("text.exr"), "\(error)")
        }
        XCTAssertThrowsError(try OpenEXR.decode(bytes: bytes, name: "big.exr", limits: ImageLimits(maxPixels: 1000, maxFileBytes: 1 << 30))) { error in
            guard case ImageIOError.tooLarge(_, let width, let height, _)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertEqual([width, height], [64, 64], "refused from the header, before the pixels")
        }
        var broken = plate(width: 4, height: 4)
        broken[x: 1, y: 2, c: 0] = .nan
        XCTAssertThrowsError(try OpenEXR.encode(broken, name: "nan.exr")) { error in
            XCTAssertTrue("\(error)".contains("pixel (1, 2)"), "\(error)")
        }
    }
}
