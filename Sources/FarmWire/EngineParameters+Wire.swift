import Engine
import Protocol

// Engine values in their wire form, shared by the coordinator (which sends task parameters) and the
// worker (which decodes them with the checked inverse, StyleTransferParameters+Wire.swift, beside this file).

extension Stylefarm_V1_EngineParameters {
    /// The wire form of `parameters`, with every field filled (enums never UNSPECIFIED, optimizer set).
    /// `outputBitDepth` is 8, 16, or 0 for "as the content image".
    public init(_ parameters: StyleTransferParameters, outputBitDepth: Int = 0) {
        self.init()
        network = parameters.network == .vgg19 ? .vgg19 : .vgg16
        pooling = parameters.pooling == .max ? .max : .average
        size = UInt32(clamping: parameters.size)
        iterations = UInt32(clamping: parameters.iterations)
        var optimizer = Stylefarm_V1_Optimizer()
        switch parameters.optimizer {
        case .lbfgs(let history):
            var lbfgs = Stylefarm_V1_Optimizer.Lbfgs()
            lbfgs.history = UInt32(clamping: history)
            optimizer.lbfgs = lbfgs
        case .adam(let learningRate):
            var adam = Stylefarm_V1_Optimizer.Adam()
            adam.learningRate = learningRate
            optimizer.adam = adam
        }
        self.optimizer = optimizer
        contentWeight = parameters.contentWeight
        styleWeight = parameters.styleWeight
        tvWeight = parameters.tvWeight
        contentLayers = parameters.contentLayers.map(Stylefarm_V1_WeightedLayer.init)
        styleLayers = parameters.styleLayers.map(Stylefarm_V1_WeightedLayer.init)
        styleBlendWeights = parameters.styleBlendWeights
        styleScale = parameters.styleScale
        initialization = parameters.initialization == .noise ? .noise : .content
        scales = UInt32(clamping: parameters.scales)
        originalColors = parameters.originalColors
        seed = parameters.seed
        self.outputBitDepth = UInt32(clamping: outputBitDepth)
    }
}

extension Stylefarm_V1_WeightedLayer {
    /// The wire form of a weighted layer.
    public init(_ layer: StyleTransferParameters.WeightedLayer) {
        self.init()
        name = layer.name
        weight = layer.weight
    }
}
