import ArgumentParser
import Engine
import ModelStore

extension VGGNetwork: ExpressibleByArgument {}
extension PoolingKind: ExpressibleByArgument {}
extension StyleTransferParameters.Initialization: ExpressibleByArgument {}

/// Options shared by every command that runs the engine.
struct EngineOptions: ParsableArguments {
    @Option(help: "VGG network: vgg16 or vgg19.")
    var network: VGGNetwork = .vgg16

    @Option(help: "Pooling between VGG blocks: average (Gatys) or max (the original VGG).")
    var pooling: PoolingKind = .average

    @Option(help: "Threads for the engine's kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    /// Applies the thread count and loads the network with its installed weights.
    func makeNetwork() throws -> VGG {
        if let threads { EngineThreads.set(threads) }
        let store = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
        let weights = try store.loadVGGWeights(network: network)
        return try VGG(network: network, pooling: pooling, weightFile: weights)
    }
}
