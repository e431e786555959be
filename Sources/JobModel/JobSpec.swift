/// A job as the user writes it: in a YAML or JSON spec file (snake_case keys) or as CLI flags (the
/// same names in kebab-case: `max_attempts` ↔ `--max-attempts`). Every field is optional here, so a
/// spec is one *layer* of settings: `file.overlaid(by: flags)` gives flags-override-file semantics,
/// and `resolve(baseDirectory:)` checks the merged result and fills in defaults (docs/JOBS.md).
///
/// Decoding is lenient about spelling of values where YAML is ambiguous (numbers written as strings
/// such as `1e-3`, a single style instead of a list, layers as a comma list) but strict about keys:
/// `JobSpecFile` rejects unknown keys with a suggestion of the closest valid one.
public struct JobSpec: Codable, Sendable, Equatable {
    // Job
    public var name: String?
    /// `stylize` (default) or `echo`.
    public var kind: JobKind?
    /// Content frame pattern, e.g. `plates/shot010.####.png`.
    public var content: String?
    /// Frame range, e.g. `1001-1100`, `1-100x2`, `1,5,7-9`.
    public var frames: String?
    /// Style image paths (one or more).
    public var styles: [String]?
    /// Blend weights, one per style (default: equal).
    public var styleWeights: [Float]?
    /// Directory the job writes into; outputs never leave it.
    public var outputDir: String?
    /// Output pattern relative to `outputDir` (default `<name>.####.png`).
    public var output: String?
    /// PNG bit depth, 8 (default) or 16.
    public var bitDepth: Int?
    /// The plates' colour space: `srgb`, `linear-rec709` or `acescg` (default by file type: OpenEXR linear
    /// Rec.709, PNG and JPEG sRGB).
    public var inputColorspace: String?
    /// An OpenColorIO config (a path the coordinator reads; the CLI's default is `$OCIO`): `input_colorspace` may
    /// then name any of its colour spaces, roles or `DISPLAY/VIEW` pairs.
    public var ocioConfig: String?
    /// The OpenEXR layer to stylize (default: the unnamed one, R G B A).
    public var layer: String?
    /// OpenEXR outputs: the compression (`zip` by default; `none`, `rle`, `zips`, `piz`, `pxr24`, `b44`, `b44a`,
    /// `dwaa`, `dwab`) and whether samples are 32-bit floats (default: half).
    public var exrCompression: String?
    public var exrFloat: Bool?
    /// 0–100, higher first (default 50).
    public var priority: Int?
    /// Attempts per task before it fails for good (default 3).
    public var maxAttempts: Int?
    /// Seconds a task may run before it is cancelled and retried, counting an attempt (default: the
    /// coordinator's `--task-timeout`; 0: no limit).
    public var taskTimeout: Double?
    /// Times a task's worker may die while holding it before the task fails (default 3).
    public var maxLost: Int?
    /// Failed tasks of this job after which a worker gets no more of them (default 3; 0: never).
    public var blocklistThreshold: Int?
    /// Whether workers read inputs and write outputs at these paths themselves (default true); when
    /// false the coordinator sends and receives image bytes.
    public var sharedFilesystem: Bool?
    /// Seconds each echo task sleeps (echo jobs only; default 1).
    public var echoSeconds: Double?

    // Engine (StyleTransferParameters)
    /// `vgg16` (default) or `vgg19`.
    public var network: String?
    /// `average` (default) or `max`.
    public var pooling: String?
    public var size: Int?
    public var iterations: Int?
    /// `lbfgs` (default) or `adam`.
    public var optimizer: String?
    public var lbfgsHistory: Int?
    public var learningRate: Float?
    public var contentWeight: Float?
    public var styleWeight: Float?
    public var tvWeight: Float?
    /// Layer names, optionally `name:weight` (`relu1_1`, `relu3_1:0.5`).
    public var styleLayers: [String]?
    public var contentLayers: [String]?
    public var styleScale: Float?
    /// `content` (default) or `noise`; the key is `init`.
    public var initialization: String?
    public var scales: Int?
    public var originalColors: Bool?
    public var seed: UInt64?

