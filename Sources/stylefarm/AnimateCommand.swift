import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel

/// `stylefarm animate`: an animated PNG, an H.264 MP4 or a ProRes QuickTime of a frame sequence, or of two sequences
/// side by side (e.g. the plates | the stylized frames), for previews in documents and reviews.
struct AnimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "animate",
        abstract: "Write an animated PNG, an MP4 (H.264) or a MOV (ProRes) of a frame sequence, or of two side by side.",
        discussion: """
            Every frame listed in --frames is read from --left (and --right), scaled to --height pixels \
            keeping its aspect ratio, and, with --right, placed to the right of the left frame with a 4-pixel \
            dark gray bar between them. All frames of one sequence are scaled to the size of its first frame. \
            The output's extension picks the format: .png an animated PNG that loops forever (browsers show \
            APNG natively); .mp4 H.264 (yuv420p) and .mov ProRes 422 HQ, both through Debian's ffmpeg and tagged \
            Rec.709 with the sRGB transfer function, as the frames look on a monitor. OpenEXR frames are shown \
            in that working space: from --input-colorspace (default linear Rec.709), layer --layer.

            Examples:
              stylefarm animate --left independent/frame_####.png --right multipass/frame_####.png \\
                --frames 1-24 --out preview.png --fps 8 --height 256
              stylefarm animate --left plates/shot.####.exr --right renders/shot.####.exr --frames 1001-1100 \\
                --layer ViewLayer.Combined --out review.mp4 --fps 24 --height 540
            """)

    @Option(help: "Frames shown on the left (or alone), a pattern with one frame placeholder (####, %04d or $F4).")
    var left: String

    @Option(help: "Frames shown on the right (same placeholder syntax); omit to animate --left alone.")
    var right: String?

    @Option(help: "Frames, e.g. 1-24 or 1-48x2.")
    var frames: String

    @Option(help: "The preview to write: .png (animated PNG), .mp4 (H.264) or .mov (ProRes 422 HQ).")
    var out: String

    @Option(help: "OpenEXR frames: the layer to show (e.g. ViewLayer.Combined); default the unnamed R, G, B.")
    var layer: String?

    @Option(help: "OpenEXR frames' colour space: linear-rec709 (default) or acescg.")
    var inputColorspace: String?

    @Option(help: "An OpenColorIO config for --input-colorspace (default $OCIO): any of its colour spaces, roles or DISPLAY/VIEW pairs.")
    var ocioConfig: String?

    @Option(help: "Frames per second (1...1000).")
    var fps = 8

    @Option(help: "Height of the preview in pixels; each sequence is scaled to it keeping its aspect ratio.")
    var height = 256

    func validate() throws {
        let range: [Int]
        do { range = try FrameRange(parsing: frames).frames } catch { throw ValidationError("--frames: \(error)") }
        if !(1...1000).contains(fps) { throw ValidationError("--fps must be 1...1000 (got \(fps))") }
        if !(1...8192).contains(height) { throw ValidationError("--height must be 1...8192 pixels (got \(height))") }
        let ext = (out as NSString).pathExtension.lowercased()
        if ext != "png" && VideoEncoder.Codec(path: out) == nil {
            throw ValidationError("--out must end in .png (animated PNG), .mp4 (H.264) or .mov (ProRes) (got \(out))")
        }
        _ = try FrameReader(inputColorspace: inputColorspace, ocioConfig: ocioConfig, layer: layer)
        var patterns = [("--left", left)]
        if let right { patterns.append(("--right", right)) }
        for (flag, text) in patterns {
            let pattern: PathPattern
            do { pattern = try PathPattern(text) } catch { throw ValidationError("\(flag): \(error)") }
            // Name every missing frame before anything is read.
            let missing = range.filter { !FileManager.default.fileExists(atPath: pattern.path(for: $0)) }
            if let first = missing.first {
                let listed = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
                throw ValidationError("\(flag): \(missing.count) of \(range.count) frames are missing (frames \(listed)), "
                                      + "e.g. \(pattern.path(for: first)); check the pattern and --frames")
            }
        }
    }

    func run() throws {
        var sides = [try PathPattern(left)]
        if let right { sides.append(try PathPattern(right)) }
        let range = try FrameRange(parsing: frames).frames
        let reader = try FrameReader(inputColorspace: inputColorspace, ocioConfig: ocioConfig, layer: layer)
        guard let codec = VideoEncoder.Codec(path: out) else {
            let animation = try Self.frames(sides, range: range, height: height, reader: reader)
            try APNGEncoding.write(animation, to: out, delay: (1, UInt16(fps)))
            let first = animation[0]
            print("wrote \(out): \(animation.count) frames, \(first.width)x\(first.height), \(fps) fps")
            return
        }
        // A movie: one frame at a time into ffmpeg.
        var sizes: [(width: Int, height: Int)?] = Array(repeating: nil, count: sides.count)
        var encoder: VideoEncoder? = nil
        for frame in range {
            let image = try Self.frame(frame, of: sides, height: height, sizes: &sizes, reader: reader)
            if encoder == nil { encoder = try VideoEncoder(path: out, codec: codec, fps: fps, width: image.width, height: image.height) }
            try encoder!.append(image)
        }
        try encoder?.finish()
        print("wrote \(out): \(range.count) frames, \(encoder.map { "\($0.width)x\($0.height)" } ?? "?"), \(fps) fps, \(codec == .h264 ? "H.264" : "ProRes 422 HQ")")
    }

    /// The animation's frames: each frame of the one or two sequences `sides` as RGB, scaled to `height`
    /// (nil: the first frame's own height) keeping the aspect of the sequence's first frame, side by side.
    static func frames(_ sides: [PathPattern], range: [Int], height: Int?, reader: FrameReader = FrameReader()) throws -> [Image] {
        var sizes: [(width: Int, height: Int)?] = Array(repeating: nil, count: sides.count)
        var animation: [Image] = []
        animation.reserveCapacity(range.count)
        for frame in range { animation.append(try Self.frame(frame, of: sides, height: height, sizes: &sizes, reader: reader)) }
        return animation
    }

    /// Frame `frame` of the animation (`sizes`: each side's size, set by its first frame).
    static func frame(_ frame: Int, of sides: [PathPattern], height: Int?, sizes: inout [(width: Int, height: Int)?],
                      reader: FrameReader) throws -> Image {
        var scaled: [Image] = []
        for (i, pattern) in sides.enumerated() {
            let image = try reader.read(pattern.path(for: frame)).toRGB()
            let h = height ?? image.height
            let size = sizes[i] ?? (width: max(1, Int((Double(image.width) * Double(h) / Double(image.height)).rounded())), height: h)
            sizes[i] = size
            scaled.append(image.width == size.width && image.height == size.height
                          ? image : try image.resized(width: size.width, height: size.height))
        }
        return scaled.count == 2 ? try Image.sideBySide(scaled[0], scaled[1]) : scaled[0]
    }
}
