import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel

extension JobKind: ExpressibleByArgument {}

/// The job flags of `submit` and `render`: every key of a job spec file (docs/JOBS.md) as a kebab-case
/// flag. All are optional; given together with a spec file, flags override the file's values.
struct JobOptions: ParsableArguments {
    @Option(help: "Job name: letters, digits, ., _ and -.")
    var name: String?
    @Option(help: "stylize (default) or echo (diagnostic tasks that only sleep).")
    var kind: JobKind?
    @Option(help: "Content frame pattern: #### , %04d or $F4 stands for the frame number.")
    var content: String?
    @Option(help: "Frame range, e.g. 1-100, 1-100x2, 1,5,7-9.")
    var frames: String?
    @Option(help: "Style image; repeat for several styles.")
    var style: [String] = []
    @Option(help: "Blend weights of the style images, comma-separated (default: equal).")
    var styleWeights: String?
    @Option(help: "Folder the job writes into; outputs never leave it.")
    var outputDir: String?
    @Option(help: "Output pattern relative to --output-dir (default <name>.####.png).")
    var output: String?
    @Option(help: "Output PNG bit depth, 8 or 16.")
    var bitDepth: Int?
    @Option(help: "The plates' colour space: srgb, linear-rec709 or acescg (default: linear-rec709 for OpenEXR, srgb for PNG and JPEG), or with an OpenColorIO config any of its colour spaces, roles or DISPLAY/VIEW pairs.")
    var inputColorspace: String?
    @Option(help: "An OpenColorIO config for --input-colorspace (default $OCIO); the coordinator reads it and bakes the conversion for its workers.")
    var ocioConfig: String?
    @Option(help: "The OpenEXR layer to stylize, e.g. diffuse (default: the unnamed R, G, B, A); other layers pass through to .exr outputs.")
    var layer: String?
    @Option(help: "OpenEXR outputs (an --output ending in .exr): compression, one of none, rle, zips, zip (default), piz, pxr24, b44, b44a, dwaa, dwab.")
    var exrCompression: String?
    @Flag(inversion: .prefixedNo, help: "OpenEXR outputs: 32-bit float samples instead of half.")
    var exrFloat: Bool?
    @Option(help: "Priority 0–100, higher first (default 50).")
    var priority: Int?
    @Option(help: "Attempts per task before it fails (default 3).")
    var maxAttempts: Int?
    @Option(help: "Seconds a task may run before it is cancelled and retried, using an attempt (default: the coordinator's --task-timeout; 0: no limit).")
    var taskTimeout: Double?
    @Option(help: "Times a task's worker may die holding it before the task fails (default 3).")
    var maxLost: Int?
    @Option(help: "Failed tasks of this job after which a worker gets no more of them (default 3; 0: never).")
    var blocklistThreshold: Int?
    @Flag(inversion: .prefixedNo, help: "Workers read and write the paths themselves (default) instead of receiving bytes.")
    var sharedFilesystem: Bool?
    @Option(help: "Seconds each echo task sleeps (echo jobs).")
    var echoSeconds: Double?
    @Option(help: "VGG network: vgg16 or vgg19.")
    var network: String?
    @Option(help: "Pooling: average or max.")
    var pooling: String?
    @Option(help: "Longer side of the output in pixels.")
    var size: Int?
    @Option(help: "Objective evaluations per scale.")
    var iterations: Int?
    @Option(help: "Optimizer: lbfgs or adam.")
    var optimizer: String?
    @Option(help: "L-BFGS history length.")
    var lbfgsHistory: Int?
    @Option(help: "Adam learning rate.")
    var learningRate: Float?
    @Option(help: "Content loss weight.")
    var contentWeight: Float?
    @Option(help: "Style loss weight.")
    var styleWeight: Float?
    @Option(help: "Total-variation weight.")
    var tvWeight: Float?
    @Option(help: "Style layers, comma-separated, optionally name:weight.")
    var styleLayers: String?
    @Option(help: "Content layers, comma-separated, optionally name:weight.")
    var contentLayers: String?
    @Option(help: "Style image scale relative to --size.")
    var styleScale: Float?
    @Option(name: .customLong("init"), help: "Initialization: content or noise.")
    var initialization: String?
    @Option(help: "Coarse-to-fine scales.")
    var scales: Int?
    @Flag(inversion: .prefixedNo, help: "Keep the content's colours (luminance-only transfer).")
    var originalColors: Bool?
    @Option(help: "Seed for anything random.")
    var seed: UInt64?