    // Regions (segmentation-aware stylization, docs/JOBS.md "Regions")
    /// Where region masks come from: `deeplab`, `deeplab-small`, `selfie`, `matte:PATH` or `ids:PATH`;
    /// PATH may be a frame pattern like `content` (`matte:mattes/m.####.png`) or one file for every frame.
    public var segment: String?
    /// `NAME=STYLE_IMAGE` or `NAME=none`, one per region (the CLI's repeated `--region`).
    public var regions: [String]?
    /// `NAME:content=W,style=W` (the CLI's repeated `--region-weight`).
    public var regionWeights: [String]?
    /// `inside` (default), `average` or `all`.
    public var guide: String?
    /// `joint` (default) or `composite`.
    public var regionMode: String?
    /// Dense-CRF refinement of network masks (default true; the CLI's `--segment-crf on|off`).
    public var segmentCrf: Bool?

    // Temporal consistency (docs/JOBS.md "Temporal consistency")
    /// `independent` (default), `sequential`, `multipass` or `chunked`.
    public var temporal: String?
    /// Temporal loss weight γ (default 200 × content weight).
    public var temporalWeight: Float?
    /// Multipass: the most sweeps (default 24); `ResolvedTemporal.multipassBudgets` splits `iterations` over them.
    public var passes: Int?
    /// Chunked: frames per chunk (default 8) and frames shared by neighbouring chunks (default 2).
    public var chunkFrames: Int?
    public var chunkOverlap: Int?
    /// Frame numbers that start a new shot.
    public var cuts: [Int]?
    /// Whether the coordinator detects more cuts in the content (default true).
    public var detectCuts: Bool?
    /// DIS preset: `ultrafast`, `fast` or `medium` (default).
    public var flowPreset: String?
    /// Sequential / chunked: start from the warped previous result (default true).
    public var warpedInit: Bool?
    /// Multipass: how far a sweep's start moves toward the warped neighbours, 0–1 (default 0.5).
    public var multipassBlend: Float?
    /// Multipass: γ grows to (1 + ramp)·γ over the sweeps (default 4; 0 = constant).
    public var multipassGammaRamp: Float?

    // Tiles (docs/JOBS.md "Tiles")
    /// Largest tile side in pixels, halo included; frames with a longer side are split into tiles.
    public var tileSize: Int?
    /// Largest tile area in pixels, halo included (default: from the workers' memory).
    public var maxTilePixels: Int?
    /// `false` renders whole frames however large (default true: tile frames above the budget).
    public var tiles: Bool?
    /// Exact tiles: every this many evaluations the tiles of a frame share the frame's Gram statistics
    /// through the coordinator (absent or 0: each tile matches the style on its own).
    public var tileSync: Int?

