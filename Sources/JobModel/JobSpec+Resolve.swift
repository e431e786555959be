import Engine
import Foundation

extension JobSpec {
    /// Defaults for fields a spec leaves out (see docs/JOBS.md).
    public enum Defaults {
        public static let kind = JobKind.stylize
        public static let priority = 50
        public static let maxAttempts = 3
        public static let maxLost = 3
        public static let blocklistThreshold = 3
        public static let bitDepth = 8
        public static let sharedFilesystem = true
        public static let echoSeconds = 1.0
        public static let lbfgsHistory = 10
        public static let learningRate: Float = 5
        /// The output pattern when none is given: `<name>.####.png` inside `output_dir`.
        public static func output(name: String) -> String { "\(name).####.png" }
    }

    /// Valid ranges of the farm-level fields.
    public static let priorityRange = 0...100
    public static let maxAttemptsRange = 1...100
    public static let maxLostRange = 1...100
    public static let blocklistThresholdRange = 0...100
    /// Seconds; 0 is no limit. A week at most: a longer limit is no limit.
    public static let taskTimeoutRange = 0.0...604_800.0
    public static let echoSecondsRange = 0.0...86_400.0
    public static let nameMaxLength = 100

    /// Checks the spec, fills in defaults, resolves relative paths against `baseDirectory` and
    /// builds the engine parameters (checked by `StyleTransferParameters.validate(styleCount:)`).
    /// Throws one `JobSpecError` listing every problem found.
    public func resolve(baseDirectory: String) throws -> ResolvedJob {
        var problems: [JobSpecError.Problem] = []
        func problem(_ key: CodingKeys?, _ message: String) { problems.append(.init(field: key?.rawValue, message: message)) }
        let kind = self.kind ?? Defaults.kind
        let stylize = kind == .stylize

        // Name
        let name = (self.name ?? "").trimmingWhitespace
        if name.isEmpty {
            problem(.name, "missing; give the job a name (letters, digits, '.', '_', '-')")
        } else if name.count > Self.nameMaxLength || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            problem(.name, "'\(name)' may only use letters, digits, '.', '_' and '-' (at most \(Self.nameMaxLength) characters)")
        }

        // Frames
        var frameRange = FrameRange(frames: [])
        if let frames {
            do { frameRange = try FrameRange(parsing: frames) } catch { problem(.frames, "\(error)") }
        } else {
            problem(.frames, "missing; give the frames to render, like 1001-1100 or 1-100x2")
        }

        // Content
        var contentPattern: PathPattern? = nil
        if let content {
            do { contentPattern = try PathPattern(content).resolved(against: baseDirectory) } catch { problem(.content, "\(error)") }
        } else if stylize {
            problem(.content, "missing; give the content frames as a pattern, like plates/shot010.####.png")
        }

        // Styles and regions
        let styles = (self.styles ?? []).map { PathNormalization.resolve($0, against: baseDirectory) }
        let regions = resolveRegions(baseDirectory: baseDirectory, stylize: stylize, problem: problem)
        // With regions, the job's own styles may be absent when a region claims the background.
        let stylesOptional = regions?.coversBackground ?? false
        if stylize && styles.isEmpty && !stylesOptional {
            problem(.styles, regions == nil ? "missing; list one or more style images"
                : "missing; list the style of the pixels no region claims, or add a region background=STYLE|none")
        }

        // Output
        var outputDirectory: String? = nil, outputPattern: PathPattern? = nil
        if let outputDir, !outputDir.isEmpty {
            let directory = PathNormalization.resolve(outputDir, against: baseDirectory)
            outputDirectory = directory
            let text = output ?? Defaults.output(name: name.isEmpty ? "output" : name)
            do {
                let pattern = try PathPattern.output(text, in: directory)
                let suffix = pattern.fileNameSuffix.lowercased()
                if !suffix.hasSuffix(".png") && !suffix.hasSuffix(".exr") {
                    problem(.output, "'\(text)' must end in .png or .exr (the extension picks the output format)")
                } else if let contentPattern, pattern.text == contentPattern.text {
                    problem(.output, "'\(pattern.text)' is the content pattern; outputs would overwrite the input frames")
                } else {
                    outputPattern = pattern
                }
            } catch { problem(.output, "\(error)") }
        } else if stylize {
            problem(.outputDir, "missing; give the directory the job writes its frames into")
        } else if output != nil {
            problem(.outputDir, "missing; output is relative to output_dir")
        }

