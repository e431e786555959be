import XCTest
@testable import Engine

/// The seam ratio and the mean absolute difference (issue 7) on synthetic frames.
final class SeamMeasureTests: XCTestCase {
    private func image(_ w: Int, _ h: Int, channels: Int = 3, _ value: (Int, Int, Int) -> Float) -> Image {
        var pixels: [Float] = []
        pixels.reserveCapacity(w * h * channels)
        for y in 0 ..< h { for x in 0 ..< w { for c in 0 ..< channels { pixels.append(value(x, y, c)) } } }
        return Image(width: w, height: h, channels: channels, pixels: pixels)
    }

    private let lines = [64, 128, 192]

    func testSmoothFramesHaveARatioOfAboutOne() throws {
        // A linear ramp: every neighbour difference is the same.
        let ramp = image(256, 256) { x, y, c in Float(x + y + c) / 1024 }
        let r = try SeamMeasure.seamRatio(ramp, columns: lines, rows: lines)
        XCTAssertEqual(r.ratio, 1, accuracy: 1e-3)
        XCTAssertEqual(r.seamSamples, 2 * 3 * 256 * 3)
        XCTAssertEqual(r.interiorSamples, (255 * 256 * 2) * 3 - r.seamSamples)
        // White noise: the boundary lines are a sample of the same statistics.
        var random = SeededRandom(seed: 1)
        let noise = image(256, 256) { _, _, _ in random.nextUnitFloat() }
        XCTAssertEqual(try SeamMeasure.seamRatio(noise, columns: lines, rows: lines).ratio, 1, accuracy: 0.1)
        // Flat: no energy anywhere counts as no seam.
        XCTAssertEqual(try SeamMeasure.seamRatio(Image(width: 40, height: 30, channels: 1, repeating: 0.3), columns: [16], rows: []).ratio, 1)
    }

    func testAStepAlongATileBoundaryStandsOut() throws {
        let smooth = image(256, 256) { x, y, c in Float(x + y + c) / 1024 }
        let stepped = image(256, 256) { x, y, c in Float(x + y + c) / 1024 + (x >= 128 ? 0.2 : 0) }
        let r = try SeamMeasure.seamRatio(stepped, columns: lines, rows: lines)
        XCTAssertGreaterThan(r.ratio, 100, "\(r)")
        // Off the boundary lines the same step is interior energy: the ratio drops below 1.
        let offLine = try SeamMeasure.seamRatio(stepped, columns: [64, 100, 192], rows: lines)
        XCTAssertLessThan(offLine.ratio, 1, "\(offLine)")
        XCTAssertEqual(try SeamMeasure.seamRatio(smooth, columns: lines, rows: lines).ratio, 1, accuracy: 1e-3)
        // A step on a flat image: infinite.
        let flatStep = image(32, 8, channels: 1) { x, _, _ in x >= 16 ? 1 : 0 }
        XCTAssertEqual(try SeamMeasure.seamRatio(flatStep, columns: [16], rows: []).ratio, .infinity)
        // Alpha does not count.
        let alphaStep = image(32, 8, channels: 2) { x, _, c in c == 1 && x >= 16 ? 1 : 0.5 }
        XCTAssertEqual(try SeamMeasure.seamRatio(alphaStep, columns: [16], rows: []).ratio, 1)
    }

    /// Tiles that disagree (each a crop of a smooth frame plus its own offset, as if each had drifted to
    /// another shade of the style): cut at the core boundaries they leave steps; blended over a 16 px
    /// halo they leave a ratio several times smaller.
    func testBlendingSoftensSeamsBetweenDisagreeingTiles() throws {
        let frame = image(128, 96) { x, y, c in 0.3 + Float(x) / 512 + Float(y) / 768 + Float(c) / 20 }
        func render(halo: Int) throws -> (Image, TileLayout) {
            let layout = try TileBlendingTests.grid(width: 128, height: 96, core: 32, halo: halo)
            let tiles = try TileBlendingTests.crops(frame, layout).enumerated().map { k, tile in
                Image(width: tile.width, height: tile.height, channels: 3, pixels: tile.pixels.map { $0 + Float(k % 3) * 0.05 })
            }
            return (try TileBlending.assemble(layout: layout, images: tiles), layout)
        }
        let (hard, hardLayout) = try render(halo: 0)
        let (soft, softLayout) = try render(halo: 16)
        let hardRatio = try SeamMeasure.seamRatio(hard, layout: hardLayout).ratio
        let softRatio = try SeamMeasure.seamRatio(soft, layout: softLayout).ratio
        XCTAssertEqual(try SeamMeasure.seamRatio(frame, layout: softLayout).ratio, 1, accuracy: 0.05)
        XCTAssertGreaterThan(hardRatio, 20)
        XCTAssertLessThan(softRatio, hardRatio / 5, "hard \(hardRatio), blended \(softRatio)")
        XCTAssertGreaterThan(try SeamMeasure.meanAbsoluteDifference(soft, frame), 0)
    }

    func testMeanAbsoluteDifference() throws {
        var random = SeededRandom(seed: 2)
        let a = image(17, 9, channels: 4) { _, _, _ in random.nextUnitFloat() * 0.8 }
        let b = Image(width: 17, height: 9, channels: 4, pixels: a.pixels.enumerated().map { $0.offset % 2 == 0 ? $0.element + 0.1 : $0.element - 0.1 })
        XCTAssertEqual(try SeamMeasure.meanAbsoluteDifference(a, a), 0)
        XCTAssertEqual(try SeamMeasure.meanAbsoluteDifference(a, b), 0.1, accuracy: 1e-6)
        XCTAssertThrowsError(try SeamMeasure.meanAbsoluteDifference(a, Image(width: 17, height: 9, channels: 3))) {
            XCTAssertEqual($0 as? ImagingError, .sizeMismatch(expected: "17x9x4", actual: "17x9x3"))
        }
    }

    func testBadBoundariesAreRefused() throws {
        let img = Image(width: 32, height: 16, channels: 3, repeating: 0.5)
        XCTAssertThrowsError(try SeamMeasure.seamRatio(img, columns: [], rows: [])) {
            XCTAssertTrue("\($0)".contains("single-tile"), "\($0)")
        }
        XCTAssertThrowsError(try SeamMeasure.seamRatio(img, columns: [32], rows: [])) {
            XCTAssertTrue("\($0)".contains("column 32"), "\($0)")
        }
        XCTAssertThrowsError(try SeamMeasure.seamRatio(img, columns: [], rows: [0]))
        let layout = try TileBlendingTests.grid(width: 64, height: 16, core: 16, halo: 0)
        XCTAssertThrowsError(try SeamMeasure.seamRatio(img, layout: layout)) {
            XCTAssertEqual($0 as? ImagingError, .sizeMismatch(expected: "64x16", actual: "32x16"))
        }
    }
}
