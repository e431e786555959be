import Engine
import FarmWire
import Protocol

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
