import XCTest
@testable import Engine

final class TensorTests: XCTestCase {
    func testIndexingIsChannelMajor() {
        var t = Tensor(channels: 2, height: 3, width: 4)
        t[1, 2, 3] = 7
        XCTAssertEqual(t.data[(1 * 3 + 2) * 4 + 3], 7)
        XCTAssertEqual(t.count, 24)
        XCTAssertEqual(t.planeSize, 12)
    }
}
