import XCTest
@testable import Engine

/// `TemporalTargets.cropped`: what a tile's run sees of the temporal terms is the crop of what the whole
/// frame's run sees at the tile's scale.
final class TemporalTargetsTileTests: XCTestCase {
    private func image(_ width: Int, _ height: Int, seed: Int) -> Image {
        var pixels = [Float](repeating: 0, count: width * height * 3)
        for i in pixels.indices { pixels[i] = Float((i * 37 + seed * 101) % 251) / 250 }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    func testATilesTermsAreTheCropOfTheWholeFramesTermsAtItsScale() throws {
        // Targets made at the output size (90×60); the tile's scale is 60×40 (a coarser scale) and 90×60.
        let certainty = (0..<(90 * 60)).map { Float(($0 * 13) % 17) / 16 }
        let temporal = TemporalTargets(targets: [.init(warped: image(90, 60, seed: 1), certainty: certainty),
                                                 .init(warped: image(90, 60, seed: 2), certainty: certainty.reversed())],
                                       weight: 3, initializeFromWarped: true, initialImage: image(90, 60, seed: 3))
        for (fw, fh, rect) in [(60, 40, PixelRect(x: 16, y: 8, width: 32, height: 24)), (90, 60, PixelRect(x: 0, y: 12, width: 90, height: 48))] {
            let tile = try temporal.cropped(frameWidth: fw, frameHeight: fh, to: rect)
            XCTAssertEqual(tile.weight, 3)
            XCTAssertTrue(tile.initializeFromWarped)
            let whole = try StyleTransfer.temporalTerms(temporal, width: fw, height: fh)
            let cropped = try StyleTransfer.temporalTerms(tile, width: rect.width, height: rect.height)
            XCTAssertEqual(cropped.count, 2)
            for (w, c) in zip(whole, cropped) {
                for y in 0..<rect.height {
                    for x in 0..<rect.width {
                        let p = y * rect.width + x, q = (y + rect.y) * fw + x + rect.x
                        XCTAssertEqual(c.certainty[p], w.certainty[q])
                        for k in 0..<3 {
                            XCTAssertEqual(c.target.data[k * rect.width * rect.height + p], w.target.data[k * fw * fh + q])
                        }
                    }
                }
            }
            let start = try XCTUnwrap(tile.initialImage)
            let expected = try temporal.initialImage!.resized(width: fw, height: fh)
                .cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
            XCTAssertEqual(start.pixels, expected.pixels)
        }
        // A tile outside the scale's frame is refused.
        XCTAssertThrowsError(try temporal.cropped(frameWidth: 60, frameHeight: 40, to: PixelRect(x: 40, y: 0, width: 32, height: 8)))
    }
}
