import XCTest
@testable import Engine

final class ImageChannelTests: XCTestCase {
    func testDropAndExtractAlpha() {
        let rgba = Image(width: 2, height: 1, channels: 4, pixels: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
        XCTAssertTrue(rgba.hasAlpha)
        XCTAssertEqual(rgba.colorChannels, 3)
        XCTAssertEqual(rgba.droppingAlpha().pixels, [0.1, 0.2, 0.3, 0.5, 0.6, 0.7])
        XCTAssertEqual(rgba.alphaChannel()?.pixels, [0.4, 0.8])
        let rgb = rgba.droppingAlpha()
        XCTAssertNil(rgb.alphaChannel())
        XCTAssertEqual(rgb.droppingAlpha(), rgb)
        XCTAssertEqual(rgb.attachingAlpha(rgba.alphaChannel()!), rgba)
        XCTAssertNil(rgb.attachingAlpha(Image(width: 1, height: 1, channels: 1)))
    }

    func testGrayToRGBReplicates() {
        let ga = Image(width: 2, height: 1, channels: 2, pixels: [0.25, 1, 0.75, 0.5])
        XCTAssertEqual(ga.toRGB().pixels, [0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
        XCTAssertEqual(ga.toRGBA().pixels, [0.25, 0.25, 0.25, 1, 0.75, 0.75, 0.75, 0.5])
        let gray = Image(width: 1, height: 1, channels: 1, pixels: [0.3])
        XCTAssertEqual(gray.toRGB().pixels, [0.3, 0.3, 0.3])
        XCTAssertEqual(gray.toRGBA().pixels, [0.3, 0.3, 0.3, 1])
        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [0.1, 0.2, 0.3])
        XCTAssertEqual(rgb.toRGB(), rgb)
        XCTAssertEqual(rgb.toRGBA().pixels, [0.1, 0.2, 0.3, 1])
    }

    func testSubscriptIndexing() {
        var image = Image(width: 3, height: 2, channels: 3)
        image[x: 2, y: 1, c: 1] = 0.5
        XCTAssertEqual(image.pixels[(1 * 3 + 2) * 3 + 1], 0.5)
    }

    func testFormatDetection() {
        XCTAssertEqual(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
        XCTAssertEqual(ImageFormat.detect(pngSignature), .png)
        XCTAssertEqual(ImageFormat.detect(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)), .webp)
        XCTAssertEqual(ImageFormat.detect(Array("MM\0*".utf8)), .tiff)
        XCTAssertNil(ImageFormat.detect([0x00, 0x01]))
        XCTAssertNil(ImageFormat.detect([UInt8]()))
    }
}
