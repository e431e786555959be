import Engine
import JobModel
import Protocol

extension JobSpec {
    /// A job spec layer from a client's `SubmitJob` spec. Kind UNSPECIFIED means stylize when style
    /// paths or regions are given, else echo. With `output_dir` set, `output_pattern` is relative to it; without,
    /// `output_pattern` is split into its folder (`output_dir`) and file name. An absent optional field
    /// keeps the default and a present one is taken as it is, zero included (`iterations: 0` evaluates the
    /// start point only; `size: 0` is refused by `resolve`, never replaced by the default). Enum values this
    /// build does not know become a spec value `resolve` refuses, naming the field and the number.
    public init(wire: Stylefarm_V1_JobSpec) throws {
        self.init()
        if !wire.name.isEmpty { name = wire.name }
        switch wire.kind {
        case .stylize: kind = .stylize
        case .echo: kind = .echo
        case .unspecified:
            kind = wire.stylePaths.isEmpty && wire.regions.segment.isEmpty ? .echo : .stylize
        case .UNRECOGNIZED(let v):
            // The spec's kind is an enum, not text `resolve` could refuse: refused here.
            throw JobSpecError(problems: [.init(field: "kind", message: "\(Self.unknownWireValue(v)) (this coordinator knows stylize and echo)")])
        }
        if kind == .echo { echoSeconds = wire.echoSeconds }
        if !wire.contentPattern.isEmpty { content = wire.contentPattern }
        frames = wire.frames
        if !wire.stylePaths.isEmpty { styles = wire.stylePaths }
        if !wire.outputDir.isEmpty {
            outputDir = wire.outputDir
            if !wire.outputPattern.isEmpty { output = wire.outputPattern }
        } else if !wire.outputPattern.isEmpty {
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
        if wire.options.noTiles { tiles = false }
        if wire.options.tileSize > 0 { tileSize = Int(wire.options.tileSize) }
        if wire.options.maxTilePixels > 0 { maxTilePixels = Int(clamping: wire.options.maxTilePixels) }
        if wire.options.tileSync > 0 { tileSync = Int(wire.options.tileSync) }
        if wire.options.hasTaskTimeoutSeconds { taskTimeout = wire.options.taskTimeoutSeconds }
        if wire.options.hasMaxLost { maxLost = Int(wire.options.maxLost) }
        if wire.options.hasBlocklistThreshold { blocklistThreshold = Int(wire.options.blocklistThreshold) }
        let p = wire.parameters
        switch p.network {
        case .vgg16: network = "vgg16"
        case .vgg19: network = "vgg19"
        case .unspecified: break
        case .UNRECOGNIZED(let v): network = Self.unknownWireValue(v)
        }
        switch p.pooling {
        case .max: pooling = "max"
        case .average: pooling = "average"
        case .unspecified: break
        case .UNRECOGNIZED(let v): pooling = Self.unknownWireValue(v)
        }
        if p.hasSize { size = Int(p.size) }
        if p.hasIterations { iterations = Int(p.iterations) }
        switch p.optimizer.kind {
        case .lbfgs(let l)?: optimizer = "lbfgs"; if l.hasHistory { lbfgsHistory = Int(l.history) }
        case .adam(let a)?: optimizer = "adam"; if a.hasLearningRate { learningRate = a.learningRate }
        case nil: break
        }
        if p.hasContentWeight { contentWeight = p.contentWeight }
        if p.hasStyleWeight { styleWeight = p.styleWeight }
        if p.hasTvWeight { tvWeight = p.tvWeight }
        if !p.styleLayers.isEmpty { styleLayers = p.styleLayers.map { "\($0.name):\($0.weight)" } }
        if !p.contentLayers.isEmpty { contentLayers = p.contentLayers.map { "\($0.name):\($0.weight)" } }
        if !p.styleBlendWeights.isEmpty { styleWeights = p.styleBlendWeights }
        if p.hasStyleScale { styleScale = p.styleScale }
        switch p.initialization {
        case .content: initialization = "content"
        case .noise: initialization = "noise"
        case .unspecified: break
        case .UNRECOGNIZED(let v): initialization = Self.unknownWireValue(v)
        }
        if p.hasScales { scales = Int(p.scales) }
        if p.originalColors { originalColors = true }
        if p.hasSeed { seed = p.seed }
        if p.outputBitDepth != 0 { bitDepth = Int(p.outputBitDepth) }
        if wire.hasRegions && !wire.regions.segment.isEmpty { applyRegions(wire.regions) }
        if wire.hasTemporal { applyTemporal(wire.temporal) }
        if wire.hasPlate {
            // Taken as text: `resolve` refuses what it does not know, naming the field.
            if !wire.plate.inputColorspace.isEmpty { inputColorspace = wire.plate.inputColorspace }
            // A config path only: the coordinator bakes the conversion itself, never taking one from a client.
            if !wire.plate.ocioConfig.isEmpty { ocioConfig = wire.plate.ocioConfig }
            if !wire.plate.layer.isEmpty { layer = wire.plate.layer }
            if !wire.plate.exrCompression.isEmpty { exrCompression = wire.plate.exrCompression }
            if wire.plate.exrFloat { exrFloat = true }
        }
    }

    /// A spec value that no choice matches, so `resolve` refuses it naming the field (an enum number this
    /// build does not know, from a newer or broken client).
    public static func unknownWireValue(_ value: Int) -> String { "unknown wire value \(value)" }

    /// The spec keys of a wire `TemporalOptions` (absent optional fields keep the defaults).
    private mutating func applyTemporal(_ wire: Stylefarm_V1_TemporalOptions) {
        switch wire.strategy {
        case .independent: temporal = TemporalStrategy.independent.rawValue
        case .sequential: temporal = TemporalStrategy.sequential.rawValue
        case .multipass: temporal = TemporalStrategy.multipass.rawValue
        case .chunked: temporal = TemporalStrategy.chunked.rawValue
        case .unspecified: break
        case .UNRECOGNIZED(let v): temporal = Self.unknownWireValue(v)  // resolve reports it
        }
        if wire.hasWeight { temporalWeight = wire.weight }
        if wire.hasPasses { passes = Int(wire.passes) }
        if wire.hasChunkFrames { chunkFrames = Int(wire.chunkFrames) }
        if wire.hasChunkOverlap { chunkOverlap = Int(wire.chunkOverlap) }
        if !wire.cuts.isEmpty { cuts = wire.cuts.map { Int($0) } }
        if wire.noDetectCuts { detectCuts = false }
        switch wire.flowPreset {
        case .ultrafast: flowPreset = DISPreset.ultrafast.rawValue
        case .fast: flowPreset = DISPreset.fast.rawValue
        case .medium: flowPreset = DISPreset.medium.rawValue
        case .unspecified: break
        case .UNRECOGNIZED(let v): flowPreset = Self.unknownWireValue(v)
        }
        if wire.noWarpedInit { warpedInit = false }
        if wire.hasBlend { multipassBlend = wire.blend }
        if wire.hasGammaRamp { multipassGammaRamp = wire.gammaRamp }
    }

    /// The spec keys of a wire `RegionSpec`: `segment`, `regions` (`NAME=STYLE|none`), `region_weights`
    /// (for every region whose weights are not 1), `guide`, `region_mode` and `segment_crf`.
    private mutating func applyRegions(_ wire: Stylefarm_V1_RegionSpec) {
        segment = wire.segment
        regions = wire.regions.map { "\($0.name)=\($0.stylePath.isEmpty ? "none" : $0.stylePath)" }
        let weights = wire.regions.filter { $0.contentWeight != 1 || $0.styleWeight != 1 }
            .map { "\($0.name):content=\($0.contentWeight),style=\($0.styleWeight)" }
        if !weights.isEmpty { regionWeights = weights }
        switch wire.guide {
        case .inside: guide = "inside"
        case .average: guide = "average"
        case .all: guide = "all"
        case .unspecified: break
        case .UNRECOGNIZED(let v): guide = Self.unknownWireValue(v)
        }
        switch wire.mode {
        case .joint: regionMode = "joint"
        case .composite: regionMode = "composite"
        case .unspecified: break
        case .UNRECOGNIZED(let v): regionMode = Self.unknownWireValue(v)
        }
        segmentCrf = !wire.crfDisabled
    }
}

extension Stylefarm_V1_RegionSpec {
    /// The wire form of a job's region settings (the `segment` text keeps a matte / ID-map frame pattern).
    public init(_ regions: ResolvedRegions) {
        self.init()
        segment = regions.source.description
        if let pattern = regions.maskPattern {
            switch regions.source {
            case .matte: segment = "matte:" + pattern.text
            case .ids: segment = "ids:" + pattern.text
            default: break
            }
        }
        self.regions = regions.assignments.map { a in
            var r = Stylefarm_V1_RegionSpec.Region()
            r.name = a.name
            if case .image(let path) = a.style { r.stylePath = path }
            r.contentWeight = a.contentWeight
            r.styleWeight = a.styleWeight
            return r
        }
        switch regions.guide {
        case .inside: guide = .inside
        case .average: guide = .average
        case .all: guide = .all
        }
        switch regions.mode {
        case .joint: mode = .joint
        case .composite: mode = .composite
        }
        crfDisabled = !regions.crf
    }
}

extension Stylefarm_V1_JobSpec {
    /// The wire form of a resolved job (what `stylefarm submit` sends): absolute paths, every engine
    /// parameter filled, output pattern relative to `output_dir`.
    public init(_ job: ResolvedJob) {
        self.init()
        name = job.name
        kind = job.kind == .echo ? .echo : .stylize
        echoSeconds = job.echoSeconds
        contentPattern = job.content?.text ?? ""
        frames = job.frames.description
        stylePaths = job.styles
        parameters = Stylefarm_V1_EngineParameters(job.parameters, outputBitDepth: job.bitDepth)
        if let directory = job.outputDirectory, let output = job.output {
            outputDir = directory
            outputPattern = PathNormalization.relative(output.text, to: directory)
        }
        priority = UInt32(clamping: job.priority)
        options.maxAttempts = UInt32(clamping: job.maxAttempts)
        options.sharedFilesystem = job.sharedFilesystem
        switch job.tiling {
        case .budget(.tileSide(let side)): options.tileSize = UInt32(clamping: side)
        case .budget(.maxTilePixels(let pixels)): options.maxTilePixels = UInt64(clamping: pixels)
        case .off: options.noTiles = job.kind == .stylize  // other kinds never tile
        case .automatic, .budget(.core): break  // a core budget is not a spec setting
        }
        options.tileSync = UInt32(clamping: job.tileSync)
        if let taskTimeout = job.taskTimeout { options.taskTimeoutSeconds = taskTimeout }
        options.maxLost = UInt32(clamping: job.maxLost)
        options.blocklistThreshold = UInt32(clamping: job.blocklistThreshold)
        if let regions = job.regions { self.regions = Stylefarm_V1_RegionSpec(regions) }
        if job.temporal != ResolvedTemporal() { temporal = Stylefarm_V1_TemporalOptions(job.temporal) }
        if job.plate != PlateSettings() { plate = Stylefarm_V1_PlateOptions(job.plate) }
    }
}

extension Stylefarm_V1_TemporalOptions {
    /// The wire form of a job's temporal settings (every field filled).
    public init(_ t: ResolvedTemporal) {
        self.init()
        switch t.strategy {
        case .independent: strategy = .independent
        case .sequential: strategy = .sequential
        case .multipass: strategy = .multipass
        case .chunked: strategy = .chunked
        }
        if let w = t.weight { weight = w }
        passes = UInt32(clamping: t.passes)
        chunkFrames = UInt32(clamping: t.chunkFrames)
        chunkOverlap = UInt32(clamping: t.chunkOverlap)
        cuts = t.cuts.map { Int64($0) }
        noDetectCuts = !t.detectCuts
        flowPreset = Stylefarm_V1_FlowPreset(t.flowPreset)
        noWarpedInit = !t.warpedInitialization
        blend = t.blend
        gammaRamp = t.gammaRamp
    }
}

extension Stylefarm_V1_FlowPreset {
    public init(_ preset: DISPreset) {
        switch preset {
        case .ultrafast: self = .ultrafast
        case .fast: self = .fast
        case .medium: self = .medium
        }
    }
}
