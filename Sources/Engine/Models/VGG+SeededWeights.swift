extension VGG {
    /// A network with seeded He-initialized weights (N(0, 2/(9·C_in)), biases 0.01): for timing networks
    /// whose weights are not installed (VGG-19 here) and for tests that must not depend on installed
    /// weights. It has the real layer graph and shapes, not meaningful features.
    public static func seededRandomWeights(_ network: VGGNetwork, pooling: PoolingKind, seed: UInt64 = 42) throws -> VGG {
        var random = SeededRandom(seed: seed)
        let weights = network.convolutions.map { c -> (weights: [Float], bias: [Float]) in
            let scale = (2 / Float(9 * c.inChannels)).squareRoot()
            let w = (0..<(c.outChannels * c.inChannels * 9)).map { _ in scale * random.nextGaussian() }
            return (w, [Float](repeating: 0.01, count: c.outChannels))
        }
        return try VGG(network: network, pooling: pooling, convolutionWeights: weights)
    }
}
