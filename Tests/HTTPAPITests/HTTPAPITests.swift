import Coordinator
import Protocol
import Engine
import Foundation
import JobModel
@testable import HTTPAPI
import XCTest
import Yams

/// The HTTP API against a running coordinator over real HTTP on 127.0.0.1 (issue 19): the routes agree with
/// api/openapi.yaml, every role gets what the ZeroMQ channel gives it, bad input gets a 4xx with a message, and
/// a job's events stream until it ends.
final class HTTPAPITests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// (method, path) of every operation in the committed document.
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: repository.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        let document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        var routes = Set<String>()
        for (path, item) in paths {
            for key in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(key) {
                routes.insert("\(key.uppercased()) \(path)")
            }
        }
        return routes
    }

    func testTheServedRoutesAreExactlyTheDocumentedOnes() async throws {
        let served = Set(APIEndpoint.allCases.map { "\($0.method.rawValue) \($0.path)" })
        XCTAssertEqual(served, try Self.documentedRoutes(), "api/openapi.yaml and APIEndpoint must list the same operations")
        let committed = try String(contentsOf: Self.repository.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        XCTAssertEqual(OpenAPIDocument.yaml + "\n", committed, "the embedded document is stale: run scripts/generate-openapi.sh")

        // Every route answers over HTTP with something other than the router's own "no route".
        let farm = try await HTTPFarm()
        let admin = try farm.token("root", .admin)
        let jobID = try await farm.submitEcho("routes", token: admin)
        for endpoint in APIEndpoint.allCases where endpoint != .jobEvents && endpoint != .farmEvents {   // streams: their own tests
            let path = endpoint.path.replacingOccurrences(of: "{job_id}", with: jobID).replacingOccurrences(of: "{worker_id}", with: "w1")
                .replacingOccurrences(of: "{frame}", with: "1").replacingOccurrences(of: "{file}", with: "app.js")
            let post = endpoint.method == .post
            let answer = try await farm.request(endpoint.method.rawValue, path, token: admin, body: post ? Data("{}".utf8) : nil,
                                                contentType: post ? "application/json" : nil)
            XCTAssertFalse(answer.status == 404 && (answer.error?.message.hasPrefix("no route") ?? true),
                           "\(endpoint.method.rawValue) \(path) is not served: \(answer.status) \(answer.text)")
        }
        let document = try await farm.request("GET", "/openapi.yaml")
        XCTAssertEqual(document.status, 200)
        XCTAssertEqual(document.text, OpenAPIDocument.yaml)
        await farm.close()
    }

    func testRolesAndOwnershipAreTheClientChannelsOnes() async throws {
        let farm = try await HTTPFarm()
        let alice = try farm.token("alice", .submitter), bob = try farm.token("bob", .submitter)
        let viewer = try farm.token("monitor", .viewer), admin = try farm.token("wrangler", .admin)

        let missing = try await farm.request("GET", "/api/v1/jobs")
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.headers["www-authenticate"], "Bearer realm=\"stylefarm\"")
        XCTAssertTrue(missing.error?.message.contains("stylefarm token create") ?? false, missing.text)
        let forged = try await farm.request("GET", "/api/v1/jobs", token: "sft_not-a-token")
        XCTAssertEqual(forged.status, 401)
        let health = try await farm.request("GET", "/healthz")
        XCTAssertEqual(health.status, 200, "probes need no token")

        let whoami = try await farm.request("GET", "/api/v1/whoami", token: viewer).json()
        XCTAssertEqual(whoami["name"] as? String, "monitor")
        XCTAssertEqual(whoami["role"] as? String, "viewer")

        let jobID = try await farm.submitEcho("alices", token: alice)
        let detail = try await farm.request("GET", "/api/v1/jobs/\(jobID)", token: alice).json()
        XCTAssertEqual(detail["owner"] as? String, "alice", "the token's name owns the job")
        XCTAssertEqual((detail["frames"] as? [Any])?.count, 4)

        // A viewer reads everything and changes nothing.
        let listed = try await farm.request("GET", "/api/v1/jobs", token: viewer).json()
        XCTAssertEqual((listed["jobs"] as? [[String: Any]])?.map { $0["id"] as? String }, [jobID])
        let viewed = try await farm.request("GET", "/api/v1/jobs/\(jobID)", token: viewer)
        XCTAssertEqual(viewed.status, 200)
        for (method, path) in [("POST", "/api/v1/jobs/\(jobID)/cancel"), ("POST", "/api/v1/jobs/\(jobID)/pause"),
                               ("DELETE", "/api/v1/jobs/\(jobID)"), ("POST", "/api/v1/gc")] {
            let refused = try await farm.request(method, path, token: viewer)
            XCTAssertEqual(refused.status, 403, "\(method) \(path): \(refused.text)")
            XCTAssertEqual(refused.error?.code, "permission_denied")
            XCTAssertTrue(refused.error?.message.contains("viewer token may only read") ?? false, refused.text)
        }
        let viewerSubmit = try await farm.request("POST", "/api/v1/jobs", token: viewer, body: farm.echoSpec("nope"), contentType: "application/yaml")
        XCTAssertEqual(viewerSubmit.status, 403, viewerSubmit.text)

        // Another submitter neither sees nor touches it; an admin does both.
        let bobReads = try await farm.request("GET", "/api/v1/jobs/\(jobID)", token: bob)
        XCTAssertEqual(bobReads.status, 403)
        let bobCancels = try await farm.request("POST", "/api/v1/jobs/\(jobID)/cancel", token: bob)
        XCTAssertEqual(bobCancels.status, 403)
        let bobsList = try await farm.request("GET", "/api/v1/jobs", token: bob).json()
        XCTAssertEqual((bobsList["jobs"] as? [Any])?.count, 0)
        let paused = try await farm.json("POST", "/api/v1/jobs/\(jobID)/pause", token: alice, [:])
        XCTAssertEqual(paused.status, 200, paused.text)
        XCTAssertEqual((try paused.json()["job"] as? [String: Any])?["state"] as? String, "paused")
        let prioritized = try await farm.json("POST", "/api/v1/jobs/\(jobID)/priority", token: admin, ["priority": 90])
        XCTAssertEqual((try prioritized.json()["job"] as? [String: Any])?["priority"] as? Int, 90, prioritized.text)
        let resumed = try await farm.request("POST", "/api/v1/jobs/\(jobID)/resume", token: admin)
        XCTAssertEqual((try resumed.json()["job"] as? [String: Any])?["state"] as? String, "queued", resumed.text)
        let aliceCollects = try await farm.request("POST", "/api/v1/gc", token: alice)
        XCTAssertEqual(aliceCollects.status, 403, "garbage collection is an admin's")
        let cancelled = try await farm.request("POST", "/api/v1/jobs/\(jobID)/cancel", token: alice)
        XCTAssertEqual(try cancelled.json()["cancelled"] as? Bool, true, cancelled.text)
        let again = try await farm.request("POST", "/api/v1/jobs/\(jobID)/cancel", token: alice)
        XCTAssertEqual(try again.json()["cancelled"] as? Bool, true, "cancelling again changes nothing: \(again.text)")

        // A revoked token stops working within a second or so.
        _ = try XCTUnwrap(farm.tokens).update { $0.revoke(name: "monitor") }
        try await Task.sleep(for: .milliseconds(1100))
        let revoked = try await farm.request("GET", "/api/v1/jobs", token: viewer)
        XCTAssertEqual(revoked.status, 401)
        await farm.close()
    }

    func testBadInputGetsAClearErrorAndChangesNothing() async throws {
        let farm = try await HTTPFarm()
        let admin = try farm.token("wrangler", .admin)
        func expect(_ answer: HTTPFarm.Answer, _ status: Int, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(answer.status, status, answer.text, file: file, line: line)
            XCTAssertTrue(answer.error?.message.contains(words) ?? false, "wanted “\(words)” in \(answer.text)", file: file, line: line)
        }
        let a1 = try await farm.request("POST", "/api/v1/jobs", token: admin, body: Data("{\"name\": 3".utf8), contentType: "application/json")
        expect(a1,
               400, "not valid JSON")
        let a2 = try await farm.request("POST", "/api/v1/jobs", token: admin, body: Data("name: [unclosed".utf8), contentType: "application/yaml")
        expect(a2,
               400, "YAML")
        let a3 = try await farm.request("POST", "/api/v1/jobs", token: admin, body: Data("name: x\nframs: 1-3\n".utf8), contentType: "application/yaml")
        expect(a3,
               400, "frams")
        let a4 = try await farm.request("POST", "/api/v1/jobs", token: admin,
                                      body: Data("name: x\nkind: echo\nframes: 1-3\noutput_dir: relative/out\n".utf8), contentType: "application/yaml")
        expect(a4,
               400, "must be absolute")
        let a5 = try await farm.request("POST", "/api/v1/jobs", token: admin, body: Data(repeating: 0x61, count: (1 << 20) + 10),
                                      contentType: "application/yaml")
        expect(a5,
               413, "larger than 1048576 bytes")
        let a6 = try await farm.request("GET", "/api/v1/jobs?limit=0", token: admin)
        expect(a6, 400, "limit")
        let a7 = try await farm.request("GET", "/api/v1/jobs?state=done", token: admin)
        expect(a7, 400, "unknown job state")
        let a8 = try await farm.request("GET", "/api/v1/jobs/nope", token: admin)
        expect(a8, 404, "no job")
        let a9 = try await farm.request("GET", "/api/v1/nothing", token: admin)
        expect(a9, 404, "no route GET /api/v1/nothing")
        let jobID = try await farm.submitEcho("fine", token: admin)
        let a10 = try await farm.json("POST", "/api/v1/jobs/\(jobID)/priority", token: admin, ["priority": 101])
        expect(a10, 400, "outside 0…100")
        let a11 = try await farm.json("POST", "/api/v1/jobs/\(jobID)/priority", token: admin, ["priority": "high"])
        expect(a11, 400, "priority")
        let a12 = try await farm.json("POST", "/api/v1/jobs/\(jobID)/requeue", token: admin, [:])
        expect(a12, 400, "frames")
        let a13 = try await farm.request("GET", "/api/v1/jobs/\(jobID)/logs?frame=99", token: admin)
        expect(a13, 400, "no frame 99")
        let a14 = try await farm.request("DELETE", "/api/v1/jobs/\(jobID)?outputs=maybe", token: admin)
        expect(a14, 400, "true or false")
        // None of it touched the one good job.
        let list = try await farm.request("GET", "/api/v1/jobs", token: admin).json()
        XCTAssertEqual(list["total"] as? Int, 1)
        let job = try await farm.request("GET", "/api/v1/jobs/\(jobID)", token: admin).json()
        XCTAssertEqual(job["state"] as? String, "queued")
        XCTAssertEqual(job["priority"] as? Int, 50)
        await farm.close()
    }

    func testAJobsEventsStreamUntilItEnds() async throws {
        let farm = try await HTTPFarm()
        let submitter = try farm.token("alice", .submitter)
        let jobID = try await farm.submitEcho("streamed", token: submitter, frames: "1-3")
        let stream = Task { try await farm.request("GET", "/api/v1/jobs/\(jobID)/events", token: submitter) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = try await farm.request("POST", "/api/v1/jobs/\(jobID)/cancel", token: submitter)
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        let answer = try await stream.value
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.headers["content-type"], "text/event-stream")
        let events = answer.text.components(separatedBy: "\n\n").filter { $0.contains("event: job") }
        XCTAssertGreaterThanOrEqual(events.count, 2, answer.text)
        let last = try XCTUnwrap(events.last?.split(separator: "\n").first { $0.hasPrefix("data: ") })
        let data = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.dropFirst(6).utf8)) as? [String: Any])
        XCTAssertEqual(data["job_state"] as? String, "cancelled")
        XCTAssertEqual(data["terminal"] as? Bool, true)
        XCTAssertEqual(data["frames_total"] as? Int, 3)
        XCTAssertTrue(events.first?.hasPrefix("id: 1\n") ?? false, answer.text)

        let other = try farm.token("bob", .submitter)
        let refused = try await farm.request("GET", "/api/v1/jobs/\(jobID)/events", token: other)
        XCTAssertEqual(refused.status, 403, "a refused watch is an HTTP error, not a stream: \(refused.text)")
        let unknown = try await farm.request("GET", "/api/v1/jobs/nope/events", token: other)
        XCTAssertEqual(unknown.status, 404, unknown.text)
        await farm.close()
    }

    func testAnInsecureFarmNeedsNoToken() async throws {
        let farm = try await HTTPFarm(withTokens: false)
        let jobID = try await farm.submitEcho("open", token: nil)
        let job = try await farm.request("GET", "/api/v1/jobs/\(jobID)").json()
        XCTAssertEqual(job["owner"] as? String, "", "no identities on an insecure farm, as on its ZeroMQ channel")
        let whoami = try await farm.request("GET", "/api/v1/whoami").json()
        XCTAssertEqual(whoami["role"] as? String, "admin")
        await farm.close()
    }

    func testNonLoopbackAddressesNeedTheInsecureFlagAndTokens() throws {
        XCTAssertEqual(try HTTPAPIServer.Configuration.address("127.0.0.1:8080").port, 8080)
        XCTAssertEqual(try HTTPAPIServer.Configuration.address("[::1]:9").host, "::1")
        XCTAssertThrowsError(try HTTPAPIServer.Configuration.address("8080"))
        XCTAssertThrowsError(try HTTPAPIServer.Configuration.address("host:99999"))
        XCTAssertTrue(HTTPAPIServer.Configuration.isLoopback("127.0.0.2"))
        XCTAssertFalse(HTTPAPIServer.Configuration.isLoopback("10.0.0.1"))
        XCTAssertFalse(HTTPAPIServer.Configuration.isLoopback("127.example.com"))
        let tokens = APITokenFile(path: "/nonexistent/http_tokens")
        var open = HTTPAPIServer.Configuration(host: "0.0.0.0", port: 0, tokens: tokens)
        XCTAssertThrowsError(try open.check()) { XCTAssertEqual($0 as? HTTPAPIError, .notLoopback("0.0.0.0")) }
        open.allowInsecure = true
        XCTAssertNoThrow(try open.check())
        open.tokens = nil
        XCTAssertThrowsError(try open.check()) { XCTAssertEqual($0 as? HTTPAPIError, .openToTheNetwork("0.0.0.0")) }
    }

    func testTokensAreStoredHashedAndParsedStrictly() throws {
        var tokens = APITokens()
        let token = try tokens.create(name: "alice", role: .submitter)
        XCTAssertTrue(token.hasPrefix("sft_"))
        XCTAssertGreaterThanOrEqual(token.count, 40)
        XCTAssertFalse(tokens.text.contains(token), "only the hash is written")
        XCTAssertTrue(tokens.text.contains(APITokens.hash(token)))
        XCTAssertEqual(tokens.identity(forToken: token), ClientIdentity(role: .submitter, name: "alice"))
        XCTAssertNil(tokens.identity(forToken: token + "x"))
        XCTAssertThrowsError(try tokens.create(name: "w", role: .worker))
        XCTAssertThrowsError(try tokens.create(name: "bad name", role: .viewer))
        let (parsed, problems) = APITokens.parse(tokens.text + "admin nothex bob\nworker \(APITokens.hash("x")) w\nviewer \(APITokens.hash("y"))\n")
        XCTAssertEqual(parsed, tokens, "bad lines are left out")
        XCTAssertEqual(problems.count, 3, "\(problems)")
        XCTAssertEqual(tokens.revoke(name: "alice"), 1)
        XCTAssertNil(tokens.identity(forToken: token))
    }

    func testTheGrafanaDashboardNamesOnlyMetricsTheCoordinatorServes() async throws {
        let farm = try await HTTPFarm()
        let viewer = try farm.token("grafana", .viewer)
        let metrics = try await farm.request("GET", "/metrics", token: viewer)
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") ?? false, "\(metrics.headers)")
        let exported = Set(metrics.text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        XCTAssertTrue(exported.isSuperset(of: ["stylefarm_tasks_completed_total", "stylefarm_workers", "stylefarm_tasks",
                                               "stylefarm_loop_iteration_seconds", "stylefarm_store_write_seconds"]), "\(exported.sorted())")
        let dashboard = try String(contentsOf: Self.repository.appendingPathComponent("deploy/grafana/stylefarm.json"), encoding: .utf8)
        let named = try NSRegularExpression(pattern: "stylefarm_[a-z_]+").matches(in: dashboard, range: NSRange(dashboard.startIndex..., in: dashboard))
            .map { String(dashboard[Range($0.range, in: dashboard)!]) }
        XCTAssertFalse(named.isEmpty)
        for name in Set(named) {
            let base = name.replacingOccurrences(of: "_bucket", with: "").replacingOccurrences(of: "_count", with: "")
            XCTAssertTrue(exported.contains(base) || exported.contains(name), "the Grafana dashboard names \(name), which /metrics does not export")
        }
        let anonymous = try await farm.request("GET", "/metrics")
        XCTAssertEqual(anonymous.status, 401)
        await farm.close()
    }

    func testThumbnailsAndTheDashboardFiles() async throws {
        let farm = try await HTTPFarm()
        let viewer = try farm.token("viewer", .viewer)
        let page = try await farm.request("GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<script src=\"/ui/app.js\">"), page.text)
        for (file, type) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
            let answer = try await farm.request("GET", "/ui/\(file)")
            XCTAssertEqual(answer.status, 200)
            XCTAssertTrue(answer.headers["content-type"]?.hasPrefix(type) ?? false)
        }
        let missing = try await farm.request("GET", "/ui/secret.txt")
        XCTAssertEqual(missing.status, 404)
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page loads nothing from elsewhere")

        let admin = try farm.token("admin", .admin)
        let jobID = try await farm.submitEcho("thumbs", token: admin)
        let pending = try await farm.request("GET", "/api/v1/jobs/\(jobID)/frames/2/thumbnail?access_token=\(viewer)")
        XCTAssertEqual(pending.status, 409, "a frame not rendered yet has no thumbnail: \(pending.text)")
        let outside = try await farm.request("GET", "/api/v1/jobs/\(jobID)/frames/99/thumbnail", token: viewer)
        XCTAssertEqual(outside.status, 404, outside.text)
        let forged = try await farm.request("GET", "/api/v1/jobs/\(jobID)/frames/2/thumbnail?access_token=sft_nope")
        XCTAssertEqual(forged.status, 401)
        let posted = try await farm.request("POST", "/api/v1/jobs/\(jobID)/cancel?access_token=\(admin)")
        XCTAssertEqual(posted.status, 401, "a query token is for GET requests only")

        // A thumbnail of a real PNG: scaled to 256 on its longer side, made once.
        let picture = farm.stateDirectory.appendingPathComponent("frame.png")
        try ImageWriter.writePNG(Image(width: 640, height: 360, channels: 3, repeating: 0.5), to: picture.path)
        let thumbnails = Thumbnails()
        let png = try await thumbnails.png(of: picture.path)
        let image = try ImageReader.decode(png)
        XCTAssertEqual([image.width, image.height], [256, 144])
        let again = try await thumbnails.png(of: picture.path)
        XCTAssertEqual(again, png)
        do { _ = try await thumbnails.png(of: farm.stateDirectory.appendingPathComponent("none.png").path); XCTFail("no file, no thumbnail") } catch {}

        // An OpenEXR output previews as its job reads it back: through the job's colour space into sRGB (linear 0.18
        // grey is 0.46 encoded; in ACEScg, neutral grey stays grey), not refused as an unknown format.
        let exr = farm.stateDirectory.appendingPathComponent("frame.exr")
        try FileBytes.writeAtomically(try OpenEXR.encode(Image(width: 64, height: 32, channels: 3, repeating: 0.18), name: "frame"), to: exr.path)
        for plate in [PlateSettings(), PlateSettings(colorSpace: .acescg)] {
            let preview = try ImageReader.decode(try await Thumbnails().png(of: exr.path, plate: plate))
            XCTAssertEqual([preview.width, preview.height], [64, 32])
            XCTAssertEqual(preview[x: 10, y: 10, c: 1], Float(ColorSpace.encode(0.18)), accuracy: 0.01, "\(String(describing: plate.colorSpace))")
        }

        // A contact sheet: cells 160 pixels wide, 4 between them, each frame where its number puts it.
        var paths: [String] = []
        for (n, value) in [Float(0.1), 0.5, 0.9].enumerated() {
            let path = farm.stateDirectory.appendingPathComponent("f\(n).png").path
            try ImageWriter.writePNG(Image(width: 320, height: 180, channels: 3, repeating: value), to: path)
            paths.append(path)
        }
        let sheet = try ImageReader.decode(try await thumbnails.contactSheet(of: paths, columns: 2, plate: PlateSettings()))
        XCTAssertEqual([sheet.width, sheet.height], [4 + 2 * 164, 4 + 2 * 94], "cells 160 wide, 90 high (16:9)")
        // Cell centres: (0,0) → 0.1, (1,0) → 0.5, (0,1) → 0.9; the fourth cell stays background.
        for (x, y, expected) in [(84, 49, Float(0.1)), (248, 49, 0.5), (84, 143, 0.9), (248, 143, 0.15)] {
            XCTAssertEqual(sheet[x: x, y: y, c: 0], expected, accuracy: 0.01, "cell at \(x),\(y)")
        }
        XCTAssertEqual(Thumbnails.evenlySpaced(Array(0..<1000), count: 120).count, 120)
        XCTAssertEqual(Thumbnails.evenlySpaced(Array(0..<1000), count: 120).first, 0)
        XCTAssertEqual(Thumbnails.evenlySpaced(Array(0..<1000), count: 120).last, 999)
        XCTAssertEqual(Thumbnails.evenlySpaced([1, 2, 3], count: 120), [1, 2, 3])
        await farm.close()
    }

    func testTheFarmWideStreamShowsEachCallerTheJobsItMaySee() async throws {
        let farm = try await HTTPFarm()
        let alice = try farm.token("alice", .submitter), bob = try farm.token("bob", .submitter), wall = try farm.token("wall", .viewer)
        let alicesStream = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: alice)
        let wallsStream = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: wall)
        XCTAssertTrue(alicesStream.read(for: 5) { $0.contains(": watching every job") }, alicesStream.text)
        XCTAssertTrue(alicesStream.text.hasPrefix("HTTP/1.1 200"), alicesStream.text)
        XCTAssertTrue(wallsStream.read(for: 5) { $0.contains(": watching every job") }, wallsStream.text)

        let bobsJob = try await farm.submitEcho("bobs", token: bob)
        let alicesJob = try await farm.submitEcho("alices", token: alice)
        XCTAssertTrue(wallsStream.read(for: 5) { _ in Set(wallsStream.events.compactMap { $0["job_id"] as? String }) == [bobsJob, alicesJob] },
                      "a viewer's stream shows every new job: \(wallsStream.text)")
        XCTAssertTrue(alicesStream.read(for: 5) { _ in alicesStream.events.contains { $0["job_id"] as? String == alicesJob } }, alicesStream.text)
        let cancelled = try await farm.request("POST", "/api/v1/jobs/\(alicesJob)/cancel", token: alice)
        XCTAssertEqual(cancelled.status, 200)
        XCTAssertTrue(alicesStream.read(for: 5) { _ in alicesStream.events.contains { $0["job_state"] as? String == "cancelled" } }, alicesStream.text)
        XCTAssertFalse(alicesStream.events.contains { $0["job_id"] as? String == bobsJob }, "a submitter's farm stream shows only its own jobs")
        XCTAssertFalse(alicesStream.events.contains { $0["terminal"] as? Bool == true }, "the farm stream outlives every job")
        XCTAssertTrue(alicesStream.events.allSatisfy { $0["frame"] == nil }, "summaries only")
        let sequences = alicesStream.events.compactMap { $0["sequence"] as? Int }
        XCTAssertEqual(sequences, Array(1...sequences.count))
        await farm.close()
    }

    func testACallerHoldsABoundedNumberOfEventStreams() async throws {
        let farm = try await HTTPFarm(streamsPerCaller: 2)
        let alice = try farm.token("alice", .submitter), bob = try farm.token("bob", .submitter)
        var held: [StreamReader] = []
        for _ in 0..<2 {
            let stream = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: alice)
            XCTAssertTrue(stream.read(for: 5) { $0.contains(": watching every job") }, stream.text)
            held.append(stream)
        }
        let third = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: alice)
        XCTAssertTrue(third.read(for: 5) { $0.contains("\r\n\r\n") && $0.contains("}") }, third.text)
        XCTAssertTrue(third.text.hasPrefix("HTTP/1.1 429"), third.text)
        XCTAssertTrue(third.text.contains("already has 2 event streams open"), third.text)
        let bobs = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: bob)
        XCTAssertTrue(bobs.read(for: 5) { $0.contains(": watching every job") }, "another caller is not held back: \(bobs.text)")

        // Closing a stream gives its place back (once the server notices the connection is gone).
        held.removeFirst()
        var reopened = false
        let deadline = Date().addingTimeInterval(20)
        while !reopened && Date() < deadline {
            // Something to write makes the server find the closed connection.
            _ = try await farm.submitEcho("nudge-\(UUID().uuidString.prefix(6))", token: alice)
            let again = try StreamReader(port: farm.http.port, path: "/api/v1/events", token: alice)
            again.read(for: 1) { $0.contains(": watching every job") || $0.contains("429") }
            reopened = again.text.contains(": watching every job")
        }
        XCTAssertTrue(reopened, "a closed stream's place is given back")
        await farm.close()
    }
}
