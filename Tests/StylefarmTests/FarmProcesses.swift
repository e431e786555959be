import Coordinator
import Foundation
import Protocol
import XCTest

/// Coordinator and worker processes of the built `stylefarm` for multi-process tests: 127.0.0.1 only,
/// logs in a temporary folder, every process stopped (SIGINT, then SIGKILL) by `stopAll()`. Secure as a
/// real farm: the coordinator's keys folder is made before it starts (as `stylefarm keys` does), each worker
/// gets its own worker credential, clients use the admin credential; `insecure` runs plain TCP instead.
final class FarmProcesses {
    let directory: URL
    /// Below Linux's ephemeral range (32768–60999), so no outgoing connection of another test holds it, and
    /// probed free (both ports) before use: a random port there once collided ("Address already in use").
    let port = FarmProcesses.freePortPair()
    var workerEndpoint: String { "tcp://127.0.0.1:\(port)" }
    var clientEndpoint: String { "tcp://127.0.0.1:\(port + 1)" }
    private(set) var processes: [Process] = []
    let insecure: Bool
    var stateDirectory: URL { directory.appendingPathComponent("state") }
    /// The coordinator's keys (nil when insecure).
    let keys: KeyFolder?
    /// The admin credential clients use (nil when insecure).
    let credential: Credential?

    /// A port p with p and p + 1 free on 127.0.0.1 (bound and released once each to check).
    static func freePortPair() -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000...32_000)
            if isFree(port) && isFree(port + 1) { return port }
        }
        return Int.random(in: 20_000...32_000)
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    init(insecure: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sf-farm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.insecure = insecure
        if insecure {
            keys = nil
            credential = nil
        } else {
            let folder = try KeyFolder.openOrCreate(stateDirectory: directory.appendingPathComponent("state")).folder
            keys = folder
            credential = try Credential.read(path: folder.adminCredentialPath)
        }
    }

    /// The worker credential of worker `id` (made and authorized on first use).
    func workerCredentialPath(_ id: String) throws -> String? {
        guard let keys else { return nil }
        let path = directory.appendingPathComponent("worker-\(id).credential").path
        if !FileManager.default.fileExists(atPath: path) { _ = try keys.createCredential(name: "worker-\(id)", role: .worker, at: path) }
        return path
    }

    @discardableResult
    func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = CLIRunner.executableURL
        process.arguments = arguments
        let logURL = directory.appendingPathComponent(log)
        if !FileManager.default.fileExists(atPath: logURL.path) { _ = FileManager.default.createFile(atPath: logURL.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: logURL)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }

    @discardableResult
    func startCoordinator(heartbeatMs: Int = 200, extra: [String] = []) throws -> Process {
        try start(["coordinator", "--bind-workers", workerEndpoint, "--bind-clients", clientEndpoint,
                   "--state-dir", stateDirectory.path, "--heartbeat-ms", String(heartbeatMs)]
                  + (insecure ? ["--insecure"] : []) + extra,
                  log: "coordinator.log")
    }

    @discardableResult
    func startWorker(_ id: String, heartbeatMs: Int = 200, threads: Int = 1, extra: [String] = []) throws -> Process {
        try start(["worker", "--connect", workerEndpoint, "--worker-id", id, "--slots", "1", "--threads", String(threads),
                   "--heartbeat-ms", String(heartbeatMs), "--cache-dir", directory.appendingPathComponent("cache-\(id)").path]
                  + (try workerCredentialPath(id).map { ["--credential", $0] } ?? []) + extra,
                  log: "worker-\(id).log")
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// Every log, for failure messages.
    var logs: String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasSuffix(".log") }.sorted() ?? []
        return names.map { "--- \($0)\n" + log($0) }.joined(separator: "\n")
    }

    func client(timeout: Duration = .seconds(5)) throws -> CoordinatorClient {
        try CoordinatorClient(endpoint: clientEndpoint, timeout: timeout, credential: credential)
    }

    /// Runs the tool with the farm's admin credential in `$STYLEFARM_CREDENTIAL` (client commands use it).
    func cli(_ arguments: [String], timeout: TimeInterval = 600) throws -> CLIRunner.Result {
        try CLIRunner.run(arguments, environment: keys.map { [Credential.environmentVariable: $0.adminCredentialPath] }, timeout: timeout)
    }

    /// Polls the job's status (with frames) until `done` holds or `timeout` passes; returns the last status.
    func waitForStatus(_ jobID: String, timeout: TimeInterval = 60,
                       until done: (Stylefarm_V1_JobStatusReply) -> Bool) throws -> Stylefarm_V1_JobStatusReply? {
        let client = try client()
        defer { client.close() }
        let deadline = Date().addingTimeInterval(timeout)
        var last: Stylefarm_V1_JobStatusReply?
        while Date() < deadline {
            if let status = try? client.status(jobID, frames: true) {
                last = status
                if done(status) { return status }
            }
            usleep(100_000)
        }
        return last
    }

    /// Submits with retries while the coordinator is starting.
    func submit(_ spec: Stylefarm_V1_JobSpec, timeout: TimeInterval = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let client = try client()
            defer { client.close() }
            do { return try client.submit(spec) } catch CoordinatorClientError.timeout where Date() < deadline { continue }
        }
    }

    func stop(_ process: Process, signal: Int32 = SIGINT, within seconds: TimeInterval = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    func stopAll() {
        for p in processes where p.isRunning { p.interrupt() }
        for p in processes { stop(p, within: 5) }
        try? FileManager.default.removeItem(at: directory)
    }
}