    // Regions: the same flags as `stylize` (RegionOptions), optional here so they can override a spec file.
    @Option(help: ArgumentHelp("Region masks: deeplab, deeplab-small, selfie (segmented on the workers), matte:PATH or ids:PATH (PATH may be a frame pattern like --content), or cryptomatte[:LAYER] (the OpenEXR content frames' Cryptomatte; regions are object names or globs).",
                               valueName: "source"))
    var segment: String?
    @Option(help: ArgumentHelp("NAME=STYLE_IMAGE or NAME=none (photoreal); repeat. NAME: a VOC class (person, dog, …), foreground, an ID colour (#ff0000), or background (everything else).",
                               valueName: "name=style"))
    var region: [String] = []
    @Option(help: ArgumentHelp("Per-region weights, NAME:content=W,style=W; repeat.", valueName: "name:weights"))
    var regionWeight: [String] = []
    @Option(help: "How region guides follow the network: inside (default), average, all.")
    var guide: GuidePropagation?
    @Option(help: "joint (default) or composite.")
    var regionMode: RegionStylization.Mode?
    @Option(help: "Refine network masks with the dense CRF: on (default) or off.")
    var segmentCrf: SegmentCommand.Switch?

    // Temporal consistency (docs/JOBS.md "Temporal consistency").
    @Option(help: "Temporal consistency: independent (default; may flicker), sequential (frame t after t-1), multipass (parallel sweeps toward both neighbours) or chunked (overlapping sequential chunks in parallel).")
    var temporal: String?
    @Option(help: "Temporal loss weight (default: 200 x --content-weight).")
    var temporalWeight: Float?
    @Option(help: "multipass: the most sweeps (default 24): sweep 0 takes 3/4 of --iterations, consistency sweeps of at least 5 evaluations the rest.")
    var passes: Int?
    @Option(help: "chunked: frames per chunk (default 8).")
    var chunkFrames: Int?
    @Option(help: "chunked: frames shared by neighbouring chunks, cross-faded (default 2).")
    var chunkOverlap: Int?
    @Option(help: ArgumentHelp("Frame numbers that start a new shot, comma-separated (no temporal term crosses them).", valueName: "frames"))
    var cuts: String?
    @Flag(inversion: .prefixedNo, help: "Detect more shot cuts from the content's colour histograms (default on).")
    var detectCuts: Bool?
    @Option(help: "DIS optical-flow preset: ultrafast, fast or medium (default).")
    var flowPreset: String?
    @Flag(inversion: .prefixedNo, help: "sequential/chunked: start each frame from the warped previous result (default on).")
    var warpedInit: Bool?
    @Option(help: "multipass: how far each sweep's start moves toward the warped neighbours, 0-1 (default 0.5).")
    var multipassBlend: Float?
    @Option(help: "multipass: the temporal weight grows linearly to (1 + ramp) x over the sweeps (default 4; 0 = constant).")
    var multipassGammaRamp: Float?

    // Tiles (docs/JOBS.md "Tiles").
    @Option(help: "Largest tile side in pixels, halo included: larger frames are split into tiles rendered across workers and reassembled.")
    var tileSize: Int?
    @Option(help: "Largest tile area in pixels, halo included (default: what a worker's memory allows, at most 3 GB a task).")
    var maxTilePixels: Int?
    @Flag(inversion: .prefixedNo, help: "Split frames above the tile budget into tiles (default on); --no-tiles renders whole frames however large.")
    var tiles: Bool?
    @Option(help: "Exact tiles: every N evaluations the tiles of a frame share the frame's Gram statistics through the coordinator (default off).")
    var tileSync: Int?

