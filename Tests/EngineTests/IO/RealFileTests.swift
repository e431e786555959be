import Foundation
import XCTest
@testable import Engine
import TestSupport

/// Real files from the shared test data (skipped when the folder is absent).
///
/// How the expected numbers were obtained, independently of this code base:
/// * PNG: a 40-line Python script that parses the chunks, inflates the IDAT stream with `zlib` and undoes
///   the scanline filters with numpy (`file` confirms the header: 512x600 8-bit RGB non-interlaced).
/// * JPEG: a small C program that decodes with plain libjpeg defaults (`jpeg_stdio_src`, no options
///   changed), i.e. what `djpeg` prints; it does not use the StyleFarm shim.
/// Sums are over all 8-bit samples of the image.
final class RealFileTests: XCTestCase {
    private func sample8(_ image: Image, _ x: Int, _ y: Int) -> [Int] {
        (0..<image.channels).map { Int((image[x: x, y: y, c: $0] * 255).rounded()) }
    }

    private func sum8(_ image: Image) -> Int { image.pixels.reduce(0) { $0 + Int(($1 * 255).rounded()) } }

    func testGraceHopperPNG() throws {
        let image = try ImageReader.read(path: SharedTestData.path("images/grace_hopper.png"))
        XCTAssertEqual(image.width, 512)
        XCTAssertEqual(image.height, 600)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.bitDepth, 8)
        XCTAssertEqual(sample8(image, 0, 0), [21, 26, 82])
        XCTAssertEqual(sample8(image, 511, 0), [72, 110, 185])
        XCTAssertEqual(sample8(image, 0, 599), [150, 3, 11])
        XCTAssertEqual(sample8(image, 511, 599), [13, 12, 18])
        XCTAssertEqual(sample8(image, 256, 300), [223, 134, 99])
        XCTAssertEqual(sample8(image, 100, 200), [157, 125, 100])
        XCTAssertEqual(sum8(image), 74_151_718)
        // Decoded values are exact multiples of 1/255.
        XCTAssertEqual(image.pixels[0], 21.0 / 255)
    }

    func testFaceJPEG() throws {
        let image = try ImageReader.read(path: SharedTestData.path("images/face.jpg"))
        XCTAssertEqual(image.width, 512)
        XCTAssertEqual(image.height, 355)
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.bitDepth, 8)
        XCTAssertEqual(sample8(image, 0, 0), [4, 4, 4])
        XCTAssertEqual(sample8(image, 511, 0), [62, 11, 0])
        XCTAssertEqual(sample8(image, 0, 354), [70, 57, 41])
        XCTAssertEqual(sample8(image, 511, 354), [195, 198, 203])
        XCTAssertEqual(sample8(image, 256, 177), [220, 194, 157])
        XCTAssertEqual(sample8(image, 100, 200), [9, 9, 7])
        XCTAssertEqual(sum8(image), 52_172_957)
    }

    func testSingleChannelMaskPNG() throws {
        // Oxford-Pet trimap: 0 pet, 1 background, 2 border. Histogram 7708 / 6716 / 1960 (Python script).
        let image = try ImageReader.read(path: SharedTestData.path("masks/dog_segmentation_mask.png"))
        XCTAssertEqual(image.width, 128)
        XCTAssertEqual(image.height, 128)
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(sample8(image, 0, 0), [1])
        XCTAssertEqual(sample8(image, 64, 64), [0])
        var histogram = [Int: Int]()
        for v in image.pixels { histogram[Int((v * 255).rounded()), default: 0] += 1 }
        XCTAssertEqual(histogram, [0: 7708, 1: 6716, 2: 1960])
    }

    func testProgressiveJPEGDecodes() throws {
        // `file` reports great_wave_off_kanagawa.jpg as progressive, 928x514, 3 components.
        let image = try ImageReader.read(path: SharedTestData.path("styles/great_wave_off_kanagawa.jpg"))
        XCTAssertEqual(image.width, 928)
        XCTAssertEqual(image.height, 514)
        XCTAssertEqual(image.channels, 3)
    }

    func testRealPNGRoundTripsThroughWriter() throws {
        let image = try ImageReader.read(path: SharedTestData.path("images/grace_hopper.png"))
        let back = try ImageReader.decode(ImageWriter.encodePNG(image))
        XCTAssertEqual(back, image)
    }
}
