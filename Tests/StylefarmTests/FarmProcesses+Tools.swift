import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Running other programs beside a farm (Python checks, protoc, a browser's driver): their output goes to a log in
/// the farm's folder and comes back with their status.
extension FarmProcesses {
    /// The repository's root (for scripts under Tests/ and clients/).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `executable` with `arguments` (and `environment` added to this process's), at most `timeout` seconds;
    /// returns its status and everything it printed.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
             timeout: TimeInterval) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let log = directory.appendingPathComponent("tool-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// A Python with `packages` from PyPI: a virtual environment `name` in the temporary folder, kept across runs
    /// while `imports` still import. Skips, saying why, without python3, its venv module or PyPI.
    func python(_ name: String, packages: [String], imports: String) throws -> String {
        let venv = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        let python = venv.appendingPathComponent("bin/python").path
        if FileManager.default.isExecutableFile(atPath: python), (try? run(python, ["-c", "import \(imports)"], timeout: 60).status) == 0 {
            return python
        }
        guard (try? run("/usr/bin/env", ["python3", "--version"], timeout: 30).status) == 0 else {
            throw XCTSkip("no python3 on PATH: these checks run in Python (scripts/setup.sh installs it)")
        }
        try? FileManager.default.removeItem(at: venv)
        let made = try run("/usr/bin/env", ["python3", "-m", "venv", venv.path], timeout: 120)
        guard made.status == 0 else { throw XCTSkip("cannot make a Python virtual environment (python3-venv): \(made.output.suffix(300))") }
        let installed = try run(venv.appendingPathComponent("bin/pip").path, ["install", "-q", "--disable-pip-version-check"] + packages, timeout: 600)
        guard installed.status == 0 else {
            throw XCTSkip("\(packages.joined(separator: " ")) could not be installed from PyPI: \(installed.output.suffix(300))")
        }
        return python
    }

    /// A bearer token for the HTTP API, made as an operator would (`stylefarm token create`).
    func token(_ name: String, role: String) throws -> String {
        let made = try cli(["token", "create", "--state-dir", stateDirectory.path, "--name", name, "--role", role])
        XCTAssertEqual(made.status, 0, made.stderr)
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One HTTP request (with a bearer token when given): the status and the body.
    func http(_ url: String, method: String = "GET", token: String? = nil, body: Data? = nil, contentType: String? = nil,
              timeout: TimeInterval = 10) async throws -> (status: Int, data: Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Starts the coordinator with `--http` on a free loopback port and `workers`, and waits until the HTTP server
    /// answers; returns its base URL.
    func startWithHTTP(workers: [String] = ["one"]) async throws -> String {
        let httpPort = FarmProcesses.freePortPair()
        let base = "http://127.0.0.1:\(httpPort)"
        try startCoordinator(extra: ["--http", "127.0.0.1:\(httpPort)"])
        for worker in workers { try startWorker(worker) }
        let up = try await waitForHTTP(base)
        XCTAssertTrue(up, logs)
        return base
    }

    /// Waits (10 s at most) until `base`'s `/healthz` answers: the HTTP server of a process just started listens.
    func waitForHTTP(_ base: String) async throws -> Bool {
        for _ in 0..<100 {
            if (try? await http(base + "/healthz", timeout: 1))?.status == 200 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
