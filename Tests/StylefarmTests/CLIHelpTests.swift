import XCTest

/// Runs the built `stylefarm` binary and checks its help output and exit codes.
final class CLIHelpTests: XCTestCase {
    func testRootHelpExitsZero() throws {
        let result = try CLIRunner.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("stylefarm"), result.stdout)
    }
}