        let plate = resolvePlate(problem: problem)

        // Farm settings
        let bitDepth = self.bitDepth ?? Defaults.bitDepth
        if bitDepth != 8 && bitDepth != 16 { problem(.bitDepth, "must be 8 or 16 (got \(bitDepth))") }
        let priority = self.priority ?? Defaults.priority
        if !Self.priorityRange.contains(priority) {
            problem(.priority, "must be between \(Self.priorityRange.lowerBound) and \(Self.priorityRange.upperBound) (got \(priority)); higher runs first, default \(Defaults.priority)")
        }
        let maxAttempts = self.maxAttempts ?? Defaults.maxAttempts
        if !Self.maxAttemptsRange.contains(maxAttempts) {
            problem(.maxAttempts, "must be between \(Self.maxAttemptsRange.lowerBound) and \(Self.maxAttemptsRange.upperBound) (got \(maxAttempts))")
        }
        let maxLost = self.maxLost ?? Defaults.maxLost
        if !Self.maxLostRange.contains(maxLost) {
            problem(.maxLost, "must be between \(Self.maxLostRange.lowerBound) and \(Self.maxLostRange.upperBound) (got \(maxLost)): how many times a task's worker may die holding it before the task fails")
        }
        let blocklistThreshold = self.blocklistThreshold ?? Defaults.blocklistThreshold
        if !Self.blocklistThresholdRange.contains(blocklistThreshold) {
            problem(.blocklistThreshold, "must be between 0 (never) and \(Self.blocklistThresholdRange.upperBound) (got \(blocklistThreshold)): failed tasks of this job after which a worker gets no more of them")
        }
        if let taskTimeout, !(taskTimeout.isFinite && Self.taskTimeoutRange.contains(taskTimeout)) {
            problem(.taskTimeout, "must be 0 (no limit) to \(Int(Self.taskTimeoutRange.upperBound)) seconds (got \(taskTimeout))")
        }
        var echoSeconds = 0.0
        if stylize {
            if self.echoSeconds != nil { problem(.echoSeconds, "only applies to kind: echo; remove it or set kind: echo") }
        } else {
            echoSeconds = self.echoSeconds ?? Defaults.echoSeconds
            if !(echoSeconds.isFinite && Self.echoSecondsRange.contains(echoSeconds)) {
                problem(.echoSeconds, "must be between 0 and \(Int(Self.echoSecondsRange.upperBound)) seconds (got \(echoSeconds))")
            }
        }

