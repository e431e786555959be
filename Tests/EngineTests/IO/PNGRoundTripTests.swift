import Foundation
import XCTest
@testable import Engine

/// Writing PNGs from known samples and reading them back must give exactly the same samples.
final class PNGRoundTripTests: XCTestCase {
    func testEightBitRoundTripsExactlyForAllChannelLayouts() throws {
        let dir = try makeTemporaryDirectory(self)
        for channels in 1...4 {
            let image = randomImage(width: 13, height: 7, channels: channels, bitDepth: 8, seed: UInt64(channels))
            let path = "\(dir)/rt8_\(channels).png"
            try ImageWriter.writePNG(image, to: path, bitDepth: 8)
            let back = try ImageReader.read(path: path)
            XCTAssertEqual(back.channels, channels)
            XCTAssertEqual(back.bitDepth, 8)
            XCTAssertEqual(back, image, "8-bit, \(channels) channels")
        }
    }

    func testSixteenBitRoundTripsExactlyForAllChannelLayouts() throws {
        let dir = try makeTemporaryDirectory(self)
        for channels in 1...4 {
            let image = randomImage(width: 9, height: 11, channels: channels, bitDepth: 16, seed: UInt64(10 + channels))
            let path = "\(dir)/rt16_\(channels).png"
            try ImageWriter.writePNG(image, to: path, bitDepth: 16)
            let back = try ImageReader.read(path: path)
            XCTAssertEqual(back.bitDepth, 16)
            XCTAssertEqual(back, image, "16-bit, \(channels) channels")
        }
    }

    func testKnownSamplesSurviveByteExactly() throws {
        // Extremes and a few exact values, including 16-bit ones that need all 16 bits.
        let pixels: [Float] = [0, 1, 128.0 / 255, 1.0 / 255, 254.0 / 255, 0.2]
        let image = Image(width: 2, height: 1, channels: 3, pixels: pixels)
        let back8 = try ImageReader.decode(ImageWriter.encodePNG(image, bitDepth: 8))
        XCTAssertEqual(back8.pixels.map { Int(($0 * 255).rounded()) }, [0, 255, 128, 1, 254, 51])
        let back16 = try ImageReader.decode(ImageWriter.encodePNG(image, bitDepth: 16))
        XCTAssertEqual(back16.pixels.map { Int(($0 * 65535).rounded()) }, [0, 65535, 32896, 257, 65278, 13107])
        XCTAssertEqual(back16.pixels[0], 0)
        XCTAssertEqual(back16.pixels[1], 1)
    }

    func testEightBitImageWrittenAtSixteenBitsKeepsItsValues() throws {
        // k/255 = 257k/65535 exactly, so the 16-bit file holds the same values.
        let image = randomImage(width: 5, height: 5, channels: 3, bitDepth: 8, seed: 99)
        let back = try ImageReader.decode(ImageWriter.encodePNG(image, bitDepth: 16))
        XCTAssertEqual(back.pixels, image.pixels)
    }

    func testQuantizationRoundsToNearestAndClamps() throws {
        XCTAssertEqual(SampleQuantization.toUInt8(0.5), 128) // 127.5: ties away from zero
        XCTAssertEqual(SampleQuantization.toUInt8(0.4 / 255), 0)
        XCTAssertEqual(SampleQuantization.toUInt8(0.6 / 255), 1)
        XCTAssertEqual(SampleQuantization.toUInt8(-3), 0)
        XCTAssertEqual(SampleQuantization.toUInt8(7), 255)
        XCTAssertEqual(SampleQuantization.toUInt8(.nan), 0)
        XCTAssertEqual(SampleQuantization.toUInt8(.infinity), 255)
        XCTAssertEqual(SampleQuantization.toUInt16(0.5), 32768)
        XCTAssertEqual(SampleQuantization.toUInt16(.nan), 0)
        for k in 0..<256 { XCTAssertEqual(SampleQuantization.toUInt8(Float(k) / 255), UInt8(k)) }
        for k in stride(from: 0, to: 65536, by: 1) where k % 97 == 0 || k > 65500 {
            XCTAssertEqual(SampleQuantization.toUInt16(Float(k) / 65535), UInt16(k))
        }
        // Out-of-range and in-between values survive a write as their rounded, clamped value.
        let image = Image(width: 4, height: 1, channels: 1, pixels: [-0.5, 1.5, 0.5, 100.4 / 255])
        let back = try ImageReader.decode(ImageWriter.encodePNG(image))
        XCTAssertEqual(back.pixels, [0, 1, 128.0 / 255, 100.0 / 255])
    }

    func testEncodingIsDeterministic() throws {
        let image = randomImage(width: 31, height: 17, channels: 4, seed: 5)
        XCTAssertEqual(try ImageWriter.encodePNG(image), try ImageWriter.encodePNG(image))
        XCTAssertEqual(try ImageWriter.encodePNG(image, bitDepth: 16), try ImageWriter.encodePNG(image, bitDepth: 16))
    }
}
