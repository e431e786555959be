import ArgumentParser
import Coordinator
import Engine
import Foundation
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

    @Option(help: "Endpoint for workers.")
    var bindWorkers: String = FarmDefaults.workerEndpoint

    @Option(help: "Endpoint for clients (submit, status, watch, cancel).")
    var bindClients: String = FarmDefaults.clientEndpoint

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
        for endpoint in [bindWorkers, bindClients] where !(endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://")) {
            throw ValidationError("endpoints must be ZeroMQ tcp:// or ipc:// addresses (got \(endpoint))")
        }
    }

    func run() throws {
        let configuration = CoordinatorServer.Configuration(
            stateDirectory: URL(fileURLWithPath: stateDir),
            workerEndpoint: bindWorkers, clientEndpoint: bindClients,
            heartbeatInterval: .milliseconds(heartbeatMs), heartbeatLiveness: liveness)
        if let threads { EngineThreads.set(threads) }
        if let stylePassPixels { StyleTargets.tiledGramPixels = stylePassPixels }
        if let styleCoreSize { StyleTargets.tiledGramCore = styleCoreSize }
        let models = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
        let server = try CoordinatorServer(configuration: configuration, vggCache: models.vggCache())
        let stop = SignalStop()
        FileHandle.standardError.write(Data(
            "stylefarm coordinator: workers at \(server.workerEndpoint), clients at \(server.clientEndpoint), state in \(stateDir)\n".utf8))
        try server.run(until: { stop.isSet })
        stop.cancel()
        server.close()
        FileHandle.standardError.write(Data("stylefarm coordinator: stopped\n".utf8))
    }
}
