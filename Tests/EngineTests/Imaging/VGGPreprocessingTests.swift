import XCTest
@testable import Engine

final class VGGPreprocessingTests: XCTestCase {
    func testKnownPixelIsBGRMinusMean() {
        // One pixel R = 1, G = 0.5, B = 0 plus a second one to check plane layout.
        let image = Image(width: 2, height: 1, channels: 3, pixels: [1, 0.5, 0, 0.2, 0.4, 0.6])
        let t = VGGPreprocessing.tensor(from: image)
        XCTAssertEqual(t.channels, 3)
        XCTAssertEqual(t.height, 1)
        XCTAssertEqual(t.width, 2)
        XCTAssertEqual(t[0, 0, 0], 0 - 103.939, accuracy: 1e-4)      // B
        XCTAssertEqual(t[1, 0, 0], 127.5 - 116.779, accuracy: 1e-4)  // G
        XCTAssertEqual(t[2, 0, 0], 255 - 123.68, accuracy: 1e-4)     // R
        XCTAssertEqual(t.data[1], 0.6 * 255 - 103.939, accuracy: 1e-4) // B of pixel 1 at (c*H + y)*W + x
        XCTAssertEqual(t.data[3], 0.4 * 255 - 116.779, accuracy: 1e-4)
        XCTAssertEqual(t.data[5], 0.2 * 255 - 123.68, accuracy: 1e-4)
        XCTAssertEqual(VGGPreprocessing.meanBGR, [103.939, 116.779, 123.68])
    }

    func testRoundTripWithinOneLevel() throws {
        let image = randomImage(width: 17, height: 9, channels: 3, seed: 11)
        let back = try VGGPreprocessing.image(from: VGGPreprocessing.tensor(from: image))
        XCTAssertEqual(back.width, 17)
        XCTAssertEqual(back.height, 9)
        XCTAssertEqual(back.channels, 3)
        for (a, b) in zip(image.pixels, back.pixels) { XCTAssertEqual(a, b, accuracy: 1.0 / 255) }
        // In fact it is exact after 8-bit quantisation.
        XCTAssertEqual(back.pixels.map(SampleQuantization.toUInt8), image.pixels.map(SampleQuantization.toUInt8))
    }

    func testGrayIsReplicatedAndAlphaDropped() {
        let gray = Image(width: 1, height: 1, channels: 2, pixels: [0.5, 0.1])
        let t = VGGPreprocessing.tensor(from: gray)
        XCTAssertEqual(t.channels, 3)
        for (value, mean) in zip(t.data, VGGPreprocessing.meanBGR) { XCTAssertEqual(value, 127.5 - mean, accuracy: 1e-4) }
    }

    func testBackConversionClampsAndRejectsWrongChannelCount() throws {
        let t = Tensor(channels: 3, height: 1, width: 2, data: [500, -500, 0, .nan, -1000, 1000])
        let image = try VGGPreprocessing.image(from: t)
        // Planes: B = [500, -500], G = [0, NaN], R = [-1000, 1000].
        // Pixel 0: R = 0 (clamped), G = 116.779/255, B = 1 (clamped). Pixel 1: R = 1, G = 0 (NaN), B = 0.
        XCTAssertEqual(image.pixels[0], 0)
        XCTAssertEqual(image.pixels[1], 116.779 / 255, accuracy: 1e-6)
        XCTAssertEqual(image.pixels[2], 1)
        XCTAssertEqual(image.pixels[3], 1)
        XCTAssertEqual(image.pixels[4], 0)
        XCTAssertEqual(image.pixels[5], 0)
        XCTAssertThrowsError(try VGGPreprocessing.image(from: Tensor(channels: 4, height: 1, width: 1)))
    }
}
