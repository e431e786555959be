import ArgumentParser
import Engine
import Foundation

/// `--previous-output`/`--previous-content`: stylize a frame toward its predecessor's result (Ruder et al.
/// 2016): DIS flow between the two content frames, the predecessor's result warped into this frame, the
/// temporal loss on certain pixels and the warped initialization.
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

    /// The temporal targets of `content` at the output size (w × h).
    func targets(content: Image, width w: Int, height h: Int, contentWeight: Float, limits: ImageLimits) throws -> TemporalTargets? {
        guard let previousOutput, let previousContent else { return nil }
        let current = try content.toRGB().resized(width: w, height: h)
        let previous = try ImageReader.read(path: previousContent, limits: limits).toRGB().resized(width: w, height: h)
        let result = try ImageReader.read(path: previousOutput, limits: limits).toRGB().resized(width: w, height: h)
        let backward = try OpticalFlow.dis(from: current, to: previous, preset: flowPreset)
        let forward = try OpticalFlow.dis(from: previous, to: current, preset: flowPreset)
        let certainty = try FlowCertainty.ruder(forward: forward, backward: backward)
        let (warped, _) = try Warp.backward(result, flow: backward)
        return TemporalTargets(targets: [.init(warped: warped, certainty: certainty.weights)],
                               weight: temporalWeight ?? TemporalLoss.defaultWeight(contentWeight: contentWeight),
                               initializeFromWarped: !noWarpedInit)
    }
}
