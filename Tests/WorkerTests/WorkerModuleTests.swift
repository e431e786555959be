import XCTest
@testable import Worker

final class WorkerModuleTests: XCTestCase {
    func testModuleName() {
        XCTAssertEqual(WorkerModule.name, "worker")
    }
}
