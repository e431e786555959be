import Engine
import Foundation
import XCTest

/// Issue 19: the Python client (clients/python, standard library only) against a real coordinator and worker:
/// its example script submits a shot, follows it frame by frame through the event stream and reports; error
/// paths raise `StyleFarmError` with the API's codes. Skips without python3.
final class FarmPythonClientTests: XCTestCase {
    static let repository = FarmProcesses.repository
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private func python(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> (status: Int32, output: String) {
        try farm.run("/usr/bin/env", ["python3"] + arguments, environment: environment, timeout: timeout)
    }

    func testTheExampleScriptRendersAShotAndErrorsRaiseWithTheirCodes() async throws {
        guard (try? python(["--version"], timeout: 30).status) == 0 else { throw XCTSkip("no python3 on PATH: the Python client needs it") }
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for n in 1001...1005 {
            try ImageWriter.writePNG(Image(width: 32, height: 18, channels: 3, repeating: Float(n - 1000) / 6),
                                     to: plates.appendingPathComponent("plate.\(n).png").path)
        }
        var tokens: [String: String] = [:]
        for (name, role) in [("td", "submitter"), ("monitor", "viewer")] { tokens[name] = try farm.token(name, role: role) }
        let base = try await farm.startWithHTTP()

        let client = Self.repository.appendingPathComponent("clients/python")
        let rendered = try python([client.appendingPathComponent("examples/render_shot.py").path,
                                   plates.appendingPathComponent("plate.####.png").path, "1001-1005", "echo",
                                   farm.directory.appendingPathComponent("renders/shot010").path],
                                  environment: ["STYLEFARM_URL": base, "STYLEFARM_TOKEN": tokens["td"]!])
        XCTAssertEqual(rendered.status, 0, rendered.output + farm.logs)
        for n in 1001...1005 { XCTAssertTrue(rendered.output.contains("frame \(n): done"), rendered.output) }
        XCTAssertTrue(rendered.output.contains(": completed, 5/5 frames done, 0 failed"), rendered.output)
        let jobID = try XCTUnwrap(rendered.output.split(separator: "\n").first { $0.hasPrefix("submitted ") }.map { String($0.dropFirst(10)) })
        let written = try FileManager.default.contentsOfDirectory(atPath: farm.directory.appendingPathComponent("renders/shot010").path)
        XCTAssertEqual(written.filter { $0.hasSuffix(".png") }.count, 5, "\(written)")

        let checks = try python([Self.repository.appendingPathComponent("Tests/StylefarmTests/Python/client_checks.py").path, client.path,
                                 base, tokens["td"]!, tokens["monitor"]!, jobID])
        XCTAssertEqual(checks.status, 0, checks.output)
        XCTAssertTrue(checks.output.contains("all client checks passed"), checks.output)
    }
}
