import Engine

/// A checked job with defaults filled in and every path absolute: what the planner and the
/// coordinator work from. Made by `JobSpec.resolve(baseDirectory:)`.
public struct ResolvedJob: Sendable, Equatable {
    public var name: String
    public var kind: JobKind
    /// Seconds each echo task sleeps (0 for stylize jobs).
    public var echoSeconds: Double
    /// Content frames (absolute). Nil only for echo jobs that name none.
    public var content: PathPattern?
    public var frames: FrameRange
    /// Style images (absolute paths, in order; empty only for echo jobs).
    public var styles: [String]
    /// Engine parameters, validated with `validate(styleCount:)`; includes the blend weights.
    public var parameters: StyleTransferParameters
    /// PNG bit depth of the outputs: 8 or 16.
    public var bitDepth: Int
    /// The directory outputs go into (absolute, normalized). Nil only for echo jobs that name none.
    public var outputDirectory: String?
    /// Output frames (absolute, always inside `outputDirectory`).
    public var output: PathPattern?
    /// 0–100, higher runs first.
    public var priority: Int
    /// Attempts per task before it fails for good (≥ 1).
    public var maxAttempts: Int
    /// Whether workers access the paths directly.
    public var sharedFilesystem: Bool
    /// Segmentation-aware stylization (`segment` / `regions`); nil for whole-frame jobs.
    public var regions: ResolvedRegions?
    /// Temporal consistency (independent unless the spec says otherwise).
    public var temporal: ResolvedTemporal
    /// Whether and how frames are split into tiles (stylize jobs only).
    public var tiling: TileSetting
    /// Exact tiles: evaluations between two exchanges of a frame's Gram statistics (0 = off).
    public var tileSync: Int
    /// Seconds a task may run (nil: the coordinator's default; 0: no limit).
    public var taskTimeout: Double?
    /// Times a task's worker may die holding it before the task fails (≥ 1).
    public var maxLost: Int
    /// Failed tasks of this job after which a worker gets no more of them (0: never).
    public var blocklistThreshold: Int
    /// How plates are read and OpenEXR outputs written.
    public var plate: PlateSettings

    public init(name: String, kind: JobKind, echoSeconds: Double, content: PathPattern?, frames: FrameRange,
                styles: [String], parameters: StyleTransferParameters, bitDepth: Int, outputDirectory: String?,
                output: PathPattern?, priority: Int, maxAttempts: Int, sharedFilesystem: Bool,
                regions: ResolvedRegions? = nil, temporal: ResolvedTemporal = ResolvedTemporal(),
                tiling: TileSetting = .automatic, tileSync: Int = 0, taskTimeout: Double? = nil,
                maxLost: Int = JobSpec.Defaults.maxLost, blocklistThreshold: Int = JobSpec.Defaults.blocklistThreshold,
                plate: PlateSettings = PlateSettings()) {
        self.plate = plate
        self.blocklistThreshold = blocklistThreshold
        self.taskTimeout = taskTimeout
        self.maxLost = maxLost
        self.name = name; self.kind = kind; self.echoSeconds = echoSeconds; self.content = content
        self.frames = frames; self.styles = styles; self.parameters = parameters; self.bitDepth = bitDepth
        self.outputDirectory = outputDirectory; self.output = output; self.priority = priority
        self.maxAttempts = maxAttempts; self.sharedFilesystem = sharedFilesystem
        self.regions = regions
        self.temporal = temporal
        self.tiling = tiling
        self.tileSync = tileSync
    }

    /// The output file of the frame at `index` of the range (its position, not its number), or nil for a
    /// job without outputs or an index past the range.
    public func outputPath(ofFrameAt index: Int) -> String? {
        guard index >= 0, index < frames.count else { return nil }
        return output?.path(for: frames.frames[index])
    }

    /// The file a frame's region masks come from: the frame's matte or ID map, or for a Cryptomatte the OpenEXR
    /// content frame itself; nil for network sources and jobs without regions.
    public func regionMaskPath(forFrame frame: Int) -> String? {
        guard let regions else { return nil }
        if case .cryptomatte = regions.source { return content?.path(for: frame) }
        return regions.maskPath(for: frame)
    }

    /// How the frames' outputs are written: the output pattern's extension picks OpenEXR or PNG.
    public var outputEncoding: FrameEncoding {
        FrameEncoding.forPath(output?.text ?? "", bitDepth: bitDepth, half: plate.exrHalf, compression: plate.exrCompression)
    }

    /// Output pixel size of a frame whose content image is `width × height`: the longer side becomes
    /// `parameters.size`, as the engine does (`Image.size(scaling:_:toLongerSide:)`).
    public func outputFrameSize(contentWidth width: Int, contentHeight height: Int) throws -> PixelSize {
        let (w, h) = try Image.size(scaling: width, height, toLongerSide: parameters.size)
        return PixelSize(width: w, height: h)
    }
}

/// A width × height in pixels.
public struct PixelSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }
}

/// Whether a job's frames are split into tiles (`--tile-size`, `--max-tile-pixels`, `--no-tiles`).
public enum TileSetting: Sendable, Hashable, CustomStringConvertible {
    /// The coordinator's default budget (`TileMemoryModel`), filled in at submit; the planner renders
    /// whole frames for a job still set to automatic.
    case automatic
    /// Whole frames however large.
    case off
    /// Tiles within this budget. A frame within it is one tile, planned exactly as an untiled frame.
    case budget(TileBudget)

    /// The budget, when one is set.
    public var budget: TileBudget? { if case .budget(let b) = self { return b } else { return nil } }

    public var description: String {
        switch self {
        case .automatic: return "automatic"
        case .off: return "off"
        case .budget(let b): return b.description
        }
    }
}