    /// A spec with every field given or nil (the CLI passes its flag values here).
    public init(name: String? = nil, kind: JobKind? = nil, content: String? = nil, frames: String? = nil,
                styles: [String]? = nil, styleWeights: [Float]? = nil, outputDir: String? = nil,
                output: String? = nil, bitDepth: Int? = nil, priority: Int? = nil, maxAttempts: Int? = nil,
                sharedFilesystem: Bool? = nil, echoSeconds: Double? = nil, network: String? = nil,
                pooling: String? = nil, size: Int? = nil, iterations: Int? = nil, optimizer: String? = nil,
                lbfgsHistory: Int? = nil, learningRate: Float? = nil, contentWeight: Float? = nil,
                styleWeight: Float? = nil, tvWeight: Float? = nil, styleLayers: [String]? = nil,
                contentLayers: [String]? = nil, styleScale: Float? = nil, initialization: String? = nil,
                scales: Int? = nil, originalColors: Bool? = nil, seed: UInt64? = nil,
                segment: String? = nil, regions: [String]? = nil, regionWeights: [String]? = nil,
                guide: String? = nil, regionMode: String? = nil, segmentCrf: Bool? = nil,
                temporal: String? = nil, temporalWeight: Float? = nil, passes: Int? = nil, chunkFrames: Int? = nil,
                chunkOverlap: Int? = nil, cuts: [Int]? = nil, detectCuts: Bool? = nil, flowPreset: String? = nil,
                warpedInit: Bool? = nil, multipassBlend: Float? = nil, multipassGammaRamp: Float? = nil,
                tileSize: Int? = nil, maxTilePixels: Int? = nil, tiles: Bool? = nil, tileSync: Int? = nil,
                taskTimeout: Double? = nil, maxLost: Int? = nil, blocklistThreshold: Int? = nil,
                inputColorspace: String? = nil, ocioConfig: String? = nil, layer: String? = nil, exrCompression: String? = nil, exrFloat: Bool? = nil) {
        self.inputColorspace = inputColorspace; self.ocioConfig = ocioConfig; self.layer = layer; self.exrCompression = exrCompression; self.exrFloat = exrFloat
        self.taskTimeout = taskTimeout; self.maxLost = maxLost; self.blocklistThreshold = blocklistThreshold
        self.name = name; self.kind = kind; self.content = content; self.frames = frames
        self.styles = styles; self.styleWeights = styleWeights; self.outputDir = outputDir
        self.output = output; self.bitDepth = bitDepth; self.priority = priority
        self.maxAttempts = maxAttempts; self.sharedFilesystem = sharedFilesystem
        self.echoSeconds = echoSeconds; self.network = network; self.pooling = pooling
        self.size = size; self.iterations = iterations; self.optimizer = optimizer
        self.lbfgsHistory = lbfgsHistory; self.learningRate = learningRate
        self.contentWeight = contentWeight; self.styleWeight = styleWeight; self.tvWeight = tvWeight
        self.styleLayers = styleLayers; self.contentLayers = contentLayers; self.styleScale = styleScale
        self.initialization = initialization; self.scales = scales; self.originalColors = originalColors
        self.seed = seed
        self.segment = segment; self.regions = regions; self.regionWeights = regionWeights
        self.guide = guide; self.regionMode = regionMode; self.segmentCrf = segmentCrf
        self.temporal = temporal; self.temporalWeight = temporalWeight; self.passes = passes
        self.chunkFrames = chunkFrames; self.chunkOverlap = chunkOverlap; self.cuts = cuts
        self.detectCuts = detectCuts; self.flowPreset = flowPreset; self.warpedInit = warpedInit
        self.multipassBlend = multipassBlend; self.multipassGammaRamp = multipassGammaRamp
        self.tileSize = tileSize; self.maxTilePixels = maxTilePixels; self.tiles = tiles
        self.tileSync = tileSync
    }

