import Foundation

/// A cache of one loaded VGG network per process (a worker stylizing, the coordinator computing style
/// targets), so weights are loaded once and reused by every task. Only one network is kept: a task asking
/// for another (network, pooling) pair replaces it.
/// Loading is injected (`loader`), so tests can pass seeded random weights.
public final class VGGCache: @unchecked Sendable {
    /// Builds the network for a (network, pooling) pair, e.g. from installed weight files.
    public typealias Loader = (VGGNetwork, PoolingKind) throws -> VGG

    private let loader: Loader
    private let lock = NSLock()
    private var current: VGG?
    private var loadCount = 0

    /// How many times `loader` ran (for tests and logs).
    public var loads: Int { lock.withLock { loadCount } }

    public init(loader: @escaping Loader) {
        self.loader = loader
    }

    /// The network for `network` with `pooling`, loaded on first use.
    public func vgg(_ network: VGGNetwork, pooling: PoolingKind) throws -> VGG {
        try lock.withLock {
            if let current, current.network == network, current.pooling == pooling { return current }
            current = nil  // release the old weights before loading new ones
            let vgg = try loader(network, pooling)
            loadCount += 1
            current = vgg
            return vgg
        }
    }
}