        // Engine parameters
        var p = StyleTransferParameters()
        if let network {
            if let n = VGGNetwork(rawValue: network.lowercased()) { p.network = n }
            else { problem(.network, Self.choiceMessage(network, VGGNetwork.allCases.map(\.rawValue))) }
        }
        if let pooling {
            if let k = PoolingKind(rawValue: pooling.lowercased()) { p.pooling = k }
            else { problem(.pooling, Self.choiceMessage(pooling, ["average", "max"])) }
        }
        if let size { p.size = size }
        if let iterations { p.iterations = iterations }
        switch optimizer?.lowercased() ?? "lbfgs" {
        case "lbfgs", "l-bfgs": p.optimizer = .lbfgs(history: lbfgsHistory ?? Defaults.lbfgsHistory)
        case "adam": p.optimizer = .adam(learningRate: learningRate ?? Defaults.learningRate)
        default: problem(.optimizer, Self.choiceMessage(optimizer ?? "", ["lbfgs", "adam"]))
        }
        if let contentWeight { p.contentWeight = contentWeight }
        if let styleWeight { p.styleWeight = styleWeight }
        if let tvWeight { p.tvWeight = tvWeight }
        let activations = p.network.layers.map(\.outputName)
        if let styleLayers {
            do { p.styleLayers = try Self.parseLayers(styleLayers, known: activations) } catch let m as LayerProblem { problem(.styleLayers, m.message) }
        }
        if let contentLayers {
            do { p.contentLayers = try Self.parseLayers(contentLayers, known: activations) } catch let m as LayerProblem { problem(.contentLayers, m.message) }
        }
        if let styleWeights { p.styleBlendWeights = styleWeights }
        if let styleScale { p.styleScale = styleScale }
        if let initialization {
            if let i = StyleTransferParameters.Initialization(rawValue: initialization.lowercased()) { p.initialization = i }
            else { problem(.initialization, Self.choiceMessage(initialization, StyleTransferParameters.Initialization.allCases.map(\.rawValue))) }
        }
        if let scales { p.scales = scales }
        if let originalColors { p.originalColors = originalColors }
        if let seed { p.seed = seed }
        do {
            try p.validate(styleCount: stylize ? (styles.isEmpty && stylesOptional ? 1 : styles.count) : max(1, styles.count))
        } catch let error as StyleTransferError {
            if case .invalidParameter(let message) = error {
                // Messages name CLI flags (`--size …`); the flag is the spec key in kebab-case.
                let key = Self.fieldNamed(in: message)
                if !(key == .styles && styles.isEmpty) { // already reported as missing
                    problem(key, message)
                }
            } else {
                problem(nil, error.description)
            }
        } catch {
            problem(nil, "\(error)")
        }

        let temporal = resolveTemporal(stylize: stylize, iterations: p.iterations, problem: problem)
        let tiling = resolveTiling(stylize: stylize, problem: problem)
        var sync = 0
        if let tileSync, tileSync != 0 {
            if !stylize || tiling == .off {
                problem(.tileSync, "tile_sync shares Gram statistics between the tiles of a frame: it needs a tiled stylize job")
            } else if regions != nil {
                problem(.tileSync, "tile_sync is not supported with regions yet; drop it or render whole frames")
            } else if temporal.strategy != .independent {
                problem(.tileSync, "tile_sync is not supported with --temporal \(temporal.strategy.rawValue) yet (its sweeps and chunks have budgets of their own); drop it or use --temporal independent")
            } else if tileSync < 1 || tileSync >= p.iterations {
                problem(.tileSync, "must be 1…\(max(1, p.iterations - 1)) evaluations, fewer than iterations (\(p.iterations)), or 0 for off (got \(tileSync))")
            } else {
                sync = tileSync
            }
        }