    /// The spec keys (snake_case). `JobSpecFile` accepts exactly these.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, kind, content, frames, styles
        case styleWeights = "style_weights"
        case outputDir = "output_dir"
        case output
        case bitDepth = "bit_depth"
        case inputColorspace = "input_colorspace"
        case ocioConfig = "ocio_config"
        case layer
        case exrCompression = "exr_compression"
        case exrFloat = "exr_float"
        case priority
        case maxAttempts = "max_attempts"
        case sharedFilesystem = "shared_filesystem"
        case echoSeconds = "echo_seconds"
        case network, pooling, size, iterations, optimizer
        case lbfgsHistory = "lbfgs_history"
        case learningRate = "learning_rate"
        case contentWeight = "content_weight"
        case styleWeight = "style_weight"
        case tvWeight = "tv_weight"
        case styleLayers = "style_layers"
        case contentLayers = "content_layers"
        case styleScale = "style_scale"
        case initialization = "init"
        case scales
        case originalColors = "original_colors"
        case seed
        case segment, regions
        case regionWeights = "region_weights"
        case guide
        case regionMode = "region_mode"
        case segmentCrf = "segment_crf"
        case temporal
        case temporalWeight = "temporal_weight"
        case passes
        case chunkFrames = "chunk_frames"
        case chunkOverlap = "chunk_overlap"
        case cuts
        case detectCuts = "detect_cuts"
        case flowPreset = "flow_preset"
        case warpedInit = "warped_init"
        case multipassBlend = "multipass_blend"
        case multipassGammaRamp = "multipass_gamma_ramp"
        case tileSize = "tile_size"
        case maxTilePixels = "max_tile_pixels"
        case tiles
        case tileSync = "tile_sync"
        case taskTimeout = "task_timeout"
        case maxLost = "max_lost"
        case blocklistThreshold = "blocklist_threshold"
    }

    /// Every valid spec key.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// This spec with every field that `overrides` sets replaced by the override
    /// (`submit job.yaml --priority 90`). Lists are replaced, not appended.
    public func overlaid(by overrides: JobSpec) -> JobSpec {
        var r = self
        func take<T>(_ k: WritableKeyPath<JobSpec, T?>) { if let v = overrides[keyPath: k] { r[keyPath: k] = v } }
        take(\.name); take(\.kind); take(\.content); take(\.frames); take(\.styles); take(\.styleWeights)
        take(\.outputDir); take(\.output); take(\.bitDepth); take(\.priority); take(\.maxAttempts)
        take(\.sharedFilesystem); take(\.echoSeconds); take(\.network); take(\.pooling); take(\.size)
        take(\.iterations); take(\.optimizer); take(\.lbfgsHistory); take(\.learningRate)
        take(\.contentWeight); take(\.styleWeight); take(\.tvWeight); take(\.styleLayers)
        take(\.contentLayers); take(\.styleScale); take(\.initialization); take(\.scales)
        take(\.originalColors); take(\.seed)
        take(\.segment); take(\.regions); take(\.regionWeights); take(\.guide); take(\.regionMode); take(\.segmentCrf)
        take(\.temporal); take(\.temporalWeight); take(\.passes); take(\.chunkFrames); take(\.chunkOverlap)
        take(\.cuts); take(\.detectCuts); take(\.flowPreset); take(\.warpedInit); take(\.multipassBlend); take(\.multipassGammaRamp)
        take(\.tileSize); take(\.maxTilePixels); take(\.tiles); take(\.tileSync)
        take(\.taskTimeout); take(\.maxLost); take(\.blocklistThreshold)
        take(\.inputColorspace); take(\.ocioConfig); take(\.layer); take(\.exrCompression); take(\.exrFloat)
        return r
    }

    /// This spec with relative `content`, `styles`, `output_dir`, region style images and the `segment`
    /// matte / ID-map path and `ocio_config` made absolute against `directory` (lexically). The CLI applies this to flag values with the working directory before overlaying
    /// them on a file's spec, whose own paths are relative to the file's directory.
    public func withPathsResolved(against directory: String) -> JobSpec {
        var r = self
        r.content = content.map { PathNormalization.resolve($0, against: directory) }
        r.styles = styles?.map { PathNormalization.resolve($0, against: directory) }
        r.outputDir = outputDir.map { PathNormalization.resolve($0, against: directory) }
        r.ocioConfig = ocioConfig.map { PathNormalization.resolve($0, against: directory) }
        r.segment = segment.map { Self.resolveSegmentPath($0, against: directory) }
        r.regions = regions?.map { Self.resolveRegionStyle($0, against: directory) }
        return r
    }

    /// `matte:rel/m.####.png` → `matte:/abs/rel/m.####.png`; network sources and unparsable text unchanged.
    static func resolveSegmentPath(_ text: String, against directory: String) -> String {
        for prefix in ["matte:", "ids:"] where text.lowercased().hasPrefix(prefix) && text.count > prefix.count {
            return prefix + PathNormalization.resolve(String(text.dropFirst(prefix.count)), against: directory)
        }
        return text
    }

    /// `person=styles/a.png` → `person=/abs/styles/a.png`; `NAME=none` and unparsable text unchanged
    /// (resolve reports those).
    static func resolveRegionStyle(_ text: String, against directory: String) -> String {
        guard let eq = text.firstIndex(of: "=") else { return text }
        let value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if value.isEmpty || value.lowercased() == "none" { return text }
        return String(text[..<eq]) + "=" + PathNormalization.resolve(value, against: directory)
    }
}

