import ArgumentParser
import Coordinator
import HTTPAPI
import Engine
import Foundation
import JobModel
import ModelStore
import Protocol

/// `stylefarm coordinator`: the farm's coordinator. Binds a ROUTER for workers and one for clients,
/// keeps job state in SQLite under `--state-dir`, dispatches tasks to workers by their credits and
/// writes finished frames into each job's output folder. SIGINT/SIGTERM: close cleanly, exit 0.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the render-farm coordinator (workers connect to --bind-workers, clients to --bind-clients).",
        discussion: "The wire protocol is documented in docs/PROTOCOL.md; job specs in docs/JOBS.md.")

    @Option(help: "Endpoint for workers (default \(FarmDefaults.workerEndpoint); with --insecure \(Self.loopbackWorkers)).")
    var bindWorkers: String?

    @Option(help: "Endpoint for clients: submit, status, watch, cancel (default \(FarmDefaults.clientEndpoint); with --insecure \(Self.loopbackClients)).")
    var bindClients: String?

    @Flag(help: ArgumentHelp("Plain TCP without CurveZMQ: anyone who reaches the ports can do anything, so only loopback binds are allowed.",
                             discussion: "Without it the coordinator encrypts and authenticates every connection with the keys in <state-dir>/keys (made on first start, with an admin credential; `stylefarm keys` adds workers and clients). docs/SECURITY.md."))
    var insecure = false

    @Option(help: ArgumentHelp("A folder jobs' content, styles and masks may be read from (repeatable).",
                               discussion: "Without it the coordinator reads any file a job names that it can read. Paths count by where they really are (symlinks and .. resolved); devices, FIFOs, sockets and /proc are never read."))
    var allowRead: [String] = []

    @Option(help: "A folder jobs' outputs may be written to (repeatable; without it, anywhere the coordinator can write).")
    var allowWrite: [String] = []

    @Option(help: "The most task slots a worker may register.")
    var maxSlotsPerWorker: Int = 1024

    @Option(help: "The most tasks one job may plan; a larger job is refused at submit.")
    var maxTasksPerJob: Int = CoordinatorServer.Configuration.defaultMaxTasksPerJob

    @Option(help: ArgumentHelp("Seconds a task may run when its job sets no task_timeout (default: no limit).",
                               discussion: "A task past its limit is cancelled on its worker and retried; the attempt counts, with outcome timeout."))
    var taskTimeout: Double?

    @Option(help: ArgumentHelp("Jobs at this priority or above may call back running tasks of lower jobs when no slot is free (default: never).",
                               discussion: "The called-back attempts end as cancelled and are not counted; the tasks wait in the queue."))
    var preemptAbove: Int?

    @Option(help: "Seconds between collections of files no job refers to (0: only on `stylefarm gc`).")
    var gcInterval: Double = 3600

    @Option(help: ArgumentHelp("Mark a worker unhealthy (no tasks of any job) once it is blocklisted on this many jobs in a day (0: never).",
                               discussion: "Only jobs that other workers render count: a job that fails everywhere is the job's fault. `stylefarm unblock --worker W` clears the mark."))
    var unhealthyAfter: Int = 3

    @Option(help: ArgumentHelp("Serve the HTTP/JSON API (api/openapi.yaml) on HOST:PORT, e.g. 127.0.0.1:8080 (default: off).",
                               discussion: "Requests need a bearer token from `stylefarm token create` unless the farm runs --insecure. A non-loopback address needs TLS (--http-tls-cert and --http-tls-key) or --http-insecure (behind a TLS proxy). docs/HTTP.md."))
    var http: String?

    @Option(help: "Serve --http as HTTPS with this PEM certificate chain (the server's certificate first).")
    var httpTlsCert: String?

    @Option(help: "The PEM private key of --http-tls-cert (mode 0600: a key other users may read is refused).")
    var httpTlsKey: String?

    @Flag(help: "Let --http bind a non-loopback address without TLS (tokens cross the network in clear text).")
    var httpInsecure = false

    /// `--http-tls-cert` and `--http-tls-key`, when both are given.
    var httpTLS: HTTPTLS? {
        guard let httpTlsCert, let httpTlsKey else { return nil }
        return HTTPTLS(certificateChainPath: httpTlsCert, privateKeyPath: httpTlsKey)
    }

    /// The exit status when the job database is damaged (EX_DATAERR): restarting cannot help.
    static let corruptDatabaseExitStatus: Int32 = 65

    static let loopbackWorkers = "tcp://127.0.0.1:5555"
    static let loopbackClients = "tcp://127.0.0.1:5556"

    var workerEndpoint: String { bindWorkers ?? (insecure ? Self.loopbackWorkers : FarmDefaults.workerEndpoint) }
    var clientEndpoint: String { bindClients ?? (insecure ? Self.loopbackClients : FarmDefaults.clientEndpoint) }

    /// Whether `endpoint` can only be reached from this machine: ipc://, or tcp:// on 127.0.0.0/8, ::1 or localhost.
    static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let rest = endpoint.dropFirst("tcp://".count)
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            host = rest[rest.index(after: rest.startIndex)..<close]
            return host == "::1"
        }
        host = rest.split(separator: ":", maxSplits: 1).first ?? ""
        return host == "localhost" || host.hasPrefix("127.")
    }

    @Option(help: "Folder for the job database (jobs.sqlite).")
    var stateDir: String = "stylefarm-state"

    @Option(help: "Heartbeat interval in milliseconds.")
    var heartbeatMs: Int = 1000

    @Option(help: "Missed heartbeats after which a peer is dead.")
    var liveness: Int = FarmDefaults.heartbeatLiveness

    @Option(help: "Model directory for computing style targets (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    @Option(help: "Threads for computing style targets (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Largest style image, in pixels at a job's output scale, computed in one network pass (default \(StyleTargets.tiledGramPixels)).",
                               discussion: "Larger style images are summed in cores of --style-core-size, by the workers (jobs without regions) rather than the coordinator."))
    var stylePassPixels: Int?

    @Option(help: "Core side (a multiple of 16) of the parts a larger style image is summed in (default \(StyleTargets.tiledGramCore)).")
    var styleCoreSize: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if heartbeatMs < 1 { throw ValidationError("--heartbeat-ms must be positive (got \(heartbeatMs))") }
        if let stylePassPixels, stylePassPixels < 256 { throw ValidationError("--style-pass-pixels must be at least 256 (got \(stylePassPixels))") }
        if let styleCoreSize, styleCoreSize < 16 || styleCoreSize % 16 != 0 {
            throw ValidationError("--style-core-size must be a positive multiple of 16 (got \(styleCoreSize))")
        }
        if liveness < 1 { throw ValidationError("--liveness must be at least 1 (got \(liveness))") }
        if maxSlotsPerWorker < 1 { throw ValidationError("--max-slots-per-worker must be at least 1 (got \(maxSlotsPerWorker))") }
        if let taskTimeout, !(taskTimeout.isFinite && JobSpec.taskTimeoutRange.contains(taskTimeout)) {
            throw ValidationError("--task-timeout must be 0 (no limit) to \(Int(JobSpec.taskTimeoutRange.upperBound)) seconds (got \(taskTimeout))")
        }
        if let preemptAbove, !(0...100).contains(preemptAbove) {
            throw ValidationError("--preempt-above must be a priority 0–100 (got \(preemptAbove))")
        }
        if !(0...1000).contains(unhealthyAfter) { throw ValidationError("--unhealthy-after must be 0 (never) to 1000 (got \(unhealthyAfter))") }
        if maxTasksPerJob < 1 { throw ValidationError("--max-tasks-per-job must be at least 1 (got \(maxTasksPerJob))") }
        for endpoint in [workerEndpoint, clientEndpoint] where !(endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://")) {
            throw ValidationError("endpoints must be ZeroMQ tcp:// or ipc:// addresses (got \(endpoint))")
        }
        if let http {
            let address: (host: String, port: Int)
            do { address = try HTTPAPIServer.Configuration.address(http) } catch { throw ValidationError("\(error)") }
            if (httpTlsCert == nil) != (httpTlsKey == nil) {
                throw ValidationError("--http-tls-cert and --http-tls-key go together: give the certificate chain and its private key")
            }
            if !HTTPAPIServer.Configuration.isLoopback(address.host) {
                if !httpInsecure && httpTLS == nil { throw ValidationError("\(HTTPAPIError.notLoopback(address.host))") }
                if insecure { throw ValidationError("\(HTTPAPIError.openToTheNetwork(address.host))") }
            }
        } else if httpInsecure || httpTlsCert != nil || httpTlsKey != nil {
            throw ValidationError("--http-insecure, --http-tls-cert and --http-tls-key need --http HOST:PORT")
        }
        if insecure {
            for endpoint in [workerEndpoint, clientEndpoint] where !Self.isLoopback(endpoint) {
                throw ValidationError("--insecure binds loopback addresses only (127.0.0.1, ::1, localhost, ipc://), not \(endpoint): without CurveZMQ anyone who reaches the port controls the farm. Drop --insecure to use the keys in \(stateDir)/keys.")
            }
        }
    }

    func run() throws {
        var security: CoordinatorSecurity?
        var securityLine = "plain TCP on loopback (--insecure)"
        if !insecure {
            let (folder, created) = try KeyFolder.openOrCreate(stateDirectory: URL(fileURLWithPath: stateDir))
            security = CoordinatorSecurity(folder: folder)
            securityLine = "CurveZMQ, public key \(folder.coordinatorKeys.publicKey), authorized keys in \(folder.authorizedKeysPath)"
            if created {
                FileHandle.standardError.write(Data(("stylefarm coordinator: made new keys in \(folder.directory.path); an admin credential is in \(folder.adminCredentialPath) "
                    + "(clients: --credential or $\(Credential.environmentVariable)); add workers with `stylefarm keys create --role worker`\n").utf8))
            }
        }
        var configuration = CoordinatorServer.Configuration(
            stateDirectory: URL(fileURLWithPath: stateDir),
            workerEndpoint: workerEndpoint, clientEndpoint: clientEndpoint,
            heartbeatInterval: .milliseconds(heartbeatMs), heartbeatLiveness: liveness, security: security)
        configuration.maxSlotsPerWorker = maxSlotsPerWorker
        configuration.defaultTaskTimeout = taskTimeout
        configuration.garbageCollectionInterval = gcInterval > 0 ? gcInterval : nil
        configuration.preemptAbove = preemptAbove
        configuration.unhealthyAfter = unhealthyAfter
        configuration.pathPolicy = try PathPolicy(readRoots: allowRead.isEmpty ? nil : allowRead,
                                                  writeRoots: allowWrite.isEmpty ? nil : allowWrite)
        if allowRead.isEmpty && !insecure {
            FileHandle.standardError.write(Data("stylefarm coordinator: no --allow-read: a submitter's job may name any file this process can read (docs/SECURITY.md)\n".utf8))
        }
        configuration.maxTasksPerJob = maxTasksPerJob
        if let threads { EngineThreads.set(threads) }
        if let stylePassPixels { StyleTargets.tiledGramPixels = stylePassPixels }
        if let styleCoreSize { StyleTargets.tiledGramCore = styleCoreSize }
        let models = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
        let server: CoordinatorServer
        do {
            server = try CoordinatorServer(configuration: configuration, vggCache: models.vggCache())
        } catch let error as PersistenceError where error.isCorruptDatabase {
            // One clear line and an exit status the service manager does not restart on (RestartPreventExitStatus).
            FileHandle.standardError.write(Data("stylefarm coordinator: \(error)\n".utf8))
            throw ExitCode(Self.corruptDatabaseExitStatus)
        }
        let stop = SignalStop()
        FileHandle.standardError.write(Data(
            "stylefarm coordinator: workers at \(server.workerEndpoint), clients at \(server.clientEndpoint), state in \(stateDir), \(securityLine)\n".utf8))
        var httpServer: HTTPAPIServer?
        if let http {
            let address = try HTTPAPIServer.Configuration.address(http)
            let tokens = insecure ? nil : APITokenFile(stateDirectory: URL(fileURLWithPath: stateDir))
            var httpConfiguration = HTTPAPIServer.Configuration(host: address.host, port: address.port, tokens: tokens)
            httpConfiguration.allowInsecure = httpInsecure
            httpConfiguration.tls = httpTLS
            do {
                httpServer = try HTTPAPIServer.startBlocking(httpConfiguration, coordinator: .init(server))
            } catch {
                server.close()
                throw ValidationError("\(error)")
            }
            let access = tokens.map { "bearer tokens from \($0.path)" } ?? "no tokens (--insecure)"
            FileHandle.standardError.write(Data("stylefarm coordinator: HTTP API at \(httpTLS == nil ? "http" : "https")://\(address.host):\(httpServer!.port)/api/v1, \(access)\n".utf8))
        }
        defer { httpServer?.stopBlocking() }
        try server.run(until: { stop.isSet })
        stop.cancel()
        httpServer?.stopBlocking()
        httpServer = nil
        server.close()
        FileHandle.standardError.write(Data("stylefarm coordinator: stopped\n".utf8))
    }
}
