import Foundation

/// A frame as a plate comes (PNG, JPEG or OpenEXR, in its colour space), turned into what the engine stylizes, and
/// a stylized frame turned back into the plate's form (issue 20): the network sees sRGB-encoded RGB in [0, 1]; an
/// OpenEXR output gets the plate's colour space back, with the plate's alpha.
public struct Plate: Sendable {
    /// The RGB the engine stylizes: working space (``ColorSpace``), clamped to [0, 1].
    public var working: Image
    /// The plate's alpha (straight), when it has one.
    public var alpha: Image?
    /// The plate's colour space.
    public var colorSpace: ColorSpace
    /// Whether the plate was an OpenEXR file.
    public var isEXR: Bool

    /// Reads the image at `path`. `colorSpace` nil: by file type (OpenEXR: linear Rec.709, which is what OpenEXR's own
    /// chromaticities default to; PNG and JPEG: sRGB). `layer`: an OpenEXR layer to read instead of the unnamed one.
    public static func read(path: String, colorSpace: ColorSpace? = nil, layer: String? = nil,
                            limits: ImageLimits = .default) throws -> Plate {
        let bytes = try FileBytes.readFile(path: path, maxBytes: max(0, limits.maxFileBytes))
        if ImageFormat.detect(bytes) == .openEXR {
            let file = try OpenEXR.decode(bytes: bytes, name: path, layer: layer, limits: limits)
            return from(linear: file.image, colorSpace: colorSpace ?? .linearRec709, isEXR: true)
        }
        if let layer, !layer.isEmpty {
            throw ImageIOError.unsupportedFormat(path: path, detail: "a layer (\(layer)) was asked for, but only OpenEXR files have layers")
        }
        let image = try ImageReader.decode(bytes: bytes, name: path, limits: limits)
        return from(linear: image, colorSpace: colorSpace ?? .srgb, isEXR: false)
    }

    /// A plate from an image in `colorSpace` (its alpha, if any, kept apart).
    public static func from(linear image: Image, colorSpace: ColorSpace, isEXR: Bool) -> Plate {
        let rgb = image.toRGB(), alpha = image.alphaChannel()
        guard colorSpace.isLinear else { return Plate(working: rgb, alpha: alpha, colorSpace: colorSpace, isEXR: isEXR) }
        var pixels = rgb.pixels
        pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<rgb.pixelCount {
                let w = colorSpace.toWorking((Double(p[i * 3]), Double(p[i * 3 + 1]), Double(p[i * 3 + 2])))
                p[i * 3] = Float(min(1, max(0, w.0))); p[i * 3 + 1] = Float(min(1, max(0, w.1))); p[i * 3 + 2] = Float(min(1, max(0, w.2)))
            }
        }
        return Plate(working: Image(width: rgb.width, height: rgb.height, channels: 3, pixels: pixels), alpha: alpha,
                     colorSpace: colorSpace, isEXR: isEXR)
    }

    /// The colour space an OpenEXR output of this plate is written in: the plate's, or linear Rec.709 for an sRGB
    /// plate (an OpenEXR file is scene-linear).
    public var exrColorSpace: ColorSpace { colorSpace.isLinear ? colorSpace : .linearRec709 }

    /// A stylized frame (working space, RGB) in `space` (the plate's own by default), with the plate's alpha,
    /// resized to the frame when the sizes differ.
    public func output(_ stylized: Image, in space: ColorSpace? = nil) throws -> Image {
        let colorSpace = space ?? self.colorSpace
        let rgb = stylized.toRGB()
        var samples = rgb.pixels
        for i in 0..<rgb.pixelCount {
            let l = colorSpace.fromWorking((Double(samples[i * 3]), Double(samples[i * 3 + 1]), Double(samples[i * 3 + 2])))
            samples[i * 3] = Float(l.0); samples[i * 3 + 1] = Float(l.1); samples[i * 3 + 2] = Float(l.2)
        }
        let linear = Image(width: rgb.width, height: rgb.height, channels: 3, pixels: samples, bitDepth: 16)
        guard let alpha else { return linear }
        let matte = alpha.width == rgb.width && alpha.height == rgb.height ? alpha : try alpha.resized(width: rgb.width, height: rgb.height)
        return linear.attachingAlpha(matte)!
    }

    /// Whether a frame written to `path` is an OpenEXR file (its extension is `.exr`), else a PNG.
    public static func writesEXR(_ path: String) -> Bool { path.lowercased().hasSuffix(".exr") }

    /// Writes a frame the way its path's extension says (``writesEXR(_:)``): OpenEXR (`half`, `compression`), else PNG
    /// at `bitDepth` (values clamped to [0, 1] there).
    public static func write(_ image: Image, to path: String, bitDepth: Int = 8, half: Bool = true,
                             compression: OpenEXR.Compression = .zip) throws {
        if writesEXR(path) {
            try OpenEXR.write(image, to: path, half: half, compression: compression)
        } else {
            try ImageWriter.writePNG(image, to: path, bitDepth: bitDepth)
        }
    }
}
