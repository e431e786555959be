import Coordinator
import Engine
import Foundation
import ModelStore
import Protocol

/// A farm on this machine, for `stylefarm render` and the farm benchmarks: a coordinator on its own
/// thread of this process (ROUTERs on 127.0.0.1, ephemeral ports, state in `stateDirectory`) and
/// `workers` worker processes of this same executable, each with `threadsPerWorker` BLAS threads,
/// its own blob cache and its log in the state folder. Workers exit by themselves if this process
/// dies (`--parent-pid`). `shutdown()` stops everything (SIGINT to workers, SIGKILL after a grace period).
/// The farm uses CurveZMQ like any other (docs/SECURITY.md) with keys made for this run: the workers'
/// credential is written to the state folder (mode 0600), the clients' (`credential`) stays in memory.
/// `insecure` (benchmarks of the encryption's cost) runs plain TCP instead.
final class LocalFarm {
    let stateDirectory: URL
    private(set) var workerEndpoint = ""
    private(set) var clientEndpoint = ""
    /// The admin credential clients of this farm use (`client(timeout:)`); nil when insecure.
    let credential: Credential?
    private var workers: [Process] = []
    private let coordinatorThread: Thread
    private let stopFlag = LockedFlag()
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var startError: Error?

    /// Starts the coordinator (and waits until it listens), then the workers.
    /// `configure` runs on the coordinator thread before it serves (benchmarks install hooks there).
    /// `workersPerProcess` > 1 (benchmarks): the workers run that many to a process (`worker --simulate`).
    init(stateDirectory: URL, workers count: Int, threadsPerWorker: Int, slotsPerWorker: Int = 1, modelDirectory: String?,
         heartbeat: Duration = FarmDefaults.heartbeatInterval, insecure: Bool = false, workersPerProcess: Int = 1,
         configure: (@Sendable (CoordinatorServer) -> Void)? = nil) throws {
        self.stateDirectory = stateDirectory
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        var security: CoordinatorSecurity?
        var workerCredentialPath: String?
        if insecure {
            credential = nil
        } else {
            let coordinatorKeys = try CurveKeyPair.generate()
            let workerCredential = Credential(name: "local-workers", role: .worker, coordinatorKey: coordinatorKeys.publicKey,
                                              keys: try CurveKeyPair.generate())
            let clientCredential = Credential(name: "local", role: .admin, coordinatorKey: coordinatorKeys.publicKey,
                                              keys: try CurveKeyPair.generate())
            let path = stateDirectory.appendingPathComponent("worker.credential").path
            try? FileManager.default.removeItem(atPath: path)  // an earlier run's, with keys that are gone
            try workerCredential.write(to: path)
            workerCredentialPath = path
            credential = clientCredential
            security = CoordinatorSecurity(keys: coordinatorKeys, authorized: .fixed(AuthorizedKeys([
                .init(role: .worker, publicKey: workerCredential.keys.publicKey, name: workerCredential.name),
                .init(role: .admin, publicKey: clientCredential.keys.publicKey, name: clientCredential.name)])))
        }
        let logURL = stateDirectory.appendingPathComponent("coordinator.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let models = ModelStore(directory: ModelDirectory.resolve(explicit: modelDirectory))
        let configuration = CoordinatorServer.Configuration(stateDirectory: stateDirectory,
                                                            workerEndpoint: "tcp://127.0.0.1:*",
                                                            clientEndpoint: "tcp://127.0.0.1:*",
                                                            heartbeatInterval: heartbeat, security: security)
        let outcome = StartOutcome()
        let flag = stopFlag, ready = started, done = finished
        coordinatorThread = Thread {
            defer { done.signal() }
            let log = try? FileHandle(forWritingTo: logURL)
            let server: CoordinatorServer
            do {
                server = try CoordinatorServer(configuration: configuration, vggCache: models.vggCache())
            } catch {
                outcome.failure = error
                ready.signal()
                return
            }
            server.log = { line in log?.write(Data((line + "\n").utf8)) }
            configure?(server)
            outcome.endpoints = (server.workerEndpoint, server.clientEndpoint)
            ready.signal()
            do { try server.run(until: { flag.isSet }) } catch { log?.write(Data("server stopped: \(error)\n".utf8)) }
            server.close()
            try? log?.close()
        }
        coordinatorThread.name = "stylefarm-coordinator"
        coordinatorThread.start()
        started.wait()
        if let failure = outcome.failure { throw failure }
        (workerEndpoint, clientEndpoint) = outcome.endpoints

        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let perProcess = max(1, workersPerProcess)
        for i in 0..<((count + perProcess - 1) / perProcess) {
            let process = Process()
            process.executableURL = executable
            let simulated = min(perProcess, count - i * perProcess)
            var arguments = ["worker", "--connect", workerEndpoint, "--threads", String(threadsPerWorker),
                             "--simulate", String(simulated),
                             "--slots", String(slotsPerWorker), "--worker-id", "local-\(i + 1)",
                             "--cache-dir", stateDirectory.appendingPathComponent("worker-\(i + 1)/blobs").path,
                             "--parent-pid", String(getpid()),
                             "--heartbeat-ms", String(heartbeat.components.seconds * 1000 + heartbeat.components.attoseconds / 1_000_000_000_000_000)]
            if let modelDirectory { arguments += ["--model-dir", modelDirectory] }
            if let workerCredentialPath { arguments += ["--credential", workerCredentialPath] }
            process.arguments = arguments
            let workerLog = stateDirectory.appendingPathComponent("worker-\(i + 1).log")
            _ = FileManager.default.createFile(atPath: workerLog.path, contents: nil)
            let handle = try FileHandle(forWritingTo: workerLog)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            workers.append(process)
        }
    }

    /// A client of this farm's coordinator, with its credential.
    func client(timeout: Duration) throws -> CoordinatorClient {
        try CoordinatorClient(endpoint: clientEndpoint, timeout: timeout, credential: credential)
    }

    /// Worker processes that are still running.
    var runningWorkers: Int { workers.filter(\.isRunning).count }

    /// SIGINT to every worker (they disconnect and cancel their tasks), SIGKILL to those still alive
    /// after `grace`, then stops the coordinator thread. Idempotent.
    func shutdown(grace: TimeInterval = 10) {
        for process in workers where process.isRunning { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(grace)
        while workers.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for process in workers where process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        workers = []
        if !stopFlag.isSet {
            stopFlag.set()
            finished.wait()
        }
    }

    deinit { shutdown() }
}

/// What the coordinator thread reports once it listens (or failed to); read after the semaphore.
private final class StartOutcome: @unchecked Sendable {
    var endpoints = ("", "")
    var failure: Error?
}

/// A Bool that any thread can set and read.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
