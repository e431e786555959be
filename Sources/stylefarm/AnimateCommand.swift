import ArgumentParser
import Coordinator
import Engine
import Foundation
import JobModel

/// `stylefarm animate`: an animated PNG of a frame sequence, or of two sequences side by side (e.g. frames
/// stylized independently | with multipass temporal consistency), for previews in documents and reviews.
struct AnimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "animate",
        abstract: "Write an animated PNG (APNG) of a frame sequence, or of two sequences side by side.",
        discussion: """
            Every frame listed in --frames is read from --left (and --right), scaled to --height pixels \
            keeping its aspect ratio, and, with --right, placed to the right of the left frame with a 4-pixel \
            dark gray bar between them. All frames of one sequence are scaled to the size of its first frame. \
            The animation loops forever; browsers show APNG natively, other viewers show the first frame.

            Example:
              stylefarm animate --left independent/frame_####.png --right multipass/frame_####.png \\
                --frames 1-24 --out preview.png --fps 8 --height 256
            """)

    @Option(help: "Frames shown on the left (or alone), a pattern with one frame placeholder (####, %04d or $F4).")
    var left: String

    @Option(help: "Frames shown on the right (same placeholder syntax); omit to animate --left alone.")
    var right: String?

    @Option(help: "Frames, e.g. 1-24 or 1-48x2.")
    var frames: String

    @Option(help: "The animated PNG to write.")
    var out: String

    @Option(help: "Frames per second (1...1000).")
    var fps = 8

    @Option(help: "Height of the preview in pixels; each sequence is scaled to it keeping its aspect ratio.")
    var height = 256

    func validate() throws {
        let range: [Int]
        do { range = try FrameRange(parsing: frames).frames } catch { throw ValidationError("--frames: \(error)") }
        if !(1...1000).contains(fps) { throw ValidationError("--fps must be 1...1000 (got \(fps))") }
        if !(1...8192).contains(height) { throw ValidationError("--height must be 1...8192 pixels (got \(height))") }
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
        let animation = try Self.frames(sides, range: try FrameRange(parsing: frames).frames, height: height)
        try APNGEncoding.write(animation, to: out, delay: (1, UInt16(fps)))
        let first = animation[0]
        print("wrote \(out): \(animation.count) frames, \(first.width)x\(first.height), \(fps) fps")
    }

    /// The animation's frames: each frame of the one or two sequences `sides` as RGB, scaled to `height`
    /// (nil: the first frame's own height) keeping the aspect of the sequence's first frame, side by side.
    static func frames(_ sides: [PathPattern], range: [Int], height: Int?) throws -> [Image] {
        var sizes: [(width: Int, height: Int)?] = Array(repeating: nil, count: sides.count)
        var animation: [Image] = []
        animation.reserveCapacity(range.count)
        for frame in range {
            var scaled: [Image] = []
            for (i, pattern) in sides.enumerated() {
                let image = try ImageReader.read(path: pattern.path(for: frame)).toRGB()
                let h = height ?? image.height
                let size = sizes[i] ?? (width: max(1, Int((Double(image.width) * Double(h) / Double(image.height)).rounded())), height: h)
                sizes[i] = size
                scaled.append(image.width == size.width && image.height == size.height
                              ? image : try image.resized(width: size.width, height: size.height))
            }
            animation.append(scaled.count == 2 ? try Image.sideBySide(scaled[0], scaled[1]) : scaled[0])
        }
        return animation
    }
}
