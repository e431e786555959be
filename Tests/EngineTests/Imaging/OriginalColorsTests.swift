import XCTest
@testable import Engine

final class OriginalColorsTests: XCTestCase {
    private func ycc(_ image: Image, _ p: Int) -> (y: Float, cb: Float, cr: Float) {
        YCbCr.ycbcr(r: image.pixels[3 * p], g: image.pixels[3 * p + 1], b: image.pixels[3 * p + 2])
    }

    func testLuminanceFromStylizedChromaFromContent() throws {
        // Mid-range colours so that the recombined colour stays in gamut (no clamping).
        var rng = SeededGenerator(seed: 21)
        func mid() -> Float { Float.random(in: 0.4...0.6, using: &rng) }
        let stylized = Image(width: 8, height: 6, channels: 3, pixels: (0..<144).map { _ in mid() })
        let content = Image(width: 8, height: 6, channels: 3, pixels: (0..<144).map { _ in mid() })
        let out = try OriginalColors.transfer(stylized: stylized, content: content)
        XCTAssertEqual(out.channels, 3)
        for p in 0..<48 {
            let o = ycc(out, p), s = ycc(stylized, p), c = ycc(content, p)
            XCTAssertEqual(o.y, s.y, accuracy: 1e-5)
            XCTAssertEqual(o.cb, c.cb, accuracy: 1e-5)
            XCTAssertEqual(o.cr, c.cr, accuracy: 1e-5)
        }
    }

    func testKnownValues() throws {
        // Gray stylized pixel (Y = 0.5) with pure-ish red content: R = 0.5 + 1.402 Cr etc.
        let stylized = Image(width: 1, height: 1, channels: 1, pixels: [0.5])
        let content = Image(width: 1, height: 1, channels: 3, pixels: [0.6, 0.4, 0.4])
        let c = YCbCr.ycbcr(r: 0.6, g: 0.4, b: 0.4) // Cb = -0.0337472, Cr = 0.1
        XCTAssertEqual(c.cr, 0.1, accuracy: 1e-6)
        let out = try OriginalColors.transfer(stylized: stylized, content: content)
        XCTAssertEqual(out.pixels[0], 0.5 + 1.402 * 0.1, accuracy: 1e-5)
        XCTAssertEqual(out.pixels[1], 0.5 - 0.344136 * c.cb - 0.714136 * 0.1, accuracy: 1e-5)
        XCTAssertEqual(out.pixels[2], 0.5 + 1.772 * c.cb, accuracy: 1e-5)
    }

    func testSameImageIsUnchangedAndYCbCrInverts() throws {
        let image = randomImage(width: 5, height: 4, channels: 3, seed: 2)
        let out = try OriginalColors.transfer(stylized: image, content: image)
        for (a, b) in zip(out.pixels, image.pixels) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testOutOfGamutIsClampedAndSizeMismatchThrows() throws {
        let out = try OriginalColors.transfer(stylized: Image(width: 1, height: 1, channels: 3, pixels: [1, 1, 1]),
                                              content: Image(width: 1, height: 1, channels: 3, pixels: [0, 0, 1]))
        XCTAssertTrue(out.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertThrowsError(try OriginalColors.transfer(stylized: Image(width: 2, height: 1, channels: 3),
                                                         content: Image(width: 1, height: 2, channels: 3)))
    }
}
