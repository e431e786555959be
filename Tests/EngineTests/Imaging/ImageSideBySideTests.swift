import Engine
import XCTest

final class ImageSideBySideTests: XCTestCase {
    func testImagesArePlacedLeftAndRightOfTheGap() throws {
        var left = Image(width: 3, height: 2, channels: 3)
        for y in 0..<2 { for x in 0..<3 { for c in 0..<3 { left[x: x, y: y, c: c] = Float(y * 3 + x) / 10 + Float(c) / 100 } } }
        let right = Image(width: 2, height: 2, channels: 1, repeating: 0.9)
        let pair = try Image.sideBySide(left, right, gap: 4, gapValue: 0.2)
        XCTAssertEqual([pair.width, pair.height, pair.channels], [3 + 4 + 2, 2, 3])
        for y in 0..<2 {
            for x in 0..<3 { for c in 0..<3 { XCTAssertEqual(pair[x: x, y: y, c: c], left[x: x, y: y, c: c], "left (\(x), \(y))") } }
            for x in 3..<7 { for c in 0..<3 { XCTAssertEqual(pair[x: x, y: y, c: c], 0.2, "gap (\(x), \(y))") } }
            for x in 7..<9 { for c in 0..<3 { XCTAssertEqual(pair[x: x, y: y, c: c], 0.9, "right, gray made RGB (\(x), \(y))") } }
        }
        let noGap = try Image.sideBySide(right, Image(width: 1, height: 2, channels: 4, repeating: 0.5), gap: 0)
        XCTAssertEqual([noGap.width, noGap.channels], [3, 3], "alpha is dropped")
        XCTAssertEqual(noGap[x: 2, y: 1, c: 2], 0.5)
    }

    func testDifferentHeightsAndNegativeGapsAreRejected() {
        let a = Image(width: 2, height: 2, channels: 3), b = Image(width: 2, height: 3, channels: 3)
        XCTAssertThrowsError(try Image.sideBySide(a, b)) {
            guard case .sizeMismatch = $0 as? ImagingError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Image.sideBySide(a, a, gap: -1)) {
            guard case .invalidLayout = $0 as? ImagingError else { return XCTFail("\($0)") }
        }
    }
}
