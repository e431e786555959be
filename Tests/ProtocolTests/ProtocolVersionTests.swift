import XCTest
@testable import Protocol

final class ProtocolVersionTests: XCTestCase {
    func testMajorVersionIsOne() {
        XCTAssertEqual(ProtocolVersion.major, 1)
    }
}