// MARK: - Lenient value decoding

extension JobSpec {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.lenientString(.name)
        kind = try c.decodeIfPresent(JobKind.self, forKey: .kind)
        content = try c.decodeIfPresent(String.self, forKey: .content)
        frames = try c.lenientString(.frames)
        styles = try c.stringList(.styles, splittingCommas: false)
        styleWeights = try c.floatList(.styleWeights)
        outputDir = try c.decodeIfPresent(String.self, forKey: .outputDir)
        output = try c.decodeIfPresent(String.self, forKey: .output)
        bitDepth = try c.lenientInt(.bitDepth)
        inputColorspace = try c.decodeIfPresent(String.self, forKey: .inputColorspace)
        ocioConfig = try c.decodeIfPresent(String.self, forKey: .ocioConfig)
        layer = try c.lenientString(.layer)
        exrCompression = try c.decodeIfPresent(String.self, forKey: .exrCompression)
        exrFloat = try c.lenientSwitch(.exrFloat)
        priority = try c.lenientInt(.priority)
        maxAttempts = try c.lenientInt(.maxAttempts)
        sharedFilesystem = try c.decodeIfPresent(Bool.self, forKey: .sharedFilesystem)
        echoSeconds = try c.lenientDouble(.echoSeconds)
        network = try c.decodeIfPresent(String.self, forKey: .network)
        pooling = try c.decodeIfPresent(String.self, forKey: .pooling)
        size = try c.lenientInt(.size)
        iterations = try c.lenientInt(.iterations)
        optimizer = try c.decodeIfPresent(String.self, forKey: .optimizer)
        lbfgsHistory = try c.lenientInt(.lbfgsHistory)
        learningRate = try c.lenientFloat(.learningRate)
        contentWeight = try c.lenientFloat(.contentWeight)
        styleWeight = try c.lenientFloat(.styleWeight)
        tvWeight = try c.lenientFloat(.tvWeight)
        styleLayers = try c.stringList(.styleLayers, splittingCommas: true)
        contentLayers = try c.stringList(.contentLayers, splittingCommas: true)
        styleScale = try c.lenientFloat(.styleScale)
        initialization = try c.decodeIfPresent(String.self, forKey: .initialization)
        scales = try c.lenientInt(.scales)
        originalColors = try c.decodeIfPresent(Bool.self, forKey: .originalColors)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        segment = try c.decodeIfPresent(String.self, forKey: .segment)
        regions = try c.stringList(.regions, splittingCommas: false)
        regionWeights = try c.stringList(.regionWeights, splittingCommas: false)
        guide = try c.decodeIfPresent(String.self, forKey: .guide)
        regionMode = try c.decodeIfPresent(String.self, forKey: .regionMode)
        segmentCrf = try c.lenientSwitch(.segmentCrf)
        temporal = try c.decodeIfPresent(String.self, forKey: .temporal)
        temporalWeight = try c.lenientFloat(.temporalWeight)
        passes = try c.lenientInt(.passes)
        chunkFrames = try c.lenientInt(.chunkFrames)
        chunkOverlap = try c.lenientInt(.chunkOverlap)
        cuts = try c.intList(.cuts)
        detectCuts = try c.lenientSwitch(.detectCuts)
        flowPreset = try c.decodeIfPresent(String.self, forKey: .flowPreset)
        warpedInit = try c.lenientSwitch(.warpedInit)
        multipassBlend = try c.lenientFloat(.multipassBlend)
        multipassGammaRamp = try c.lenientFloat(.multipassGammaRamp)
        tileSize = try c.lenientInt(.tileSize)
        maxTilePixels = try c.lenientInt(.maxTilePixels)
        tiles = try c.lenientSwitch(.tiles)
        tileSync = try c.lenientInt(.tileSync)
        taskTimeout = try c.lenientDouble(.taskTimeout)
        maxLost = try c.lenientInt(.maxLost)
        blocklistThreshold = try c.lenientInt(.blocklistThreshold)
    }
}