    /// The flags as a spec layer, paths made absolute against the working directory.
    func specLayer() throws -> JobSpec {
        func list(_ text: String?) -> [String]? {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let weights = try list(styleWeights)?.map { item -> Float in
            guard let v = Float(item) else { throw ValidationError("--style-weights: '\(item)' is not a number") }
            return v
        }
        let cutFrames = try list(cuts)?.map { item -> Int in
            guard let v = Int(item) else { throw ValidationError("--cuts: '\(item)' is not a frame number") }
            return v
        }
        let spec = JobSpec(name: name, kind: kind, content: content, frames: frames, styles: style.isEmpty ? nil : style,
                           styleWeights: weights, outputDir: outputDir, output: output, bitDepth: bitDepth,
                           priority: priority, maxAttempts: maxAttempts, sharedFilesystem: sharedFilesystem,
                           echoSeconds: echoSeconds, network: network, pooling: pooling, size: size,
                           iterations: iterations, optimizer: optimizer, lbfgsHistory: lbfgsHistory,
                           learningRate: learningRate, contentWeight: contentWeight, styleWeight: styleWeight,
                           tvWeight: tvWeight, styleLayers: list(styleLayers), contentLayers: list(contentLayers),
                           styleScale: styleScale, initialization: initialization, scales: scales,
                           originalColors: originalColors, seed: seed, segment: segment,
                           regions: region.isEmpty ? nil : region, regionWeights: regionWeight.isEmpty ? nil : regionWeight,
                           guide: guide?.rawValue, regionMode: regionMode?.rawValue,
                           segmentCrf: segmentCrf.map { $0 == .on },
                           temporal: temporal, temporalWeight: temporalWeight, passes: passes, chunkFrames: chunkFrames,
                           chunkOverlap: chunkOverlap, cuts: cutFrames, detectCuts: detectCuts, flowPreset: flowPreset,
                           warpedInit: warpedInit, multipassBlend: multipassBlend, multipassGammaRamp: multipassGammaRamp,
                           tileSize: tileSize, maxTilePixels: maxTilePixels, tiles: tiles, tileSync: tileSync,
                           taskTimeout: taskTimeout, maxLost: maxLost, blocklistThreshold: blocklistThreshold,
                           inputColorspace: inputColorspace, ocioConfig: ocioConfig, layer: layer, exrCompression: exrCompression, exrFloat: exrFloat)
        return spec.withPathsResolved(against: FileManager.default.currentDirectoryPath)
    }

    /// The job: `specFile` (YAML or JSON) overlaid by these flags, checked, defaults filled in, every
    /// path absolute. Problems are reported together, with file lines where they come from the file.
    func resolve(specFile: String?) throws -> ResolvedJob {
        var overrides = try specLayer()
        let file = try specFile.map { try JobSpecFile.load(path: $0) }
        // $OCIO, as every OpenColorIO tool reads it, when a colour space is named and no config is.
        if overrides.ocioConfig == nil, file?.spec.ocioConfig == nil, overrides.inputColorspace ?? file?.spec.inputColorspace != nil,
           let config = OCIOEnvironment.config {
            overrides.ocioConfig = config
        }
        if let file { return try file.resolve(overrides: overrides) }
        return try overrides.resolve(baseDirectory: FileManager.default.currentDirectoryPath)
    }
}

/// Where the coordinator's client endpoint is.
struct ClientOptions: ParsableArguments {
    @Option(help: "The coordinator's client endpoint.")
    var coordinator: String = "tcp://127.0.0.1:5556"

    @Option(help: "Seconds to wait for the coordinator's reply.")
    var timeout: Int = 10

    @Option(help: CredentialFile.help)
    var credential: String?

    func validate() throws {
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second (got \(timeout))") }
        guard coordinator.hasPrefix("tcp://") || coordinator.hasPrefix("ipc://") else {
            throw ValidationError("--coordinator must be a ZeroMQ endpoint such as tcp://HOST:5556 (got \(coordinator))")
        }
    }

    func connect() throws -> CoordinatorClient {
        try CoordinatorClient(endpoint: coordinator, timeout: .seconds(timeout),
                              credential: CredentialFile.load(credential, for: [.submitter, .admin], command: "client commands"))
    }
}
