import ArgumentParser
import Dispatch
import Engine
import Foundation
import HTTPAPI
import JobModel
import ModelStore
import Worker

/// `stylefarm worker --connect tcp://HOST:5555`: a render-farm worker process. Registers with the
/// coordinator, pulls tasks (credit = `--slots`), runs them with the installed VGG weights and reports back;
/// reconnects with back-off when the coordinator goes away. SIGINT/SIGTERM: Disconnect, cancel running tasks
/// (the coordinator requeues them without using an attempt), exit 0. SIGUSR1: drain — take nothing new, finish
/// what runs, report it, then exit 0 (a Kubernetes `preStop`, a host going down for maintenance).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a render-farm worker connected to a coordinator.",
        discussion: """
            Signals: SIGTERM or SIGINT stops at once (running tasks go back to the queue without using an attempt); \
            SIGUSR1 drains (no new task; the running ones finish and are reported, then the worker exits 0).
            """)

    @Option(help: "The coordinator's worker endpoint, e.g. tcp://farm:5555.")
    var connect: String

    @Option(help: "Threads for the engine's kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Worker id, stable across restarts (default: host name and process id).")
    var workerId: String?

    @Option(help: "Tasks run at once.")
    var slots: Int = 1

    @Option(help: "Blob cache folder (default: ~/.cache/stylefarm/blobs).")
    var cacheDir: String?

    @Option(help: "Blob cache size bound in bytes.")
    var cacheBytes: Int = 4 << 30

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    @Option(help: "Heartbeat interval in milliseconds until the coordinator announces its own.")
    var heartbeatMs: Int = 1000

    @Option(help: ArgumentHelp("Serve this worker's Prometheus metrics at http://HOST:PORT/metrics (default: off).",
                               discussion: "Engine seconds per evaluation, tasks, peak memory, blob cache hits; no secrets, so no token (docs/HTTP.md)."))
    var metrics: String?

    @Option(help: CredentialFile.help)
    var credential: String?

    @Option(help: "Shared-filesystem tasks: a folder content frames and masks may be read from (repeatable; without it, any).")
    var allowRead: [String] = []

    @Option(help: "Shared-filesystem tasks: a folder outputs may be written to (repeatable; without it, any).")
    var allowWrite: [String] = []

    @Option(help: ArgumentHelp("Stop when the process with this id is no longer the parent (used by `render`).", visibility: .hidden))
    var parentPid: Int32?

    @Option(help: ArgumentHelp("Run this many workers in this process, ids WORKER-ID-1…N (`bench dispatch --workers-per-process`: many light echo workers on one machine).",
                               visibility: .hidden))
    var simulate: Int = 1

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if let workerId, workerId.isEmpty || workerId.utf8.count > 255 {
            throw ValidationError("--worker-id must be 1 to 255 bytes")
        }
        if slots < 1 || slots > 1024 { throw ValidationError("--slots must be 1…1024 (got \(slots)); a coordinator refuses more") }
        if cacheBytes < 1 { throw ValidationError("--cache-bytes must be positive (got \(cacheBytes))") }
        if heartbeatMs < 1 { throw ValidationError("--heartbeat-ms must be positive (got \(heartbeatMs))") }
        if simulate < 1 || simulate > 1000 { throw ValidationError("--simulate must be 1…1000 (got \(simulate))") }
        guard connect.hasPrefix("tcp://") || connect.hasPrefix("ipc://") || connect.hasPrefix("inproc://") else {
            throw ValidationError("--connect must be a ZeroMQ endpoint such as tcp://HOST:5555 (got \(connect))")
        }
    }

    func run() throws {
        let credential = try CredentialFile.load(credential, for: [.worker], command: "worker")
        if let threads { EngineThreads.set(threads) }
        let store = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
        // Installed model hashes come from the manifest (cheap: no file is re-hashed here; loads verify).
        let modelHashes = Dictionary(((try? store.manifest().models) ?? []).map { ($0.name, $0.sha256) },
                                     uniquingKeysWith: { a, _ in a })
        let host = store.vggCache()
        let cacheRoot = cacheDir ?? (NSHomeDirectory() + "/.cache/stylefarm/blobs")
        let cache = try BlobCache(root: cacheRoot, maxBytes: cacheBytes)
        var configuration = WorkerConfiguration(endpoint: connect, workerID: workerId ?? WorkerConfiguration.defaultWorkerID(),
                                                modelHashes: modelHashes, slots: slots,
                                                heartbeatInterval: .milliseconds(heartbeatMs), credential: credential)
        configuration.pathPolicy = try PathPolicy(readRoots: allowRead.isEmpty ? nil : allowRead,
                                                  writeRoots: allowWrite.isEmpty ? nil : allowWrite)
        let segmentation = SegmentationModels(modelDirectory: ModelDirectory.resolve(explicit: modelDir))
        if simulate > 1 {
            return try SimulatedWorkers.run(count: simulate, configuration: configuration, host: host, cacheRoot: cacheRoot,
                                            cacheBytes: cacheBytes, parentPid: parentPid)
        }
        let loop = try WorkerLoop(configuration: configuration, host: host, cache: cache,
                                  segmentationModel: { try segmentation.installedURL($0).path })

        var metricsServer: MetricsServer?
        if let metrics {
            let address: (host: String, port: Int)
            do { address = try HTTPAPIServer.Configuration.address(metrics) } catch { throw ValidationError("--metrics: \(error)") }
            let served = loop.metrics
            metricsServer = try MetricsServer.startBlocking(host: address.host, port: address.port) { served.exposition() }
            FileHandle.standardError.write(Data("stylefarm worker: metrics at http://\(address.host):\(metricsServer!.port)/metrics\n".utf8))
        }
        let stop = SignalStop()
        let drain = SignalStop(signals: [SIGUSR1])
        let security = credential.map { "CurveZMQ as \($0.name)" } ?? "plain TCP (no credential: only a coordinator run with --insecure answers)"
        FileHandle.standardError.write(Data("stylefarm worker \(configuration.workerID): connecting to \(connect) with \(slots) slot(s), \(security)\n".utf8))
        let parent = parentPid
        loop.run(until: { stop.isSet || (parent.map { getppid() != $0 } ?? false) }, drain: { drain.isSet })
        stop.cancel()
        drain.cancel()
        metricsServer?.stopBlocking()
        FileHandle.standardError.write(Data("stylefarm worker \(configuration.workerID): stopped\n".utf8))
    }
}
