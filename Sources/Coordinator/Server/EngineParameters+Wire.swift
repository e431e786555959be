import Engine
import Protocol

// The coordinator's copy of Worker's `Stylefarm_V1_EngineParameters(StyleTransferParameters,
// outputBitDepth:)`: Coordinator does not depend on Worker and Protocol cannot see Engine. Internal
// so it never clashes with the Worker's public one in modules that import both. (To be moved to one
// shared place; see the server branch's report.)
extension Stylefarm_V1_EngineParameters {
    init(coordinatorParameters parameters: StyleTransferParameters, outputBitDepth: Int) {
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
        contentLayers = parameters.contentLayers.map { layer in
            var l = Stylefarm_V1_WeightedLayer(); l.name = layer.name; l.weight = layer.weight; return l
        }
        styleLayers = parameters.styleLayers.map { layer in
            var l = Stylefarm_V1_WeightedLayer(); l.name = layer.name; l.weight = layer.weight; return l
        }
        styleBlendWeights = parameters.styleBlendWeights
        styleScale = parameters.styleScale
        initialization = parameters.initialization == .noise ? .noise : .content
        scales = UInt32(clamping: parameters.scales)
        originalColors = parameters.originalColors
        seed = parameters.seed
        self.outputBitDepth = UInt32(clamping: outputBitDepth)
    }
}

extension JobSpec {
    /// A job spec layer from a client's `SubmitJob` spec. The wire `JobSpec` has no kind: a spec
    /// without style images is taken as an `echo` diagnostic job. `output_pattern` is split into
    /// `output_dir` (its directory) and `output` (its file name). Engine fields left at zero keep
    /// the defaults.
    init(wire: Stylefarm_V1_JobSpec) {
        self.init()
        name = wire.name
        kind = wire.stylePaths.isEmpty ? .echo : .stylize
        if !wire.contentPattern.isEmpty { content = wire.contentPattern }
        frames = wire.frames
        if !wire.stylePaths.isEmpty { styles = wire.stylePaths }
        if !wire.outputPattern.isEmpty {
            let slash = wire.outputPattern.lastIndex(of: "/")
            if let slash {
                outputDir = String(wire.outputPattern[..<slash])
                if outputDir!.isEmpty { outputDir = "/" }
                output = String(wire.outputPattern[wire.outputPattern.index(after: slash)...])
            } else {
                outputDir = "."
                output = wire.outputPattern
            }
        }
        priority = Int(wire.priority)
        if wire.options.maxAttempts > 0 { maxAttempts = Int(wire.options.maxAttempts) }
        sharedFilesystem = wire.options.sharedFilesystem
        let p = wire.parameters
        switch p.network {
        case .vgg16: network = "vgg16"
        case .vgg19: network = "vgg19"
        default: break
        }
        switch p.pooling {
        case .max: pooling = "max"
        case .average: pooling = "average"
        default: break
        }
        if p.size > 0 { size = Int(p.size) }
        if p.iterations > 0 { iterations = Int(p.iterations) }
        switch p.optimizer.kind {
        case .lbfgs(let l)?: optimizer = "lbfgs"; if l.history > 0 { lbfgsHistory = Int(l.history) }
        case .adam(let a)?: optimizer = "adam"; if a.learningRate > 0 { learningRate = a.learningRate }
        case nil: break
        }
        if p.contentWeight != 0 { contentWeight = p.contentWeight }
        if p.styleWeight != 0 { styleWeight = p.styleWeight }
        if p.tvWeight != 0 { tvWeight = p.tvWeight }
        if !p.styleLayers.isEmpty { styleLayers = p.styleLayers.map { "\($0.name):\($0.weight)" } }
        if !p.contentLayers.isEmpty { contentLayers = p.contentLayers.map { "\($0.name):\($0.weight)" } }
        if !p.styleBlendWeights.isEmpty { styleWeights = p.styleBlendWeights }
        if p.styleScale != 0 { styleScale = p.styleScale }
        switch p.initialization {
        case .content: initialization = "content"
        case .noise: initialization = "noise"
        default: break
        }
        if p.scales > 0 { scales = Int(p.scales) }
        if p.originalColors { originalColors = true }
        if p.seed != 0 { seed = p.seed }
        if p.outputBitDepth != 0 { bitDepth = Int(p.outputBitDepth) }
    }
}
