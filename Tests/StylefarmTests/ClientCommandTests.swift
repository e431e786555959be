import Foundation
import XCTest

/// The client commands' errors, and `render` end to end with a diagnostic job (no weights needed).
final class ClientCommandTests: XCTestCase {
    func testSubmitReportsEveryProblemOfABadJobBeforeContactingAnyone() throws {
        let result = try CLIRunner.run(["submit", "--name", "bad name!", "--frames", "5-1", "--priority", "500",
                                        "--coordinator", "tcp://127.0.0.1:1", "--timeout", "1"])
        XCTAssertNotEqual(result.status, 0)
        for expected in ["name", "frames", "priority", "content"] {
            XCTAssertTrue(result.stderr.contains(expected), "\(expected) missing from: \(result.stderr)")
        }
        XCTAssertFalse(result.stderr.contains("no answer"), "checked locally first: \(result.stderr)")
    }

    func testSubmitChecksRegionFlagsLocally() throws {
        let result = try CLIRunner.run(["submit", "--name", "r", "--content", "/p/c.####.png", "--frames", "1", "--style", "/s.png",
                                        "--output-dir", "/tmp/out", "--region", "person", "--guide", "inside",
                                        "--segment-crf", "off", "--coordinator", "tcp://127.0.0.1:1", "--timeout", "1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("segment: missing"), "regions without a source: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("--region 'person': expected NAME=STYLE_IMAGE or NAME=none"), result.stderr)
        XCTAssertFalse(result.stderr.contains("no answer"), "checked locally first: \(result.stderr)")

        let badGuide = try CLIRunner.run(["submit", "--guide", "outside", "--coordinator", "tcp://127.0.0.1:1"])
        XCTAssertNotEqual(badGuide.status, 0)
        XCTAssertTrue(badGuide.stderr.contains("outside"), badGuide.stderr)
    }

    func testStatusWithoutACoordinatorSaysWhatToCheck() throws {
        let result = try CLIRunner.run(["status", "--coordinator", "tcp://127.0.0.1:\(Int.random(in: 20_000...29_000))", "--timeout", "1"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no answer from a coordinator"), result.stderr)
        XCTAssertTrue(result.stderr.contains("stylefarm coordinator"), result.stderr)
    }

    func testRenderRunsALocalFarmAndStopsIt() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("sf-render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try CLIRunner.run(["render", "--kind", "echo", "--name", "diag", "--frames", "1-6", "--echo-seconds", "0.05",
                                        "--workers", "2", "--state-dir", state.path], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("rendered 6 frame(s)"), result.stdout)
        XCTAssertTrue(result.stderr.contains("6/6 frames"), result.stderr)
        for i in 1...2 {
            let log = (try? String(contentsOf: state.appendingPathComponent("worker-\(i).log"), encoding: .utf8)) ?? ""
            XCTAssertTrue(log.contains("stopped"), "worker \(i) shut down cleanly: \(log)")
        }
    }

    /// A damaged job database: one clear message and exit status 65, which the systemd unit does not restart on.
    func testACoordinatorOnADamagedDatabaseExitsWithOneClearMessage() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        try Data(repeating: 0x42, count: 4096).write(to: state.appendingPathComponent("jobs.sqlite"))
        let result = try CLIRunner.run(["coordinator", "--insecure", "--state-dir", state.path,
                                        "--bind-workers", "tcp://127.0.0.1:*", "--bind-clients", "tcp://127.0.0.1:*"], timeout: 60)
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("is damaged"), result.stderr)
        XCTAssertTrue(result.stderr.contains("restore a backup"), result.stderr)
        let unit = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/systemd/stylefarm-coordinator.service").path, encoding: .utf8)
        XCTAssertTrue(unit.contains("RestartPreventExitStatus=65"))
    }
}
