import ArgumentParser
import Engine
import Foundation
import ModelStore

/// `stylefarm segment`: foreground/background separation of one image — DeepLab v3 (PASCAL VOC) class
/// probabilities, optionally refined by the fully connected CRF — written as a matte, a label map and
/// an overlay for checking.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment an image into foreground objects and background (DeepLab v3 + dense CRF).",
        discussion: """
            Needs `stylefarm models install --segmentation`. Example:
              stylefarm segment --input frame.png --model deeplab --classes person,dog --out matte.png --overlay check.png
            The matte is the probability (0–255, or 0–65535 with --bit-depth 16) that a pixel belongs to one of
            --classes (default: every PASCAL VOC object class).
            """)

    enum Model: String, ExpressibleByArgument, CaseIterable { case deeplab, deeplabSmall = "deeplab-small", selfie }
    enum Switch: String, ExpressibleByArgument, CaseIterable { case on, off }

    @Option(help: "Input image (PNG or JPEG).")
    var input: String

    @Option(help: "Model: deeplab, deeplab-small or selfie.")
    var model: Model = .deeplab

    @Option(help: "Refine with the fully connected CRF (Krähenbühl & Koltun 2011): on or off.")
    var crf: Switch = .on

    @Option(help: "Mean-field iterations of the CRF.")
    var crfIterations: Int = DenseCRFParameters().iterations

    @Option(help: "Foreground classes, comma-separated PASCAL VOC names (e.g. person,dog,cat); default: all objects. The selfie model's foreground is always the person.")
    var classes: String?

    @Option(help: "Matte PNG (gray: foreground probability).")
    var out: String

    @Option(help: "Matte bit depth: 8 or 16.")
    var bitDepth: Int = 8

    @Option(help: "Label map PNG (gray, one value per class index).")
    var labels: String?

    @Option(help: "Foreground probability as floats: a .pfm file (32-bit float, for compositing), or a 16-bit .png.")
    var probabilities: String?

    @Option(help: "Overlay PNG: the image with the foreground tinted, for checking.")
    var overlay: String?

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    @Option(help: "Threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Refuse input images above this many pixels (checked from the header, before decoding). The CRF keeps several label × pixel float arrays, about 0.5 KB per pixel with the 21 VOC labels.")
    var maxPixels: Int = ImageLimits().maxPixels

    func validate() throws {
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1 (got \(maxPixels))") }
        if bitDepth != 8 && bitDepth != 16 { throw ValidationError("--bit-depth must be 8 or 16 (got \(bitDepth))") }
        if let probabilities, !(probabilities.hasSuffix(".pfm") || probabilities.hasSuffix(".png")) {
            throw ValidationError("--probabilities must name a .pfm or .png file (got \(probabilities))")
        }
        if crfIterations < 0 { throw ValidationError("--crf-iterations must be at least 0") }
        _ = try foregroundClasses()
    }

    func foregroundClasses() throws -> Set<Int> {
        guard let classes else { return PascalVOCClasses.objects }
        return Set(try classes.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let label = PascalVOCClasses.label(named: trimmed) else {
                throw ValidationError("--classes: unknown class '\(trimmed)'; known: \(PascalVOCClasses.names.joined(separator: ", "))")
            }
            return label
        })
    }

    func run() throws {
        if let threads { EngineThreads.set(threads) }
        let models = SegmentationModels(modelDirectory: ModelDirectory.resolve(explicit: modelDir))
        let modelURL = try models.installedURL(model.rawValue)
        let image = try ImageReader.read(path: input, limits: ImageLimits(maxPixels: maxPixels))
        let start = Date()
        var result = model == .selfie ? try SelfieSegmenter(modelPath: modelURL.path).segment(image)
                                       : try DeepLabSegmenter(modelPath: modelURL.path).segment(image)
        let networkSeconds = Date().timeIntervalSince(start)
        var crfSeconds = 0.0
        if crf == .on {
            let crfStart = Date()
            var parameters = DenseCRFParameters()
            parameters.iterations = crfIterations
            result = try result.refined(image: image, parameters: parameters)
            crfSeconds = Date().timeIntervalSince(crfStart)
        }
        // The selfie model has two classes: 0 background, 1 person.
        let matte = result.foregroundMatte(classes: model == .selfie ? [1] : try foregroundClasses())
        try ImageWriter.writePNG(Image(width: result.width, height: result.height, channels: 1, pixels: matte), to: out, bitDepth: bitDepth)
        if let probabilities {
            if probabilities.hasSuffix(".pfm") {
                try PFM.write(matte, width: result.width, height: result.height, to: probabilities)
            } else {
                try ImageWriter.writePNG(Image(width: result.width, height: result.height, channels: 1, pixels: matte),
                                         to: probabilities, bitDepth: 16)
            }
        }
        if let labels {
            let values = result.labels.map { Float($0) / 255 }
            try ImageWriter.writePNG(Image(width: result.width, height: result.height, channels: 1, pixels: values), to: labels, bitDepth: 8)
        }
        if let overlay {
            let rgb = image.toRGB()
            var pixels = rgb.pixels  // edited as a local array, not element by element through `Image`
            for i in 0..<matte.count {
                let a = 0.55 * matte[i]
                pixels[i * 3] = pixels[i * 3] * (1 - a) + a
                pixels[i * 3 + 1] *= 1 - a
                pixels[i * 3 + 2] *= 1 - a
            }
            try ImageWriter.writePNG(Image(width: rgb.width, height: rgb.height, channels: 3, pixels: pixels), to: overlay, bitDepth: 8)
        }
        let histogram = result.labelHistogram.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
        let names = model == .selfie ? ["background", "person"] : PascalVOCClasses.names
        let top = histogram.prefix(4).map { "\(names[$0.offset])=\(String(format: "%.1f", 100 * Double($0.element) / Double(matte.count)))%" }
        print(String(format: "wrote %@ (%dx%d) network_s=%.3f crf_s=%.3f classes: %@", out, result.width, result.height,
                     networkSeconds, crfSeconds, top.joined(separator: " ")))
    }
}

/// Portable float map (grayscale `Pf`): a text header, then little-endian float32 rows from the bottom
/// row up (a negative scale in the header means little-endian), as VFX tools read it.
enum PFM {
    static func write(_ values: [Float], width: Int, height: Int, to path: String) throws {
        var data = Data("Pf\n\(width) \(height)\n-1.0\n".utf8)
        data.reserveCapacity(data.count + values.count * 4)
        for y in stride(from: height - 1, through: 0, by: -1) {
            for x in 0..<width {
                var bits = values[y * width + x].bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
            }
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
