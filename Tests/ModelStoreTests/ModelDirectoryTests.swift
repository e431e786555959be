import XCTest
@testable import ModelStore

final class ModelDirectoryTests: XCTestCase {
    func testResolutionOrder() {
        let env = ["STYLEFARM_MODEL_DIR": "/env/models", "HOME": "/home/u"]
        XCTAssertEqual(ModelDirectory.resolve(explicit: "/flag", environment: env).url.path, "/flag")
        XCTAssertEqual(ModelDirectory.resolve(explicit: nil, environment: env).url.path, "/env/models")
        XCTAssertEqual(ModelDirectory.resolve(explicit: nil, environment: ["HOME": "/home/u"]).url.path,
                       "/home/u/.cache/stylefarm/models")
        XCTAssertEqual(ModelDirectory.resolve(explicit: nil, environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/h"]).url.path,
                       "/xdg/stylefarm/models")
    }
}
