import Coordinator
import Foundation
import Protocol
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 19 with real processes: `stylefarm coordinator --http` (CurveZMQ on its ZeroMQ ports, bearer tokens made
/// with `stylefarm token create` on HTTP) and a real worker; a job submitted over HTTP renders while its event
/// stream is read, and every role gets what it should.
final class FarmHTTPTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm.stopAll() }

    private func request(_ method: String, _ url: String, token: String?, body: Data? = nil, contentType: String? = nil,
                         timeout: TimeInterval = 10) async throws -> (status: Int, data: Data) {
        try await farm.http(url, method: method, token: token, body: body, contentType: contentType, timeout: timeout)
    }

    private func object(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
    }

    func testAJobSubmittedOverHTTPRendersWhileItsEventsStream() async throws {
        let artist = try farm.token("artist", role: "submitter")
        let monitor = try farm.token("monitor", role: "viewer")
        XCTAssertTrue(artist.hasPrefix("sft_"), artist)
        let listed = try farm.cli(["token", "list", "--state-dir", farm.stateDirectory.path])
        XCTAssertEqual(listed.stdout, "submitter\tartist\nviewer\tmonitor\n")
        let tokenFile = try String(contentsOf: farm.stateDirectory.appendingPathComponent("keys/http_tokens"), encoding: .utf8)
        XCTAssertFalse(tokenFile.contains(artist), "the token itself is not stored")

        let httpPort = FarmProcesses.freePortPair()
        let base = "http://127.0.0.1:\(httpPort)"
        try farm.startCoordinator(extra: ["--http", "127.0.0.1:\(httpPort)"])
        let up = try await farm.waitForHTTP(base)
        XCTAssertTrue(up, farm.logs)
        XCTAssertTrue(farm.log("coordinator.log").contains("HTTP API at http://127.0.0.1:\(httpPort)/api/v1"), farm.logs)

        let spec = try JSONSerialization.data(withJSONObject: [
            "name": "http-shot", "kind": "echo", "frames": "101-106", "echo_seconds": 0.2,
            "output_dir": farm.directory.appendingPathComponent("out").path,
        ])
        let submitted = try await request("POST", base + "/api/v1/jobs", token: artist, body: spec, contentType: "application/json")
        XCTAssertEqual(submitted.status, 201, String(decoding: submitted.data, as: UTF8.self))
        let jobID = try XCTUnwrap(try object(submitted.data)["id"] as? String)

        // The viewer follows the job from before any worker exists until the stream ends by itself.
        let stream = Task { try await request("GET", base + "/api/v1/jobs/\(jobID)/events", token: monitor, timeout: 60) }
        try await Task.sleep(for: .milliseconds(300))
        try farm.startWorker("one")
        let events = try await stream.value
        XCTAssertEqual(events.status, 200)
        let frames = String(decoding: events.data, as: UTF8.self).components(separatedBy: "\n\n").filter { $0.contains("event: job") }
        let data = try frames.map { frame -> [String: Any] in
            let line = try XCTUnwrap(frame.split(separator: "\n").first { $0.hasPrefix("data: ") })
            return try object(Data(line.dropFirst(6).utf8))
        }
        XCTAssertEqual(data.last?["job_state"] as? String, "completed", "\(data)")
        XCTAssertEqual(data.last?["terminal"] as? Bool, true)
        XCTAssertEqual(data.last?["frames_done"] as? Int, 6)
        let doneFrames = Set(data.compactMap { ($0["frame"] as? [String: Any]).flatMap { $0["state"] as? String == "done" ? $0["number"] as? Int : nil } })
        XCTAssertEqual(doneFrames, Set(101...106), "each finished frame was an event of its own: \(data)")
        XCTAssertEqual(data.map { $0["sequence"] as? Int ?? 0 }, Array(1...data.count), "events arrive in order, none lost")

        let detail = try object(try await request("GET", base + "/api/v1/jobs/\(jobID)", token: monitor).data)
        XCTAssertEqual(detail["state"] as? String, "completed")
        XCTAssertEqual(detail["owner"] as? String, "artist")
        XCTAssertEqual((detail["frames"] as? [[String: Any]])?.map { $0["worker"] as? String }, Array(repeating: "one", count: 6))
        let workers = try object(try await request("GET", base + "/api/v1/workers", token: monitor).data)
        XCTAssertEqual((workers["workers"] as? [[String: Any]])?.first?["id"] as? String, "one")
        let logs = try object(try await request("GET", base + "/api/v1/jobs/\(jobID)/logs?frame=103", token: artist).data)
        XCTAssertTrue(((logs["attempts"] as? [[String: Any]])?.first?["log"] as? String ?? "").contains("sleep"), "\(logs)")

        let viewerRequeue = try await request("POST", base + "/api/v1/jobs/\(jobID)/requeue", token: monitor,
                                              body: Data(#"{"frames": [101]}"#.utf8), contentType: "application/json")
        XCTAssertEqual(viewerRequeue.status, 403)
        let requeue = try await request("POST", base + "/api/v1/jobs/\(jobID)/requeue", token: artist,
                                        body: Data(#"{"frames": [101]}"#.utf8), contentType: "application/json")
        XCTAssertEqual(try object(requeue.data)["frames_requeued"] as? [Int], [101], String(decoding: requeue.data, as: UTF8.self))
        // The ZeroMQ channel sees the same job: one model behind both.
        let status = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.job.state == .completed && $0.job.framesDone == 6 }, farm.logs)
        XCTAssertEqual(status.job.owner, "artist")
    }

    func testANonLoopbackHTTPAddressNeedsTheInsecureFlag() throws {
        let refused = try farm.cli(["coordinator", "--state-dir", farm.stateDirectory.path, "--http", "0.0.0.0:18999",
                                    "--bind-workers", farm.workerEndpoint, "--bind-clients", farm.clientEndpoint], timeout: 30)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("not a loopback address"), refused.stderr)
        let bad = try farm.cli(["coordinator", "--state-dir", farm.stateDirectory.path, "--http", "8080"], timeout: 30)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("HOST:PORT"), bad.stderr)
    }
}
