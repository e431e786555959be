@testable import JobModel
import XCTest

final class FrameRangeTests: XCTestCase {
    private func frames(_ text: String) throws -> [Int] { try FrameRange(parsing: text).frames }

    private func error(_ text: String, maxFrames: Int = FrameRange.defaultMaxFrames) -> FrameRangeError? {
        do { _ = try FrameRange(parsing: text, maxFrames: maxFrames); return nil } catch { return error as? FrameRangeError }
    }

    func testSimpleForms() throws {
        XCTAssertEqual(try frames("1-5"), [1, 2, 3, 4, 5])
        XCTAssertEqual(try frames("7"), [7])
        XCTAssertEqual(try frames("1-10x3"), [1, 4, 7, 10])
        XCTAssertEqual(try frames("1-10x4"), [1, 5, 9])
        XCTAssertEqual(try frames("1,5,7-9"), [1, 5, 7, 8, 9])
        XCTAssertEqual(try frames("1001-1003"), [1001, 1002, 1003])
        XCTAssertEqual(try frames("4-4"), [4])
    }

    func testWhitespaceIsTolerated() throws {
        XCTAssertEqual(try frames("  1 - 3 ,  5 "), [1, 2, 3, 5])
        XCTAssertEqual(try frames("1-9 x 4"), [1, 5, 9])
    }

    func testDuplicatesRemovedAndSortedAscending() throws {
        XCTAssertEqual(try frames("5,1-3,2,3"), [1, 2, 3, 5])
        XCTAssertEqual(try frames("10,1"), [1, 10])
    }

    func testNegativeFrames() throws {
        XCTAssertEqual(try frames("-5--3"), [-5, -4, -3])
        XCTAssertEqual(try frames("-2-2x2"), [-2, 0, 2])
        XCTAssertEqual(try frames("-7"), [-7])
    }

    func testEmptyInputs() {
        XCTAssertEqual(error(""), .empty)
        XCTAssertEqual(error("   "), .empty)
        XCTAssertEqual(error("1,,2"), .emptyItem(column: 3))
        XCTAssertEqual(error("1,2,"), .emptyItem(column: 5))
        XCTAssertEqual(error(",1"), .emptyItem(column: 1))
    }

    func testMalformedItemsNameTokenAndColumn() {
        guard case .malformed(let item, let column, _)? = error("1-") else { return XCTFail("1- accepted") }
        XCTAssertEqual(item, "1-"); XCTAssertEqual(column, 1)
        guard case .malformed(let item2, let column2, _)? = error("1-3, a-b") else { return XCTFail("a-b accepted") }
        XCTAssertEqual(item2, "a-b"); XCTAssertEqual(column2, 6)
        guard case .malformed("1-10x", _, _)? = error("1-10x") else { return XCTFail("missing step accepted") }
        guard case .malformed("1 2", _, _)? = error("1 2") else { return XCTFail("'1 2' accepted") }
        guard case .malformed("1-5y", _, _)? = error("1-5y") else { return XCTFail("'1-5y' accepted") }
        guard case .malformed("-", _, _)? = error("-") else { return XCTFail("'-' accepted") }
    }

    func testDescendingRejected() {
        XCTAssertEqual(error("5-1"), .descending(item: "5-1", column: 1))
        XCTAssertEqual(error("1,10-1"), .descending(item: "10-1", column: 3))
        XCTAssertTrue(error("5-1")!.description.contains("ascending"))
    }

    func testBadSteps() {
        XCTAssertEqual(error("1-10x0"), .nonPositiveStep(item: "1-10x0", column: 1))
        XCTAssertEqual(error("1-10x-2"), .nonPositiveStep(item: "1-10x-2", column: 1))
    }

    func testHugeRangesFailWithoutAllocating() {
        XCTAssertEqual(error("1-999999999"), .tooManyFrames(item: "1-999999999", column: 1, limit: 1_000_000))
        XCTAssertEqual(error("1-10,20-30", maxFrames: 15), .tooManyFrames(item: "20-30", column: 6, limit: 15))
        XCTAssertEqual(error("1-99999999999"), .frameOutOfBounds(item: "1-99999999999", column: 1))
        XCTAssertEqual(error("123456789012345678901234567890"), .frameOutOfBounds(item: "123456789012345678901234567890", column: 1))
        // Overlapping items count once.
        XCTAssertEqual(try FrameRange(parsing: "1-10,1-10", maxFrames: 10).count, 10)
        // Exactly at the limit is fine, one more is not.
        XCTAssertEqual(try FrameRange(parsing: "1-1000000").count, 1_000_000)
        XCTAssertNotNil(error("0-1000000"))
    }

    func testCompactStringRoundTrip() throws {
        XCTAssertEqual(try FrameRange(parsing: "1,2,3,5").compactString, "1-3,5")
        XCTAssertEqual(try FrameRange(parsing: "1-9x2").compactString, "1-9x2")
        XCTAssertEqual(try FrameRange(parsing: "1,3").compactString, "1,3")
        XCTAssertEqual(try FrameRange(parsing: "7").compactString, "7")
        XCTAssertEqual(try FrameRange(parsing: "-5--3,10").compactString, "-5--3,10")
        XCTAssertEqual(FrameRange(frames: []).compactString, "")
        for text in ["1-100", "1-100x2", "1,5,7-9", "-10-10x5", "1,2,4,8,16", "3,1,2,10-20x5,11", "1001-1100,1200"] {
            let range = try FrameRange(parsing: text)
            XCTAssertEqual(try FrameRange(parsing: range.compactString), range, text)
        }
        // Random sets round-trip too.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let set = FrameRange(frames: (0..<Int.random(in: 1...30, using: &rng)).map { _ in Int.random(in: -20...60, using: &rng) })
            XCTAssertEqual(try FrameRange(parsing: set.compactString), set, set.compactString)
        }
    }

    func testContains() throws {
        let r = try FrameRange(parsing: "1-9x2")
        XCTAssertTrue(r.contains(5)); XCTAssertFalse(r.contains(4)); XCTAssertFalse(r.contains(11))
        XCTAssertEqual(r.first, 1); XCTAssertEqual(r.last, 9); XCTAssertEqual(r.count, 5)
    }
}
