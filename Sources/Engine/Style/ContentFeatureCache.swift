import Foundation

/// The content image's features at the content layers (the content loss's targets), kept for the next
/// objective built on the same content: a multipass sweep optimizes the same frame K times, a few evaluations
/// each, and the forward pass to `relu4_2` costs 0.4 of an evaluation (0.08 s at 256×144 on one core) — 7 %
/// of a 5-evaluation task. Thread-safe; entries are found by the content tensor itself (a fingerprint, then
/// exact equality), so a hit is bit-for-bit what the network would compute. Least recently used entries go
/// once the content tensors and features held exceed `maxBytes`.
public final class ContentFeatureCache: @unchecked Sendable {
    private struct Entry {
        var network: ObjectIdentifier
        var layers: [Int]
        var content: Tensor
        var sum: Double
        var features: [Int: Tensor]
        var bytes: Int
        var lastUse: Int
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var clock = 0
    public let maxBytes: Int
    /// Lookups answered from the cache, and those that computed (for tests and logs).
    public private(set) var hits = 0, misses = 0

    public init(maxBytes: Int = 64 << 20) { self.maxBytes = maxBytes }

    /// The features of `content` at `layers` of `vgg`: the cached ones, or `compute()`'s (then kept).
    func features(vgg: VGG, layers: [Int], content: Tensor, compute: () -> [Int: Tensor]) -> [Int: Tensor] {
        let network = ObjectIdentifier(vgg)
        let sum = VectorMath.sum(content.data)
        let hit: [Int: Tensor]? = lock.withLock {
            guard let i = entries.firstIndex(where: {
                $0.network == network && $0.layers == layers && $0.sum == sum && $0.content == content
            }) else { return nil }
            clock += 1
            entries[i].lastUse = clock
            hits += 1
            return entries[i].features
        }
        if let hit { return hit }
        let made = compute()
        let bytes = 4 * (content.count + made.values.reduce(0) { $0 + $1.count })
        lock.withLock {
            misses += 1
            guard bytes <= maxBytes else { return }
            clock += 1
            entries.append(Entry(network: network, layers: layers, content: content, sum: sum, features: made, bytes: bytes, lastUse: clock))
            var total = entries.reduce(0) { $0 + $1.bytes }
            while total > maxBytes, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
                total -= entries[oldest].bytes
                entries.remove(at: oldest)
            }
        }
        return made
    }
}
