import Coordinator
import Foundation
import HTTPAPI
import Protocol
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A coordinator (its loop on a thread of its own, plain TCP on 127.0.0.1) with the HTTP API in front of it on
/// a free loopback port, and bearer tokens in its state folder; requests go over real HTTP.
final class HTTPFarm: @unchecked Sendable {
    let stateDirectory: URL
    let tokens: APITokenFile?
    private(set) var http: HTTPAPIServer!
    private(set) var clientEndpoint = ""
    private let stopLoop = StopFlag()
    private let loopDone = DispatchSemaphore(value: 0)

    final class StopFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var set = false
        var isSet: Bool { lock.withLock { set } }
        func raise() { lock.withLock { set = true } }
    }

    /// `withTokens` false: an `--insecure` farm (every request is an admin's).
    /// `tls`: serve HTTPS (then `base` is an https:// address).
    init(withTokens: Bool = true, streamsPerCaller: Int = 64, tls: HTTPTLS? = nil) async throws {
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-http-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        tokens = withTokens ? APITokenFile(stateDirectory: stateDirectory) : nil
        let ready = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var started: Result<(HTTPAPIServer.Coordinator, String), any Error>?
        let directory = stateDirectory, stop = stopLoop, done = loopDone
        let thread = Thread {
            do {
                let configuration = CoordinatorServer.Configuration(stateDirectory: directory, workerEndpoint: "tcp://127.0.0.1:*",
                                                                    clientEndpoint: "tcp://127.0.0.1:*",
                                                                    heartbeatInterval: .milliseconds(100))
                let server = try CoordinatorServer(configuration: configuration)
                server.log = { _ in }
                started = .success((HTTPAPIServer.Coordinator(server), server.clientEndpoint))
                ready.signal()
                try? server.run(until: { stop.isSet })
                server.close()
            } catch {
                started = .failure(error)
                ready.signal()
            }
            done.signal()
        }
        thread.start()
        ready.wait()
        let (coordinator, endpoint) = try started!.get()
        clientEndpoint = endpoint
        var configuration = HTTPAPIServer.Configuration(host: "127.0.0.1", port: 0, tokens: tokens)
        configuration.streamsPerCaller = streamsPerCaller
        configuration.tls = tls
        scheme = tls == nil ? "http" : "https"
        do {
            http = try await HTTPAPIServer.start(configuration, coordinator: coordinator)
        } catch {
            await close()
            throw error
        }
    }

    func close() async {
        await http?.stop()
        stopLoop.raise()
        loopDone.wait()
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    /// A new token for `name` with `role`.
    func token(_ name: String, _ role: FarmRole) throws -> String {
        try XCTUnwrap(tokens).update { try $0.create(name: name, role: role) }
    }

    private var scheme = "http"
    var base: String { "\(scheme)://127.0.0.1:\(http.port)" }

    struct Answer {
        var status: Int
        var body: Data
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any], text)
        }
        /// The error's code and message of an error answer.
        var error: (code: String, message: String)? {
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let error = object["error"] as? [String: Any] else { return nil }
            return (error["code"] as? String ?? "", error["message"] as? String ?? "")
        }
    }

    func request(_ method: String, _ path: String, token: String? = nil, body: Data? = nil,
                 contentType: String? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
        return Answer(status: http.statusCode, body: data, headers: headers)
    }

    func json(_ method: String, _ path: String, token: String? = nil, _ object: [String: Any]) async throws -> Answer {
        try await request(method, path, token: token, body: try JSONSerialization.data(withJSONObject: object),
                          contentType: "application/json")
    }

    /// An echo job's spec (YAML): `frames` tasks that sleep, writing into a folder of the state directory.
    func echoSpec(_ name: String, frames: String = "1-4", seconds: Double = 0.1) -> Data {
        Data("""
            name: \(name)
            kind: echo
            frames: \(frames)
            echo_seconds: \(seconds)
            output_dir: \(stateDirectory.appendingPathComponent("out-\(name)").path)
            """.utf8)
    }

    /// Submits an echo job over HTTP and returns its id.
    func submitEcho(_ name: String, token: String?, frames: String = "1-4") async throws -> String {
        let answer = try await request("POST", "/api/v1/jobs", token: token, body: echoSpec(name, frames: frames), contentType: "application/yaml")
        XCTAssertEqual(answer.status, 201, answer.text)
        return try XCTUnwrap(try answer.json()["id"] as? String, answer.text)
    }
}
