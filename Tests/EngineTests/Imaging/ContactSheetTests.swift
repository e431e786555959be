import Engine
import XCTest

final class ContactSheetTests: XCTestCase {
    func testCropCopiesTheRectangleAndRejectsOneOutside() throws {
        var image = Image(width: 5, height: 4, channels: 3)
        for y in 0..<4 { for x in 0..<5 { for c in 0..<3 { image[x: x, y: y, c: c] = Float(y * 10 + x) / 100 + Float(c) } } }
        let crop = try image.cropped(x: 1, y: 2, width: 3, height: 2)
        XCTAssertEqual([crop.width, crop.height, crop.channels], [3, 2, 3])
        XCTAssertEqual(crop[x: 0, y: 0, c: 2], image[x: 1, y: 2, c: 2])
        XCTAssertEqual(crop[x: 2, y: 1, c: 0], image[x: 3, y: 3, c: 0])
        XCTAssertThrowsError(try image.cropped(x: 3, y: 0, width: 3, height: 1)) {
            guard case .outOfBounds(let m) = $0 as? ImagingError else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("5x4"), m)
        }
        XCTAssertThrowsError(try image.cropped(x: 0, y: 0, width: 0, height: 1))
    }

    func testFramesAreLaidOutInRowsOnTheBackground() throws {
        let red = Image(width: 4, height: 2, channels: 3, pixels: [Float](repeating: 0, count: 24).enumerated().map { $0.offset % 3 == 0 ? 1 : 0 })
        let gray = Image(width: 8, height: 4, channels: 1, repeating: 0.5)
        let sheet = try ContactSheet.compose([red, gray, red], columns: 2, cellWidth: 4, gap: 1, background: 0)
        // 2 columns × 4 px + 3 gaps; 2 rows × 2 px (the tallest cell) + 3 gaps.
        XCTAssertEqual([sheet.width, sheet.height, sheet.channels], [11, 7, 3])
        XCTAssertEqual([sheet[x: 1, y: 1, c: 0], sheet[x: 1, y: 1, c: 1]], [1, 0], "first frame at (gap, gap)")
        XCTAssertEqual(sheet[x: 6, y: 1, c: 1], 0.5, accuracy: 1e-6, "second frame, gray made RGB, in column 2")
        XCTAssertEqual(sheet[x: 1, y: 4, c: 0], 1, "third frame starts the second row")
        XCTAssertEqual(sheet[x: 0, y: 0, c: 0], 0, "gaps are background")
        XCTAssertEqual(sheet[x: 8, y: 5, c: 0], 0, "the empty cell is background")
        XCTAssertThrowsError(try ContactSheet.compose([], columns: 2, cellWidth: 4))
    }
}
