import XCTest
@testable import Engine

final class ResizeTests: XCTestCase {
    private func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) where abs(x - y) > tolerance {
            XCTFail("\(a) != \(b)", file: file, line: line)
            return
        }
    }

    func testConstantImagesStayConstant() throws {
        let image = Image(width: 7, height: 5, channels: 3, repeating: 0.3)
        for (w, h) in [(3, 2), (11, 9), (7, 2), (2, 13), (1, 1), (7, 5), (50, 3)] {
            let out = try image.resized(width: w, height: h)
            XCTAssertEqual(out.width, w)
            XCTAssertEqual(out.height, h)
            XCTAssertEqual(out.channels, 3)
            assertClose(out.pixels, [Float](repeating: 0.3, count: w * h * 3))
        }
    }

    func testCheckerboardDownscaleIsTheMean() throws {
        let checker = Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 1, 0])
        XCTAssertEqual(try checker.resized(width: 1, height: 1).pixels, [0.5])
        // 4x4 of 2x2 blocks → each output is its block's mean.
        let image = Image(width: 4, height: 4, channels: 1, pixels: [
            0, 1, 0.2, 0.2,
            1, 0, 0.2, 0.6,
            0.5, 0.5, 1, 1,
            0.5, 0.5, 1, 0,
        ])
        assertClose(try image.resized(width: 2, height: 2).pixels, [0.5, 0.3, 0.5, 0.75])
    }

    func testNonIntegerAreaAverage() throws {
        // 3 → 2: output 0 covers source [0, 1.5), output 1 covers [1.5, 3).
        let image = Image(width: 3, height: 1, channels: 1, pixels: [0, 0.3, 0.9])
        assertClose(try image.resized(width: 2, height: 1).pixels, [(0 + 0.3 * 0.5) / 1.5, (0.3 * 0.5 + 0.9) / 1.5])
    }

    func testDownscaleAntialiasesFinePattern() throws {
        // Alternating columns 0/1 shrunk by 3 (odd ratio: no aliasing-friendly alignment) stay near 0.5.
        let pixels = (0..<(30 * 4)).map { Float(($0 % 30) % 2) }
        let out = try Image(width: 30, height: 4, channels: 1, pixels: pixels).resized(width: 10, height: 4)
        for v in out.pixels { XCTAssertEqual(v, 0.5, accuracy: 0.17) } // each output averages 3 columns
        let mean = out.pixels.reduce(0, +) / Float(out.pixels.count)
        XCTAssertEqual(mean, 0.5, accuracy: 1e-5)
    }

    func testBilinearUpscaleValues() throws {
        // Half-pixel centres: sources at -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
        let image = Image(width: 2, height: 1, channels: 1, pixels: [0, 1])
        assertClose(try image.resized(width: 4, height: 1).pixels, [0, 0.25, 0.75, 1])
        // 2x2 → 4x4 is separable: row 1 of output is 0.75 * row 0 + 0.25 * row 1 of input (after the columns).
        let square = Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 1, 0])
        let up = try square.resized(width: 4, height: 4)
        assertClose(Array(up.pixels[0..<4]), [0, 0.25, 0.75, 1])
        assertClose(Array(up.pixels[4..<8]), [0.25, 0.375, 0.625, 0.75])
        // 2 → 3: sources at -1/6 (→0), 0.5, 7/6 (→1).
        assertClose(try image.resized(width: 3, height: 1).pixels, [0, 0.5, 1])
    }

    func testMixedAxesAndChannels() throws {
        // Shrink x (area) and grow y (bilinear) at once, RGB channels kept apart.
        let image = Image(width: 2, height: 1, channels: 3, pixels: [1, 0, 0.2, 0, 1, 0.4])
        let out = try image.resized(width: 1, height: 3)
        assertClose(out.pixels, [0.5, 0.5, 0.3, 0.5, 0.5, 0.3, 0.5, 0.5, 0.3])
    }

    func testAlphaDoesNotBleedTransparentColour() throws {
        // Opaque red next to fully transparent green: the average is red at half opacity.
        let image = Image(width: 2, height: 1, channels: 4, pixels: [1, 0, 0, 1, 0, 1, 0, 0])
        assertClose(try image.resized(width: 1, height: 1).pixels, [1, 0, 0, 0.5])
        // Fully transparent stays transparent with colour 0.
        let clear = Image(width: 2, height: 2, channels: 2, pixels: [0.7, 0, 0.7, 0, 0.7, 0, 0.7, 0])
        assertClose(try clear.resized(width: 1, height: 1).pixels, [0, 0])
    }

    func testInvalidSizesThrow() {
        let image = Image(width: 2, height: 2, channels: 1, repeating: 0)
        XCTAssertThrowsError(try image.resized(width: 0, height: 2)) { error in
            XCTAssertEqual(error as? ImagingError, .invalidSize(width: 0, height: 2))
        }
        XCTAssertThrowsError(try image.resized(width: 3, height: -1))
        XCTAssertThrowsError(try Image(width: 0, height: 0, channels: 1).resized(width: 2, height: 2))
        XCTAssertThrowsError(try image.resized(longerSide: 0))
        XCTAssertThrowsError(try Resampler.resample([1, 2, 3], width: 2, height: 2, channels: 1, toWidth: 1, toHeight: 1))
    }

    func testLongerSide() throws {
        XCTAssertTrue(try Image.size(scaling: 512, 600, toLongerSide: 300) == (256, 300))
        XCTAssertTrue(try Image.size(scaling: 600, 512, toLongerSide: 300) == (300, 256))
        XCTAssertTrue(try Image.size(scaling: 854, 480, toLongerSide: 512) == (512, 288))
        XCTAssertTrue(try Image.size(scaling: 10, 1, toLongerSide: 3) == (3, 1))
        XCTAssertTrue(try Image.size(scaling: 100, 100, toLongerSide: 1000) == (1000, 1000))
        let image = Image(width: 8, height: 4, channels: 3, repeating: 0.25)
        let out = try image.resized(longerSide: 4)
        XCTAssertEqual(out.width, 4)
        XCTAssertEqual(out.height, 2)
        assertClose(out.pixels, [Float](repeating: 0.25, count: 4 * 2 * 3))
    }
}