private extension KeyedDecodingContainer where Key == JobSpec.CodingKeys {
    func mismatch(_ key: Key, _ expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath + [key], debugDescription: "expected \(expected)"))
    }

    /// A string, also accepting a number (`frames: 1001`, `name: 42`).
    func lenientString(_ key: Key) throws -> String? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let s = try? decode(String.self, forKey: key) { return s }
        if let i = try? decode(Int.self, forKey: key) { return String(i) }
        throw mismatch(key, "a string")
    }

    /// A boolean, also accepting `on` / `off` (the CLI's spelling) as strings.
    func lenientSwitch(_ key: Key) throws -> Bool? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let b = try? decode(Bool.self, forKey: key) { return b }
        if let s = try? decode(String.self, forKey: key) {
            switch s.trimmingWhitespace.lowercased() {
            case "on", "true", "yes": return true
            case "off", "false", "no": return false
            default: break
            }
        }
        throw mismatch(key, "on or off (true or false)")
    }

    func lenientInt(_ key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let i = try? decode(Int.self, forKey: key) { return i }
        if let s = try? decode(String.self, forKey: key), let i = Int(s.trimmingWhitespace) { return i }
        throw mismatch(key, "a whole number")
    }

    /// A number, also accepting strings like `1e-3` that YAML 1.1 does not read as floats.
    func lenientFloat(_ key: Key) throws -> Float? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let f = try? decode(Float.self, forKey: key) { return f }
        if let s = try? decode(String.self, forKey: key), let f = Float(s.trimmingWhitespace) { return f }
        throw mismatch(key, "a number")
    }

    func lenientDouble(_ key: Key) throws -> Double? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let f = try? decode(Double.self, forKey: key) { return f }
        if let s = try? decode(String.self, forKey: key), let f = Double(s.trimmingWhitespace) { return f }
        throw mismatch(key, "a number of seconds")
    }

    /// A list of numbers, or one number, or a comma-separated string of numbers (`0.7,0.3`).
    func floatList(_ key: Key) throws -> [Float]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let list = try? decode([Float].self, forKey: key) { return list }
        if let f = try? decode(Float.self, forKey: key) { return [f] }
        var strings = try? decode([String].self, forKey: key)
        if strings == nil, let s = try? decode(String.self, forKey: key) { strings = [s] }
        if let items = strings {
            let parts = items.flatMap { $0.split(separator: ",").map { String($0).trimmingWhitespace } }
            let values = parts.compactMap(Float.init)
            if values.count == parts.count { return values }
        }
        throw mismatch(key, "a list of numbers, like [0.7, 0.3]")
    }

    /// A list of whole numbers, or one, or a comma-separated string of them (`1012,1040`).
    func intList(_ key: Key) throws -> [Int]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let list = try? decode([Int].self, forKey: key) { return list }
        if let i = try? decode(Int.self, forKey: key) { return [i] }
        var strings = try? decode([String].self, forKey: key)
        if strings == nil, let s = try? decode(String.self, forKey: key) { strings = [s] }
        if let items = strings {
            let parts = items.flatMap { $0.split(separator: ",").map { String($0).trimmingWhitespace } }
            let values = parts.compactMap { Int($0) }
            if values.count == parts.count { return values }
        }
        throw mismatch(key, "a list of frame numbers, like [1012, 1040]")
    }

    /// A list of strings or one string (comma-separated when `splittingCommas`).
    func stringList(_ key: Key, splittingCommas: Bool) throws -> [String]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        let items: [String]
        if let list = try? decode([String].self, forKey: key) { items = list }
        else if let s = try? decode(String.self, forKey: key) { items = [s] }
        else { throw mismatch(key, "a string or a list of strings") }
        guard splittingCommas else { return items }
        return items.flatMap { $0.split(separator: ",").map { String($0).trimmingWhitespace } }
    }
}
