extension VGG {
    /// Builds the network from a weight file holding `conv{b}_{c}.weight` (OIHW) and `.bias` tensors.
    public convenience init(network: VGGNetwork, pooling: PoolingKind, weightFile: WeightFile) throws {
        guard weightFile.network == network.rawValue else {
            throw VGGError.wrongNetwork(expected: network, found: weightFile.network)
        }
        var weights: [(weights: [Float], bias: [Float])] = []
        for c in network.convolutions {
            guard let w = weightFile.tensors[c.weightName] else { throw VGGError.missingWeights(c.weightName, network: network) }
            guard let b = weightFile.tensors[c.biasName] else { throw VGGError.missingWeights(c.biasName, network: network) }
            guard w.shape == c.weightShape else {
                throw VGGError.weightShapeMismatch(name: c.weightName, expected: c.weightShape, found: w.shape)
            }
            guard b.shape == [c.outChannels] else {
                throw VGGError.weightShapeMismatch(name: c.biasName, expected: [c.outChannels], found: b.shape)
            }
            weights.append((w.values, b.values))
        }
        try self.init(network: network, pooling: pooling, convolutionWeights: weights)
    }
}