        if !problems.isEmpty { throw JobSpecError(problems: problems) }
        return ResolvedJob(name: name, kind: kind, echoSeconds: echoSeconds, content: contentPattern,
                           frames: frameRange, styles: styles, parameters: p, bitDepth: bitDepth,
                           outputDirectory: outputDirectory, output: outputPattern, priority: priority,
                           maxAttempts: maxAttempts, sharedFilesystem: sharedFilesystem ?? Defaults.sharedFilesystem,
                           regions: regions, temporal: temporal, tiling: tiling, tileSync: sync,
                           taskTimeout: taskTimeout, maxLost: maxLost, blocklistThreshold: blocklistThreshold,
                           plate: plate)
    }

    /// The checked plate settings (`input_colorspace`, `ocio_config`, `layer`, `exr_compression`, `exr_float`).
    private func resolvePlate(problem: (CodingKeys?, String) -> Void) -> PlateSettings {
        var plate = PlateSettings()
        let config = ocioConfig.map(\.trimmingWhitespace).flatMap { $0.isEmpty ? nil : $0 }
        if let config, !config.hasPrefix("/") || config.utf8.count > 4096 || config.contains(where: { $0.isNewline || $0 == "\0" }) {
            problem(.ocioConfig, "must be an absolute path to an OpenColorIO config (one line, at most 4096 bytes)")
        }
        if let inputColorspace, case let name = inputColorspace.trimmingWhitespace, !name.isEmpty {
            if name.utf8.count > 255 || name.contains(where: { $0.isNewline || $0 == "\0" }) {
                problem(.inputColorspace, "must be a colour space name (at most 255 bytes, one line)")
            } else if let space = PlateColorSpace(name: name, config: config) {
                plate.colorSpace = space
            } else {
                problem(.inputColorspace, "'\(inputColorspace)' is not a colour space StyleFarm converts; use \(ColorSpace.allCases.map(\.rawValue).joined(separator: ", ")), or name a space of an OpenColorIO config (ocio_config, or $OCIO where the job is submitted)")
            }
        } else if config != nil {
            problem(.ocioConfig, "names an OpenColorIO config but no input_colorspace of it")
        }
        if let layer = layer?.trimmingWhitespace, !layer.isEmpty {
            if layer.count > 255 || layer.contains(where: { $0.isNewline || $0 == "\0" }) {
                problem(.layer, "must be an OpenEXR layer name (at most 255 characters, one line)")
            } else {
                plate.layer = layer
            }
        }
        if let exrCompression {
            if let compression = OpenEXR.Compression(name: exrCompression.trimmingWhitespace) {
                plate.exrCompression = compression
            } else {
                problem(.exrCompression, "'\(exrCompression)' is not an OpenEXR compression; use \(OpenEXR.Compression.allCases.map(\.description).joined(separator: ", "))")
            }
        }
        if let exrFloat { plate.exrHalf = !exrFloat }
        return plate
    }

    /// Valid ranges of the tile budget (`tile_size`, `max_tile_pixels`).
    public static let tileSizeRange = 64...65_536
    public static let maxTilePixelsRange = 4_096...(1 << 30)

    /// The checked tile setting: `tile_size` or `max_tile_pixels` (not both), `tiles: false` for whole
    /// frames, else automatic (the coordinator applies its default budget at submit).
    private func resolveTiling(stylize: Bool, problem: (CodingKeys?, String) -> Void) -> TileSetting {
        guard tileSize != nil || maxTilePixels != nil || tiles != nil else { return stylize ? .automatic : .off }
        if !stylize {
            if tileSize == nil && maxTilePixels == nil && tiles == false { return .off }  // what it is anyway
            problem(tileSize != nil ? .tileSize : maxTilePixels != nil ? .maxTilePixels : .tiles,
                    "tiles only apply to kind: stylize")
            return .off
        }
        if tiles == false {
            if tileSize != nil || maxTilePixels != nil {
                problem(.tiles, "tiles: false renders whole frames; drop tile_size / max_tile_pixels, or drop tiles: false")
            }
            return .off
        }
        if tileSize != nil && maxTilePixels != nil {
            problem(.maxTilePixels, "give tile_size or max_tile_pixels, not both")
            return .automatic
        }
        if let tileSize {
            guard Self.tileSizeRange.contains(tileSize) else {
                problem(.tileSize, "must be in \(Self.tileSizeRange.lowerBound)…\(Self.tileSizeRange.upperBound) pixels (got \(tileSize))")
                return .automatic
            }
            return .budget(.tileSide(tileSize))
        }
        if let maxTilePixels {
            guard Self.maxTilePixelsRange.contains(maxTilePixels) else {
                problem(.maxTilePixels, "must be in \(Self.maxTilePixelsRange.lowerBound)…\(Self.maxTilePixelsRange.upperBound) pixels (got \(maxTilePixels))")
                return .automatic
            }
            return .budget(.maxTilePixels(maxTilePixels))
        }
        return .automatic
    }

    /// The checked temporal settings (independent when the spec sets none).
    private func resolveTemporal(stylize: Bool, iterations: Int,
                                 problem: (CodingKeys?, String) -> Void) -> ResolvedTemporal {
        var t = ResolvedTemporal()
        let anySet = temporal != nil || temporalWeight != nil || passes != nil || chunkFrames != nil || chunkOverlap != nil
            || cuts != nil || detectCuts != nil || flowPreset != nil || warpedInit != nil || multipassBlend != nil || multipassGammaRamp != nil
        guard anySet else { return t }
        if !stylize {
            problem(.temporal, "temporal settings only apply to kind: stylize")
            return t
        }
        if let temporal {
            if let s = TemporalStrategy(rawValue: temporal.trimmingWhitespace.lowercased()) { t.strategy = s }
            else { problem(.temporal, Self.choiceMessage(temporal, TemporalStrategy.allCases.map(\.rawValue))) }
        }
        if let temporalWeight {
            if temporalWeight >= 0 && temporalWeight.isFinite { t.weight = temporalWeight }
            else { problem(.temporalWeight, "must be a finite number ≥ 0 (got \(temporalWeight))") }
        }
        if let passes {
            if ResolvedTemporal.passesRange.contains(passes) { t.passes = passes }
            else { problem(.passes, "must be in \(ResolvedTemporal.passesRange.lowerBound)…\(ResolvedTemporal.passesRange.upperBound) (got \(passes))") }
        }
        if let chunkFrames {
            if chunkFrames >= 2 { t.chunkFrames = chunkFrames }
            else { problem(.chunkFrames, "must be at least 2 (got \(chunkFrames))") }
        }
        if let chunkOverlap {
            if chunkOverlap >= 0 { t.chunkOverlap = chunkOverlap }
            else { problem(.chunkOverlap, "must be ≥ 0 (got \(chunkOverlap))") }
        }
        if t.chunkOverlap * 2 > t.chunkFrames {
            problem(.chunkOverlap, "\(t.chunkOverlap) overlapping frames is more than half of chunk_frames (\(t.chunkFrames)); a frame may be shared by two chunks at most")
        }
        if let cuts { t.cuts = Array(Set(cuts)).sorted() }
        if let detectCuts { t.detectCuts = detectCuts }
        if let flowPreset {
            if let preset = DISPreset(rawValue: flowPreset.trimmingWhitespace.lowercased()) { t.flowPreset = preset }
            else { problem(.flowPreset, Self.choiceMessage(flowPreset, DISPreset.allCases.map(\.rawValue))) }
        }
        if let warpedInit { t.warpedInitialization = warpedInit }
        if let multipassBlend {
            if multipassBlend >= 0 && multipassBlend <= 1 { t.blend = multipassBlend }
            else { problem(.multipassBlend, "must be in 0…1 (got \(multipassBlend))") }
        }
        if let multipassGammaRamp {
            if multipassGammaRamp >= 0 && multipassGammaRamp <= 100 { t.gammaRamp = multipassGammaRamp }
            else { problem(.multipassGammaRamp, "must be in 0…100 (got \(multipassGammaRamp))") }
        }
        return t
    }

    /// The checked region settings, or nil when the spec has none (or they have problems, reported
    /// through `problem`).
    private func resolveRegions(baseDirectory: String, stylize: Bool,
                                problem: (CodingKeys?, String) -> Void) -> ResolvedRegions? {
        let regionKeysSet = regions != nil || regionWeights != nil || guide != nil || regionMode != nil || segmentCrf != nil
        guard segment != nil || regionKeysSet else { return nil }
        if !stylize {
            problem(segment != nil ? .segment : .regions, "regions only apply to kind: stylize; remove segment/regions or set kind: stylize")
            return nil
        }
        var ok = true
        var source: RegionSource? = nil
        var maskPattern: PathPattern? = nil
        if let segment {
            do {
                var parsed = try RegionSource(parsing: segment.trimmingWhitespace)
                switch parsed {
                case .matte(let path), .ids(let path):
                    let absolute = PathNormalization.resolve(path, against: baseDirectory)
                    if case .matte = parsed { parsed = .matte(path: absolute) } else { parsed = .ids(path: absolute) }
                    do {
                        maskPattern = try PathPattern(absolute)
                    } catch PathPatternError.noPlaceholder {
                        maskPattern = nil  // one matte / ID map for every frame
                    } catch {
                        problem(.segment, "\(error)"); ok = false
                    }
                case .deeplab, .deeplabSmall, .selfie, .cryptomatte:
                    break
                }
                source = parsed
            } catch let error as RegionError {
                problem(.segment, error.description); ok = false
            } catch {
                problem(.segment, "\(error)"); ok = false
            }
        } else {
            problem(.segment, "missing; regions need a mask source: deeplab, deeplab-small, selfie, matte:PATH, ids:PATH or cryptomatte")
            ok = false
        }
        var assignments: [RegionAssignment] = []
        if let regions, !regions.isEmpty {
            var parsedOK = true
            do {
                assignments = try regions.map { text in
                    var a = try RegionAssignment(parsing: text)
                    if case .image(let path) = a.style { a.style = .image(PathNormalization.resolve(path, against: baseDirectory)) }
                    return a
                }
                var seen = Set<String>()
                for a in assignments where !seen.insert(a.name).inserted {
                    throw RegionError.duplicateRegion(a.name)
                }
            } catch let error as RegionError {
                problem(.regions, error.description); ok = false; parsedOK = false
            } catch {
                problem(.regions, "\(error)"); ok = false; parsedOK = false
            }
            if parsedOK {
                do { try RegionAssignment.applyWeights(regionWeights ?? [], to: &assignments) } catch let error as RegionError {
                    problem(.regionWeights, error.description); ok = false
                } catch {
                    problem(.regionWeights, "\(error)"); ok = false
                }
            }
        } else {
            problem(.regions, "missing; segment needs at least one region, e.g. person=none (keep people photoreal) or background=style.jpg")
            ok = false
        }
        var guide = GuidePropagation.inside
        if let text = self.guide {
            if let g = GuidePropagation(rawValue: text.lowercased()) { guide = g }
            else { problem(.guide, Self.choiceMessage(text, GuidePropagation.allCases.map(\.rawValue))); ok = false }
        }
        var mode = RegionStylization.Mode.joint
        if let text = regionMode {
            if let m = RegionStylization.Mode(rawValue: text.lowercased()) { mode = m }
            else { problem(.regionMode, Self.choiceMessage(text, RegionStylization.Mode.allCases.map(\.rawValue))); ok = false }
        }
        guard ok, let source else { return nil }
        return ResolvedRegions(source: source, maskPattern: maskPattern, assignments: assignments, guide: guide,
                               mode: mode, crf: segmentCrf ?? true)
    }

    private struct LayerProblem: Error { var message: String }

    /// `relu1_1`, `relu3_1:0.5` → weighted layers, checking names against the network's activations.
    private static func parseLayers(_ items: [String], known: [String]) throws -> [StyleTransferParameters.WeightedLayer] {
        try items.map { item in
            let parts = item.split(separator: ":", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard let name = parts.first, !name.isEmpty else { throw LayerProblem(message: "empty layer name in '\(item)'") }
            guard known.contains(name) else {
                let hint = KeySuggestion.closest(to: name, in: known).map { "; did you mean '\($0)'?" } ?? "; use relu{block}_{n} or pool{block}"
                throw LayerProblem(message: "unknown layer '\(name)'\(hint)")
            }
            var weight: Float = 1
            if parts.count == 2 {
                guard let w = Float(parts[1]), w >= 0, w.isFinite else {
                    throw LayerProblem(message: "layer weight in '\(item)' must be a non-negative number")
                }
                weight = w
            }
            return StyleTransferParameters.WeightedLayer(name, weight: weight)
        }
    }

    private static func choiceMessage(_ value: String, _ choices: [String]) -> String {
        let hint = KeySuggestion.closest(to: value, in: choices).map { "; did you mean '\($0)'?" } ?? ""
        return "'\(value)' is not one of \(choices.joined(separator: ", "))\(hint)"
    }

    /// The spec key behind the first `--flag` in an engine message (`--style` → `styles`).
    private static func fieldNamed(in message: String) -> CodingKeys? {
        guard let range = message.range(of: "--") else {
            return message.contains("L-BFGS") ? .lbfgsHistory : message.contains("Adam") ? .learningRate : nil
        }
        let flag = message[range.upperBound...].prefix { $0.isLetter || $0 == "-" }
        let key = String(flag).dashesAsUnderscores
        if key == "style" { return .styles }
        return CodingKeys(rawValue: key)
    }
}
