import Foundation
import XCTest

/// The shared test data (`$STYLEFARM_TEST_DATA`, default `<repo>/../shared/data`): real footage, DeepLab's
/// models and images with ground truth that have no public source the product already uses. A test that
/// needs a file of it calls `path(_:)` first thing (never inside an `XCTAssert…` expression, where a skip
/// would count as a failure) and skips with one message, whose part before " — " names the reason
/// (`scripts/test.sh` sums skipped tests by it).
public enum SharedTestData {
    /// The reason a test skips without the shared data (the key `scripts/test.sh` groups skips by).
    public static let absentReason = "shared test data not found; set STYLEFARM_TEST_DATA to the shared/data folder"

    /// The data folder: `$STYLEFARM_TEST_DATA` if set and not empty, else `../shared/data` beside the repository.
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["STYLEFARM_TEST_DATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// The repository this file is in (`<repo>/Tests/TestSupport/SharedTestData.swift`).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The URL of `relative` (a file or folder, e.g. `images/pets.jpg`), or `XCTSkip` when it is absent.
    public static func url(_ relative: String) throws -> URL {
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(absentReason) — \(relative) is not in \(root.path)")
        }
        return url
    }

    /// The path of `relative`, or `XCTSkip` when it is absent.
    public static func path(_ relative: String) throws -> String { try url(relative).path }
}
