import ArgumentParser
import Engine
import Foundation

/// `--previous-output`/`--previous-content`: stylize a frame toward its predecessor's result (Ruder et al.
/// 2016): DIS flow between the two content frames, the predecessor's result warped into this frame, the
/// temporal loss on certain pixels and the warped initialization. With `--segment`, the region masks are
/// also stabilized with the previous frame's masks warped into this frame (`RegionMasks.stabilized`, as
/// on the farm): a network source segments `--previous-content`; a `matte:`/`ids:` source reads the same
/// file for both frames unless `--previous-segment` names the previous frame's own mask.
struct TemporalOptions: ParsableArguments {
    @Option(help: "The previous frame's stylized result: keep this frame consistent with it (needs --previous-content).")
    var previousOutput: String?

    @Option(help: "The previous frame's content image (the flow is measured between the content frames).")
    var previousContent: String?

    @Option(help: "Temporal loss weight γ (default: 200 × --content-weight, Ruder et al.'s balance).")
    var temporalWeight: Float?

    @Option(help: "DIS optical-flow preset: ultrafast, fast or medium.")
    var flowPreset: DISPreset = .medium

    @Flag(help: "Start from the content (or noise) instead of the warped previous result.")
    var noWarpedInit = false

    @Option(help: ArgumentHelp("With --segment matte:PATH or ids:PATH: the previous frame's own mask (same kind, e.g. matte:prev.png), whose masks stabilize this frame's; default: --segment's file for both frames.",
                               valueName: "source"))
    var previousSegment: String?

    var isActive: Bool { previousOutput != nil || previousContent != nil }

    func validate() throws {
        guard isActive else { return }
        guard previousOutput != nil, previousContent != nil else {
            throw ValidationError("--previous-output and --previous-content go together (the previous frame's result and its content)")
        }
        if let temporalWeight, !(temporalWeight >= 0 && temporalWeight.isFinite) {
            throw ValidationError("--temporal-weight must be a finite non-negative number (got \(temporalWeight))")
        }
    }

    /// Checks `--previous-segment` against `--segment` (`segment`, nil without regions) and returns the
    /// previous frame's mask file, or nil to use `--segment`'s (or the network) for both frames.
    func previousMaskPath(segment: RegionSource?) throws -> String? {
        guard let previousSegment else { return nil }
        guard previousOutput != nil else {
            throw ValidationError("--previous-segment needs --previous-output and --previous-content (it stabilizes the masks against the previous frame)")
        }
        guard let segment else {
            throw ValidationError("--previous-segment needs --segment matte:PATH or ids:PATH (this frame's mask)")
        }
        let previous: RegionSource
        do { previous = try RegionSource(parsing: previousSegment) } catch let error as RegionError {
            throw ValidationError("--previous-segment: \(error.description)")
        }
        switch (segment, previous) {
        case (.matte, .matte(let path)), (.ids, .ids(let path)):
            return path
        case (.deeplab, _), (.deeplabSmall, _), (.selfie, _), (.cryptomatte, _):
            throw ValidationError("--previous-segment is for matte:/ids: masks; with --segment \(segment) the network segments --previous-content itself, drop --previous-segment")
        default:
            throw ValidationError("--previous-segment \(previousSegment) must be the same kind as --segment \(segment) (both matte:PATH or both ids:PATH)")
        }
    }

    /// The previous frame's content in working space, read like the frame's own (nil without `--previous-content`).
    func previousContentImage(colorSpace: PlateColorSpace?, layer: String?, limits: ImageLimits) throws -> Image? {
        guard let previousContent else { return nil }
        return try Plate.read(path: previousContent, colorSpace: colorSpace, layer: layer, limits: limits).working
    }

    /// The flow pair between the previous frame (first) and `content` (second), both at the output size
    /// w × h — exactly what a farm flow task computes; nil without `--previous-*`.
    func flowPair(previous: Image?, content: Image, width w: Int, height h: Int) throws -> FlowPair? {
        guard previousOutput != nil, let previous else { return nil }
        return try FlowPair.dis(first: try previous.toRGB().resized(width: w, height: h),
                                second: try content.toRGB().resized(width: w, height: h), preset: flowPreset)
    }

    /// The temporal targets at the output size (w × h): the previous result warped into this frame along
    /// `pair` (`flowPair`), with the pair's certainty.
    func targets(pair: FlowPair?, width w: Int, height h: Int, contentWeight: Float, limits: ImageLimits) throws -> TemporalTargets? {
        guard let previousOutput, let pair else { return nil }
        let result = try ImageReader.read(path: previousOutput, limits: limits).toRGB().resized(width: w, height: h)
        let certainty = try pair.certaintyOfSecond()
        let warped = try pair.warpIntoSecond(result)
        return TemporalTargets(targets: [.init(warped: warped, certainty: certainty.weights)],
                               weight: temporalWeight ?? TemporalLoss.defaultWeight(contentWeight: contentWeight),
                               initializeFromWarped: !noWarpedInit)
    }
}
