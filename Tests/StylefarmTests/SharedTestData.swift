import Foundation
import XCTest

/// Files of the shared test data (`$STYLEFARM_TEST_DATA`, default `<repo>/../shared/data`); a test that
/// needs one skips with a clear message when the folder is absent.
enum SharedTestData {
    static var root: URL {
        ProcessInfo.processInfo.environment["STYLEFARM_TEST_DATA"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// The path of `relative` (e.g. `images/pets.jpg`), or `XCTSkip`.
    static func path(_ relative: String) throws -> String {
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared test data not found at \(url.path); set STYLEFARM_TEST_DATA")
        }
        return url.path
    }
}
