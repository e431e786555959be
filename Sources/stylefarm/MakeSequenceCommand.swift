import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm make-sequence`: a synthetic shot with exact ground-truth flow and occlusions
/// (`SyntheticSequence`), from the pinned demo images or any two images, for measuring temporal
/// consistency and optical flow where the truth is known.
struct MakeSequenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-sequence",
        abstract: "Write a synthetic sequence with exact ground-truth flow (.flo) and occlusion masks.",
        discussion: """
            A foreground (a disc, rounded rectangle or rectangle cut from --foreground) moves along a path \
            over a background (--background) that pans and zooms about the frame centre. Writes into --out:
              frame_####.png      the frames (1-based)
              matte_####.png      the foreground's matte per frame (255 = foreground)
              flow_####.flo       forward flow k → k+1 on frame k's grid (Middlebury .flo), k = 1…N−1
              occ_####.png        occlusions of frame k towards k+1 (255 = occluded)
              flow_bwd_####.flo   backward flow k → k−1 on frame k's grid, k = 2…N
              occ_bwd_####.png    occlusions of frame k towards k−1
              sequence.json       the size, motion and files
            flow_/occ_ are what `stylefarm evaluate temporal --flow-gt … --occlusions …` reads.

            --background and --foreground take a demo image name (needs `stylefarm models install --demo`) \
            or a path to a PNG/JPEG.

            Example:
              stylefarm make-sequence --out seq --frames 12 --size 256x192
              stylefarm evaluate temporal --stylized seq/frame_####.png --content seq/frame_####.png \\
                --frames 1-12 --flow-gt seq/flow_####.flo --occlusions seq/occ_####.png
            """)

    enum Shape: String, ExpressibleByArgument, CaseIterable { case disc, rounded, rect }

    @Option(help: "Output folder (created if needed).")
    var out: String

    @Option(help: "Number of frames (at least 2).")
    var frames = 12

    @Option(help: "Frame size WxH, e.g. 256x192.")
    var size = "256x192"

    @Option(help: "Background: a demo image name or an image path.")
    var background = "coffee.png"

    @Option(help: "Foreground: a demo image name or an image path.")
    var foreground = "astronaut.png"

    @Option(help: "Foreground matte shape: disc, rounded or rect.")
    var shape: Shape = .disc

    @Option(name: .customLong("fg-size"), help: "Foreground size WxH (default: 40% of the frame height, square; rect/rounded: 4:3).")
    var fgSize: String?

    @Option(help: "Matte edge ramp width in pixels (0 = hard edge).")
    var edge = 1.0

    @Option(help: "Camera pan per frame 'dx,dy' in pixels (the background moves by minus this).")
    var pan = "1.5,0.5"

    @Option(help: "Background magnification per frame about the frame centre (1 = none).")
    var zoom = 1.01

    @Option(name: .customLong("fg-start"), help: "Foreground centre in frame 1 'x,y' (default: left third, middle).")
    var fgStart: String?

    @Option(name: .customLong("fg-velocity"), help: "Foreground velocity per frame 'dx,dy' (default: across 40% of the width over the shot).")
    var fgVelocity: String?

    @Option(name: .customLong("fg-wobble"), help: "Amplitude 'x,y' of a sinusoidal wobble added to the foreground's path (default: 0,H/20).")
    var fgWobble: String?

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models); the demo images are beside it.")
    var modelDir: String?

    func validate() throws {
        if frames < 2 { throw ValidationError("--frames must be at least 2 (got \(frames))") }
        if frames > SyntheticSequence.maxFrames { throw ValidationError("--frames must be at most \(SyntheticSequence.maxFrames)") }
        _ = try Self.parseSize(size, flag: "--size")
        if let fgSize { _ = try Self.parseSize(fgSize, flag: "--fg-size") }
        _ = try Self.parsePair(pan, flag: "--pan")
        for (flag, text) in [("--fg-start", fgStart), ("--fg-velocity", fgVelocity), ("--fg-wobble", fgWobble)] {
            if let text { _ = try Self.parsePair(text, flag: flag) }
        }
        if !(zoom > 0 && zoom.isFinite) { throw ValidationError("--zoom must be a positive number (1 = no zoom), got \(zoom)") }
        if !(edge >= 0 && edge.isFinite) { throw ValidationError("--edge must be ≥ 0 pixels, got \(edge)") }
    }

    func run() throws {
        let (w, h) = try Self.parseSize(size, flag: "--size")
        let (fw, fh) = try fgSize.map { try Self.parseSize($0, flag: "--fg-size") }
            ?? (shape == .disc ? (max(2, h * 2 / 5), max(2, h * 2 / 5)) : (max(2, h * 8 / 15), max(2, h * 2 / 5)))
        let bgImage = try loadImage(background, flag: "--background")
        let fgSource = try loadImage(foreground, flag: "--foreground")
        let sprite = try Self.coverCrop(fgSource.toRGB(), width: fw, height: fh)
        let radius: Double
        switch shape {
        case .disc: radius = Double(min(fw, fh)) / 2
        case .rounded: radius = Double(min(fw, fh)) / 5
        case .rect: radius = 0
        }
        let matte = SyntheticSequence.roundedRectangleMatte(width: fw, height: fh, cornerRadius: radius, edgeWidth: edge)
        let p = try Self.parsePair(pan, flag: "--pan")
        let start = try fgStart.map { try Self.parsePair($0, flag: "--fg-start") } ?? (Double(w) / 3, Double(h - 1) / 2)
        let velocity = try fgVelocity.map { try Self.parsePair($0, flag: "--fg-velocity") }
            ?? (0.4 * Double(w) / Double(frames - 1), -0.05 * Double(h) / Double(frames - 1))
        let wobble = try fgWobble.map { try Self.parsePair($0, flag: "--fg-wobble") } ?? (0, Double(h) / 20)
        let motion = SyntheticSequence.Motion(
            backgroundPan: .init(p.0, p.1), backgroundZoom: zoom, foregroundStart: .init(start.0, start.1),
            foregroundVelocity: .init(velocity.0, velocity.1), foregroundWobble: .init(wobble.0, wobble.1),
            wobblePeriod: Double(max(frames, 2)))
        let sequence = try SyntheticSequence(background: bgImage, foreground: sprite, foregroundMatte: matte,
                                             width: w, height: h, frames: frames, motion: motion)

        let dir = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create --out \(out): \(error.localizedDescription)")
        }
        func path(_ name: String, _ k: Int, _ ext: String) -> String {
            dir.appendingPathComponent(String(format: "%@_%04d.%@", name, k, ext)).path
        }
        var occludedFractions: [Double] = []
        for t in 0..<frames {
            let frame = try sequence.frame(t)
            try ImageWriter.writePNG(frame.image, to: path("frame", t + 1, "png"))
            try ImageWriter.writePNG(frame.matte, to: path("matte", t + 1, "png"))
            if t + 1 < frames {
                let (flow, occ) = try sequence.flow(from: t, to: t + 1)
                try FlowFile.write(flow, to: path("flow", t + 1, "flo"))
                try ImageWriter.writePNG(Self.mask(occ, w, h), to: path("occ", t + 1, "png"))
                occludedFractions.append(Double(occ.filter { $0 }.count) / Double(occ.count))
            }
            if t > 0 {
                let (flow, occ) = try sequence.flow(from: t, to: t - 1)
                try FlowFile.write(flow, to: path("flow_bwd", t + 1, "flo"))
                try ImageWriter.writePNG(Self.mask(occ, w, h), to: path("occ_bwd", t + 1, "png"))
            }
        }
        let description = Description(
            width: w, height: h, frames: frames, background: background, foreground: foreground,
            foregroundSize: [fw, fh], shape: shape.rawValue, edge: edge, motion: motion,
            initialMagnification: sequence.initialMagnification,
            backgroundSampled: [sequence.background.width, sequence.background.height],
            files: [
                "frames": "frame_####.png", "mattes": "matte_####.png (255 = foreground)",
                "forwardFlow": "flow_####.flo (k → k+1 on frame k's grid, k = 1…\(frames - 1))",
                "forwardOcclusions": "occ_####.png (frame k towards k+1, 255 = occluded)",
                "backwardFlow": "flow_bwd_####.flo (k → k−1 on frame k's grid, k = 2…\(frames))",
                "backwardOcclusions": "occ_bwd_####.png (frame k towards k−1, 255 = occluded)",
            ],
            meanOccludedFraction: occludedFractions.reduce(0, +) / Double(max(occludedFractions.count, 1)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileBytes.writeAtomically([UInt8](try encoder.encode(description)), to: dir.appendingPathComponent("sequence.json").path)
        print("wrote \(frames) frames \(w)x\(h) to \(dir.path): frame_, matte_, flow_, occ_, flow_bwd_, occ_bwd_, sequence.json")
        print(String(format: "background %@ at %.3f× (zoom %.4f/frame, pan %.2f,%.2f px/frame); foreground %@ %dx%d %@; occluded %.2f%% per pair",
                     background, sequence.initialMagnification, zoom, p.0, p.1, foreground, fw, fh, shape.rawValue,
                     100 * description.meanOccludedFraction))
    }

    /// What `sequence.json` holds.
    struct Description: Encodable {
        var width: Int, height: Int, frames: Int
        var background: String, foreground: String
        var foregroundSize: [Int]
        var shape: String
        var edge: Double
        var motion: SyntheticSequence.Motion
        var initialMagnification: Double
        var backgroundSampled: [Int]
        var files: [String: String]
        var meanOccludedFraction: Double
    }

    /// A demo image by name, else an image file.
    private func loadImage(_ name: String, flag: String) throws -> Image {
        if name.contains("/") || FileManager.default.fileExists(atPath: name) {
            return try ImageReader.read(path: name)
        }
        let assets = try DemoAssets(modelDirectory: ModelDirectory.resolve(explicit: modelDir)).installedURLs()
        guard let url = assets[name] else {
            throw ValidationError("\(flag): no file or demo image '\(name)'; demo images: \(assets.keys.sorted().joined(separator: ", "))")
        }
        return try ImageReader.read(path: url.path)
    }

    static func mask(_ bits: [Bool], _ w: Int, _ h: Int) -> Image {
        Image(width: w, height: h, channels: 1, pixels: bits.map { $0 ? 1 : 0 })
    }

    /// The largest centred crop with the aspect of `width × height`, resized to that size.
    static func coverCrop(_ image: Image, width: Int, height: Int) throws -> Image {
        let scale = min(Double(image.width) / Double(width), Double(image.height) / Double(height))
        let cw = max(1, min(image.width, Int((Double(width) * scale).rounded())))
        let ch = max(1, min(image.height, Int((Double(height) * scale).rounded())))
        return try image.cropped(x: (image.width - cw) / 2, y: (image.height - ch) / 2, width: cw, height: ch)
            .resized(width: width, height: height)
    }

    static func parseSize(_ text: String, flag: String) throws -> (Int, Int) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w >= 2, h >= 2, w * h <= SyntheticSequence.maxPixels else {
            throw ValidationError("\(flag) must be WxH with each side ≥ 2 and at most \(SyntheticSequence.maxPixels) pixels, e.g. 256x192 (got '\(text)')")
        }
        return (w, h)
    }

    static func parsePair(_ text: String, flag: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a.isFinite, b.isFinite else {
            throw ValidationError("\(flag) must be two numbers 'x,y', e.g. 1.5,0.5 (got '\(text)')")
        }
        return (a, b)
    }
}
