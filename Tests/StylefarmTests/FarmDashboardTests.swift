import Engine
import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 19: the dashboard in a real browser. Debian's Chromium, driven headless by selenium (from PyPI, in a
/// virtual environment the test makes), signs in with a token, watches a job's frame grid turn green from the
/// event stream while a real worker renders it, pauses and resumes it from the page, and saves screenshots
/// (in `$STYLEFARM_SCREENSHOTS` when set). Skips, saying why, without Chromium, its driver, Python or PyPI.
final class FarmDashboardTests: XCTestCase {
    static let repository = FarmProcesses.repository
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String) {
        try farm.run(executable, arguments, timeout: timeout)
    }

    func testTheJobPageTurnsGreenLivePausesAndResumesInARealBrowser() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (Debian: apt-get install chromium chromium-driver; scripts/test.sh installs them)")
        }
        let python = try farm.python("stylefarm-selenium-venv", packages: ["selenium>=4.10,<5"], imports: "selenium")

        // Twelve small plates; the echo job hands each back as its output, so every finished frame has a picture.
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        let frames = 12
        for n in 1...frames {
            var image = Image(width: 96, height: 54, channels: 3, repeating: 0)
            for y in 0..<54 { for x in 0..<96 {
                image[x: x, y: y, c: 0] = Float(x) / 96
                image[x: x, y: y, c: 1] = Float(n) / Float(frames)
                image[x: x, y: y, c: 2] = Float(y) / 54
            } }
            try ImageWriter.writePNG(image, to: plates.appendingPathComponent(String(format: "plate.%04d.png", n)).path)
        }
        let token = try farm.token("wrangler", role: "submitter")
        let base = try await farm.startWithHTTP()
        let spec = try JSONSerialization.data(withJSONObject: [
            "name": "dashboard", "kind": "echo", "echo_seconds": 0.6, "frames": "1-\(frames)",
            "content": plates.appendingPathComponent("plate.####.png").path,
            "output_dir": farm.directory.appendingPathComponent("out").path,
        ])
        let (status, data) = try await farm.http(base + "/api/v1/jobs", method: "POST", token: token, body: spec, contentType: "application/json")
        XCTAssertEqual(status, 201, String(decoding: data, as: UTF8.self))
        let jobID = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)

        let shots = ProcessInfo.processInfo.environment["STYLEFARM_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? farm.directory.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let checks = try run(python, [Self.repository.appendingPathComponent("Tests/StylefarmTests/Python/dashboard_checks.py").path,
                                      base, token, jobID, String(frames), shots.path], timeout: 240)
        XCTAssertEqual(checks.status, 0, checks.output + "\n" + farm.logs)
        XCTAssertTrue(checks.output.contains("all dashboard checks passed"), checks.output)
        for name in ["job.png", "job-paused.png", "queue.png", "workers.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 10_000, "screenshot \(name)")
        }
    }
}
