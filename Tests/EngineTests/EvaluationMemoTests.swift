import XCTest
@testable import Engine

final class EvaluationMemoTests: XCTestCase {
    func testRecognisesAnEvaluatedPointBitForBitAndForgetsTheOldest() {
        var memo = EvaluationMemo<Int>(capacity: 3)
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 2, 3, 4, 5, 6.0001]
        memo.record(a, 1)
        memo.record(b, 2)
        XCTAssertEqual(memo.value(at: a), 1)
        XCTAssertEqual(memo.value(at: b), 2)
        XCTAssertNil(memo.value(at: [1, 2, 3, 4, 6, 5]), "same sum, other samples")
        XCTAssertNil(memo.value(at: [Float](a.dropLast())))
        memo.record(a, 3)
        XCTAssertEqual(memo.value(at: a), 3, "the most recent value")
        memo.record([0], 4)
        memo.record([7], 5)
        XCTAssertNil(memo.value(at: b), "evicted after capacity")
        XCTAssertEqual(memo.value(at: [7]), 5)
        XCTAssertNil(EvaluationMemo<Int>().value(at: []))
    }
}
