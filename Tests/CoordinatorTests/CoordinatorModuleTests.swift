import XCTest
@testable import Coordinator

final class CoordinatorModuleTests: XCTestCase {
    func testModuleName() {
        XCTAssertEqual(CoordinatorModule.name, "coordinator")
    }
}
