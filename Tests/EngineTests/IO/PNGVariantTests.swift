import Foundation
import XCTest
@testable import Engine

/// The reader on PNG variants our writer never produces: palette (with and without tRNS), 1/2/4-bit gray,
/// Adam7 interlacing, 16-bit, tRNS colour keys. The files are built with `PNGEncoding` (libpng) from raw
/// rows in PNG layout, so the expected samples are known exactly.
final class PNGVariantTests: XCTestCase {
    private func encode(_ spec: PNGEncoding, _ rows: [UInt8]) throws -> [UInt8] {
        try spec.encode(rows: rows, name: "variant")
    }

    func testPaletteExpandsToRGB() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        var spec = PNGEncoding(width: 2, height: 2, colorType: .palette, bitDepth: 8)
        spec.palette = palette
        let image = try ImageReader.decode(bytes: encode(spec, [3, 0, 1, 2]))
        XCTAssertEqual(image.channels, 3)
        XCTAssertEqual(image.bitDepth, 8)
        let expected: [UInt8] = [10, 20, 30, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        XCTAssertEqual(image.pixels, expected.map { Float($0) / 255 })
    }

    func testPaletteWithTRNSGetsAlpha() throws {
        var spec = PNGEncoding(width: 3, height: 1, colorType: .palette, bitDepth: 8)
        spec.palette = [200, 100, 50, 1, 2, 3, 9, 9, 9]
        spec.paletteAlpha = [0, 128] // entry 2 has no tRNS entry: opaque
        let image = try ImageReader.decode(bytes: encode(spec, [0, 1, 2]))
        XCTAssertEqual(image.channels, 4)
        let expected: [UInt8] = [200, 100, 50, 0, 1, 2, 3, 128, 9, 9, 9, 255]
        XCTAssertEqual(image.pixels, expected.map { Float($0) / 255 })
    }

    func testSubBytePaletteIsUnpacked() throws {
        // 2-bit indices 3,2,1,0 packed into one byte: 0b11_10_01_00.
        var spec = PNGEncoding(width: 4, height: 1, colorType: .palette, bitDepth: 2)
        spec.palette = [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]
        let image = try ImageReader.decode(bytes: encode(spec, [0b1110_0100]))
        XCTAssertEqual(image.pixels, [255, 255, 255, 170, 170, 170, 85, 85, 85, 0, 0, 0].map { Float($0) / 255 })
    }

    func testOneBitGrayExpands() throws {
        let spec = PNGEncoding(width: 10, height: 1, colorType: .gray, bitDepth: 1)
        let image = try ImageReader.decode(bytes: encode(spec, [0b1011_0010, 0b0100_0000]))
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(image.bitDepth, 1)
        XCTAssertEqual(image.pixels, [1, 0, 1, 1, 0, 0, 1, 0, 0, 1])
    }

    func testTwoBitGrayExpands() throws {
        let spec = PNGEncoding(width: 4, height: 1, colorType: .gray, bitDepth: 2)
        let image = try ImageReader.decode(bytes: encode(spec, [0b0001_1011]))
        XCTAssertEqual(image.bitDepth, 2)
        XCTAssertEqual(image.pixels, [0, 85.0 / 255, 170.0 / 255, 1]) // k / 3
    }

    func testFourBitGrayExpands() throws {
        let spec = PNGEncoding(width: 16, height: 1, colorType: .gray, bitDepth: 4)
        let rows: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]
        let image = try ImageReader.decode(bytes: encode(spec, rows))
        XCTAssertEqual(image.bitDepth, 4)
        XCTAssertEqual(image.pixels, (0..<16).map { Float($0 * 17) / 255 }) // k / 15
    }

    func testGrayColorKeyBecomesAlpha() throws {
        var spec = PNGEncoding(width: 3, height: 1, colorType: .gray, bitDepth: 8)
        spec.transparentColor = (gray: 7, red: 0, green: 0, blue: 0)
        let image = try ImageReader.decode(bytes: encode(spec, [7, 8, 200]))
        XCTAssertEqual(image.channels, 2)
        XCTAssertEqual(image.pixels, [7.0 / 255, 0, 8.0 / 255, 1, 200.0 / 255, 1])
    }

    func testSixteenBitRGBColorKeyBecomesSixteenBitAlpha() throws {
        var spec = PNGEncoding(width: 2, height: 1, colorType: .rgb, bitDepth: 16)
        spec.transparentColor = (gray: 0, red: 0x0102, green: 0x0304, blue: 0x0506)
        let rows: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xFF, 0xFE, 0x00, 0x01, 0x80, 0x00]
        let image = try ImageReader.decode(bytes: encode(spec, rows))
        XCTAssertEqual(image.channels, 4)
        XCTAssertEqual(image.bitDepth, 16)
        let expected: [Int] = [0x0102, 0x0304, 0x0506, 0, 0xFFFE, 0x0001, 0x8000, 0xFFFF]
        XCTAssertEqual(image.pixels, expected.map { Float($0) / 65535 })
    }

    func testSixteenBitGrayIsBigEndianInTheFile() throws {
        let spec = PNGEncoding(width: 2, height: 1, colorType: .gray, bitDepth: 16)
        let image = try ImageReader.decode(bytes: encode(spec, [0x12, 0x34, 0xAB, 0xCD]))
        XCTAssertEqual(image.pixels, [Float(0x1234) / 65535, Float(0xABCD) / 65535])
    }

    func testInterlacedDecodesLikeNonInterlaced() throws {
        for (colorType, depth) in [(PNGEncoding.ColorType.rgb, 8), (.rgba, 16), (.gray, 1), (.grayAlpha, 8)] {
            var spec = PNGEncoding(width: 13, height: 11, colorType: colorType, bitDepth: depth)
            var rng = SeededGenerator(seed: UInt64(depth * 10 + Int(colorType.rawValue)))
            let rows = (0..<(spec.rowBytes * spec.height)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let plain = try ImageReader.decode(bytes: encode(spec, rows))
            spec.interlaced = true
            let interlacedBytes = try encode(spec, rows)
            XCTAssertEqual(interlacedBytes[8 + 8 + 12], 1, "IHDR interlace byte") // sig, length+type, 12 IHDR bytes
            let interlaced = try ImageReader.decode(bytes: interlacedBytes)
            XCTAssertEqual(interlaced, plain, "\(colorType) \(depth)-bit")
        }
    }
}
