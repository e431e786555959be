import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel

extension DISPreset: ExpressibleByArgument {}

/// `stylefarm evaluate temporal`: the warp error of a stylized sequence (Ruder, Dosovitskiy & Brox 2016,
/// section 5), per frame and its mean; see `TemporalConsistency`. With `--style`, also each frame's style
/// distance (`StyleDistance`): a sequence that holds still by staying close to the photograph shows it.
struct EvaluateTemporalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "temporal",
        abstract: "Warp error of a stylized sequence: mean over certain pixels of (x_t − ω(x_{t−1}))², x in [0, 1]; with --style, its style distance too.",
        discussion: """
            For each pair of consecutive frames in --frames, the previous stylized frame is warped into the \
            next with the optical flow between the CONTENT frames and compared over the pixels where the flow \
            is certain. Without --flow-gt the flow is OpenCV's DIS (forward and backward) and the certainty is \
            Ruder et al.'s consistency check.

            With --flow-gt, frame k of the pattern is the forward flow from frame k to k+1 (.flo, the \
            Middlebury/Sintel convention): the pair is compared on frame k's grid, and --occlusions (frame k, \
            255 = occluded) removes occluded pixels. Stylized frames may be smaller than the content frames: \
            content frames and flows are resampled to the stylized size.

            With --style, every frame also gets a style distance: the relative Gram error of the stylized \
            frame against the style's targets at the frame's size (VGG style layers, the engine's defaults), \
            divided by the same error of the content frame: 1 = as far from the style as the photograph, \
            0 = the style's statistics exactly. Warp error alone rewards doing less; read both.

            Prints one line per frame (frame=N warp_error=... certain=FRACTION [style_distance=...]), then \
            mean warp_error=... pairs=N [style_distance=...].

            Example:
              stylefarm evaluate temporal --stylized out/frame_####.png --content plates/frame_####.png --frames 1-40
            """)

    @Option(help: "Stylized frames, a pattern with one frame placeholder (####, %04d or $F4).")
    var stylized: String

    @Option(help: "Content frames the stylized ones were made from (same placeholder syntax).")
    var content: String

    @Option(help: "Frames, e.g. 1-40 (at least two; consecutive listed frames form the pairs).")
    var frames: String

    @Option(name: .customLong("flow-gt"), help: "Ground-truth forward flow .flo pattern (frame k: flow from k to k+1).")
    var flowGT: String?

    @Option(help: "Ground-truth occlusion masks (frame k, with --flow-gt; nonzero = occluded).")
    var occlusions: String?

    @Option(help: "OpenEXR frames: the layer to read (e.g. ViewLayer.Combined); default the unnamed R, G, B.")
    var layer: String?

    @Option(help: "OpenEXR frames' colour space: linear-rec709 (default) or acescg; both sequences are compared in the sRGB working space the network saw.")
    var inputColorspace: String?

    @Option(help: "An OpenColorIO config for --input-colorspace (default $OCIO): any of its colour spaces, roles or DISPLAY/VIEW pairs.")
    var ocioConfig: String?

    @Option(help: "DIS preset when no --flow-gt: ultrafast, fast or medium.")
    var preset: DISPreset = .medium

    @Option(help: "Style image(s) the sequence was stylized with (repeatable, blended equally): also report each frame's style distance.")
    var style: [String] = []

    @Option(help: "With --style: style images are scaled so their longer side is this × the frame's longer side.")
    var styleScale: Float = 1

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        let range: FrameRange
        do { range = try FrameRange(parsing: frames) } catch { throw ValidationError("--frames: \(error)") }
        if range.count < 2 { throw ValidationError("--frames must list at least two frames (got \(range.compactString))") }
        var patterns = [("--stylized", stylized), ("--content", content)]
        if let flowGT { patterns.append(("--flow-gt", flowGT)) }
        if let occlusions { patterns.append(("--occlusions", occlusions)) }
        for (flag, text) in patterns {
            do { _ = try PathPattern(text) } catch { throw ValidationError("\(flag): \(error)") }
        }
        if occlusions != nil && flowGT == nil {
            throw ValidationError("--occlusions needs --flow-gt (without ground truth the certainty comes from the flow check)")
        }
    }

    @Flag(inversion: .prefixedNo, help: "Skip pairs across shot cuts found in the content frames (colour-histogram detector).")
    var detectCuts = true

    func run() throws {
        _ = try measure { print($0) }
    }

    /// The means over a sequence: warp error over its pairs, style distance over its frames (nil without a style).
    struct Summary {
        var warpError: Double
        var styleDistance: Double?
    }

    /// The style distance of `styles` (blended equally, scaled by `styleScale`) for stylized frames whose longer
    /// side is `longSide`, on `engine`'s network; nil without styles. `bench temporal` makes its own once.
    static func makeStyleDistance(styles paths: [String], styleScale: Float, longSide: Int,
                                  engine: EngineOptions) throws -> StyleDistance? {
        guard !paths.isEmpty else { return nil }
        let vgg = try engine.makeNetwork()
        var parameters = StyleTransferParameters()
        parameters.network = engine.network
        parameters.size = longSide
        parameters.styleScale = styleScale
        let styles = try paths.map { try Plate.read(path: $0).working }
        let weights = [Float](repeating: 1 / Float(styles.count), count: styles.count)
        let targets = try StyleTransfer(vgg: vgg).styleTargets(styles: styles, blendWeights: weights, parameters: parameters)
        return try StyleDistance(vgg: vgg, parameters: parameters, targets: targets[targets.count - 1])
    }

    /// Measures the sequence, reporting one line per frame and the means to `report`; returns the means
    /// (`stylefarm bench temporal` calls this too, with its own `distance` so the style targets are made once).
    func measure(distance given: StyleDistance? = nil, report: (String) -> Void) throws -> Summary {
        let range = try FrameRange(parsing: frames).frames
        let stylizedPattern = try PathPattern(stylized), contentPattern = try PathPattern(content)
        let flowPattern = try flowGT.map(PathPattern.init), occlusionPattern = try occlusions.map(PathPattern.init)
        let reader = try FrameReader(inputColorspace: inputColorspace, ocioConfig: ocioConfig, layer: layer)
        var styleDistances: [Double] = []
        var distance = given
        /// The style distance of frame `frame` (stylized), or "" without a style.
        func styleColumn(_ image: Image, frame: Int) throws -> String {
            if distance == nil {
                distance = try Self.makeStyleDistance(styles: style, styleScale: styleScale,
                                                      longSide: max(image.width, image.height), engine: engine)
            }
            guard let distance else { return "" }
            let value = try distance.distance(stylized: image, content: try reader.read(contentPattern.path(for: frame)))
            styleDistances.append(value)
            return " style_distance=\(format(value))"
        }
        var results: [TemporalConsistency.Measurement] = []
        var cuts = Set<Int>()
        if detectCuts {
            let histograms = try range.map { ShotCutDetector.histogram(try reader.read(contentPattern.path(for: $0))) }
            cuts = Set(ShotCutDetector().cuts(histograms: histograms))
        }
        var previous = try reader.read(stylizedPattern.path(for: range[0]))
        let first = try styleColumn(previous, frame: range[0])
        if !first.isEmpty { report("frame=\(range[0])" + first) }
        // The content frame b of one pair is frame a of the next: read (and resize) each once.
        var lastContent: (frame: Int, image: Image)? = nil
        for i in 1..<range.count {
            let (a, b) = (range[i - 1], range[i])
            let current = try reader.read(stylizedPattern.path(for: b))
            if cuts.contains(i) {
                report("frame=\(b) cut (a new shot starts; no pair with frame \(a))" + (try styleColumn(current, frame: b)))
                previous = current
                continue
            }
            guard current.width == previous.width && current.height == previous.height else {
                throw TemporalError.sizeMismatch(what: "stylized frames \(a) and \(b)", previous.width, previous.height,
                                                 current.width, current.height)
            }
            let w = current.width, h = current.height
            let m: TemporalConsistency.Measurement
            if let flowPattern {
                // Forward GT flow k → k+1 on frame k's grid: warp frame b back onto frame a.
                let flow = try FlowFile.read(path: flowPattern.path(for: a)).resampled(width: w, height: h)
                var certainty = (0..<flow.pixelCount).map { flow.isKnown($0) ? Float(1) : 0 }
                if let occlusionPattern {
                    let mask = try ImageReader.read(path: occlusionPattern.path(for: a)).resized(width: w, height: h)
                    for p in 0..<mask.pixelCount where mask.pixels[p * mask.channels] > 0.5 { certainty[p] = 0 }
                }
                m = try TemporalConsistency.warpError(current: previous, previous: current, flow: flow, certainty: certainty)
            } else {
                let ca = try lastContent.flatMap { $0.frame == a && $0.image.width == w && $0.image.height == h ? $0.image : nil }
                    ?? contentFrame(contentPattern, a, w, h, reader: reader)
                let cb = try contentFrame(contentPattern, b, w, h, reader: reader)
                lastContent = (b, cb)
                let pair = try FlowPair.dis(first: ca, second: cb, preset: preset)
                m = try TemporalConsistency.warpError(current: current, previous: previous, flow: pair.backward,
                                                      certainty: try pair.certaintyOfSecond().weights)
            }
            results.append(m)
            report("frame=\(b) warp_error=\(format(m.warpError)) certain=\(String(format: "%.3f", m.certainFraction))"
                   + (try styleColumn(current, frame: b)))
            previous = current
        }
        guard !results.isEmpty else {
            throw ValidationError("every listed pair crosses a shot cut; nothing to measure (--no-detect-cuts measures them anyway)")
        }
        let mean = results.map(\.warpError).reduce(0, +) / Double(results.count)
        let meanStyle = styleDistances.isEmpty ? nil : styleDistances.reduce(0, +) / Double(styleDistances.count)
        report("mean warp_error=\(format(mean)) pairs=\(results.count)" + (meanStyle.map { " style_distance=\(format($0))" } ?? ""))
        return Summary(warpError: mean, styleDistance: meanStyle)
    }

    /// Content frame `frame` at `w`×`h`, in working space (`reader`: OpenEXR through `--input-colorspace` and `--layer`).
    private func contentFrame(_ pattern: PathPattern, _ frame: Int, _ w: Int, _ h: Int, reader: FrameReader) throws -> Image {
        let image = try reader.read(pattern.path(for: frame))
        return image.width == w && image.height == h ? image : try image.resized(width: w, height: h)
    }

    private func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
