import Coordinator
import Engine
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
        let frames103 = (detail["frames"] as? [[String: Any]])?.first { $0["number"] as? Int == 103 }
        XCTAssertGreaterThanOrEqual(frames103?["render_seconds"] as? Double ?? 0, 0.2, "the worker's reported time: \(detail)")
        XCTAssertNotNil(frames103?["ended_at"] as? String)
        XCTAssertEqual(frames103?["thumbnail_url"] as? String, "/api/v1/jobs/\(jobID)/frames/103/thumbnail")
        // A frame's own detail: its task, and each attempt with what its worker measured.
        let frame = try object(try await request("GET", base + "/api/v1/jobs/\(jobID)/frames/103", token: monitor).data)
        let tasks = try XCTUnwrap(frame["tasks"] as? [[String: Any]], "\(frame)")
        XCTAssertEqual(tasks.count, 1, "\(frame)")
        XCTAssertEqual(tasks.first?["produces_output"] as? Bool, true)
        let attempt = try XCTUnwrap((tasks.first?["attempts"] as? [[String: Any]])?.first, "\(tasks)")
        XCTAssertEqual(attempt["worker"] as? String, "one")
        XCTAssertEqual(attempt["outcome"] as? String, "succeeded")
        XCTAssertGreaterThanOrEqual(attempt["wall_seconds"] as? Double ?? 0, 0.2, "\(attempt)")
        XCTAssertGreaterThan(attempt["peak_rss_bytes"] as? Int ?? 0, 0, "\(attempt)")
        let noFrame = try await request("GET", base + "/api/v1/jobs/\(jobID)/frames/99", token: monitor)
        XCTAssertEqual(noFrame.status, 404, String(decoding: noFrame.data, as: UTF8.self))
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

    /// A farm without shared storage, over HTTP alone: a pipeline script asks which of its plates the coordinator
    /// lacks, uploads them, lays them out in a checkout, and submits a job that reads them there; a real worker
    /// renders it from blobs the coordinator serves.
    func testAFarmWithoutSharedStorageTakesItsInputsOverHTTP() async throws {
        let artist = try farm.token("artist", role: "submitter")
        let monitor = try farm.token("monitor", role: "viewer")
        let base = try await farm.startWithHTTP()

        // Three plates on the artist's machine (here: a folder the coordinator is never told about).
        var plates: [(name: String, bytes: Data, sha: String)] = []
        for n in 1...3 {
            var image = Image(width: 40, height: 24, channels: 3, repeating: 0)
            for y in 0..<24 { for x in 0..<40 { image[x: x, y: y, c: n - 1] = Float(x + y) / 64 } }
            let bytes = try ImageWriter.encodePNG(image, compressionLevel: 6, name: "plate \(n)")
            plates.append((String(format: "sh.%04d.png", n), bytes, BlobName.of(bytes)))
        }
        // Plate 3 twice under two names: the same bytes travel once.
        let shas = plates.map(\.sha)
        let missing = try object(try await request("POST", base + "/api/v1/uploads/missing", token: artist,
                                                   body: try JSONSerialization.data(withJSONObject: ["sha256": shas]),
                                                   contentType: "application/json").data)
        XCTAssertEqual(missing["missing"] as? [String], shas)
        let viewerUpload = try await request("PUT", base + "/api/v1/uploads/\(shas[0])", token: monitor, body: plates[0].bytes,
                                             contentType: "application/octet-stream")
        XCTAssertEqual(viewerUpload.status, 403, "a viewer uploads nothing")
        let wrong = try await request("PUT", base + "/api/v1/uploads/\(shas[1])", token: artist, body: plates[0].bytes,
                                      contentType: "application/octet-stream")
        XCTAssertEqual(wrong.status / 100, 4, "bytes that do not hash to the name are refused: \(String(decoding: wrong.data, as: UTF8.self))")
        for plate in plates {
            let sent = try await request("PUT", base + "/api/v1/uploads/\(plate.sha)", token: artist, body: plate.bytes,
                                         contentType: "application/octet-stream")
            XCTAssertEqual(sent.status, 201, String(decoding: sent.data, as: UTF8.self))
            XCTAssertEqual(try object(sent.data)["size"] as? Int, plate.bytes.count)
        }
        let after = try object(try await request("POST", base + "/api/v1/uploads/missing", token: artist,
                                                 body: try JSONSerialization.data(withJSONObject: ["sha256": shas]),
                                                 contentType: "application/json").data)
        XCTAssertEqual(after["missing"] as? [String], [])
        let files = plates.map { ["path": "plates/" + $0.name, "sha256": $0.sha] } + [["path": "plates/sh.0004.png", "sha256": shas[2]]]
        let checkout = try object(try await request("POST", base + "/api/v1/checkouts", token: artist,
                                                    body: try JSONSerialization.data(withJSONObject: ["files": files]),
                                                    contentType: "application/json").data)
        let root = try XCTUnwrap(checkout["root"] as? String, "\(checkout)")

        let out = farm.directory.appendingPathComponent("out-uploaded")
        let spec = try JSONSerialization.data(withJSONObject: [
            "name": "uploaded", "kind": "echo", "frames": "1-4", "echo_seconds": 0.05, "shared_filesystem": false,
            "content": root + "/plates/sh.####.png", "output_dir": out.path,
        ])
        let submitted = try await request("POST", base + "/api/v1/jobs", token: artist, body: spec, contentType: "application/json")
        XCTAssertEqual(submitted.status, 201, String(decoding: submitted.data, as: UTF8.self))
        let jobID = try XCTUnwrap(try object(submitted.data)["id"] as? String)
        let status = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 60) { $0.job.state == .completed || $0.job.state == .failed }, farm.logs)
        XCTAssertEqual(status.job.state, .completed, "\(status.frames.map(\.error))\n" + farm.logs)
        // The echo job hands each content frame back: the outputs are the uploaded plates, byte for byte.
        let outputs = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(outputs.count, 4, "\(outputs)")
        XCTAssertEqual(try outputs.map { try Data(contentsOf: out.appendingPathComponent($0)) },
                       plates.map(\.bytes) + [plates[2].bytes])
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
