import Foundation

/// A frame as a plate comes (PNG, JPEG or OpenEXR, in its colour space), turned into what the engine stylizes, and
/// a stylized frame turned back into the plate's form (issue 20): the network sees sRGB-encoded RGB in [0, 1]; an
/// OpenEXR output gets the plate's colour space back, with the plate's alpha (premultiplied, as OpenEXR stores it).
public struct Plate: Sendable {
    /// The RGB the engine stylizes: working space (``ColorSpace``), clamped to [0, 1]. Unpremultiplied: an OpenEXR
    /// plate's colours are divided by its alpha first, so a half-covered edge pixel shows the network its real colour.
    public var working: Image
    /// The plate's alpha (straight, display-window sized), when it has one.
    public var alpha: Image?
    /// The plate's colour space.
    public var colorSpace: PlateColorSpace
    /// The OpenEXR file the plate came from (nil for PNG and JPEG): what an OpenEXR output passes through.
    public var exr: EXRSource?

    /// What an OpenEXR plate keeps of its file so that its output can carry the rest of it unchanged.
    public struct EXRSource: Sendable {
        /// The file as it was read.
        public var bytes: [UInt8]
        /// The layer that was read (nil: the unnamed one).
        public var layer: String?
        public var dataWindow: OpenEXR.Window
        public var displayWindow: OpenEXR.Window
        public var half: Bool
        public var compression: OpenEXR.Compression
        /// The data window's pixels when it reaches outside the display window (``OpenEXR/File/overscan``).
        public var overscan: Image?
    }

    /// Whether the plate was an OpenEXR file.
    public var isEXR: Bool { exr != nil }

    /// Reads the image at `path` (``decode(bytes:name:colorSpace:layer:limits:)``).
    public static func read(path: String, colorSpace: PlateColorSpace? = nil, layer: String? = nil,
                            limits: ImageLimits = .default) throws -> Plate {
        let bytes = try FileBytes.readFile(path: path, maxBytes: max(0, limits.maxFileBytes))
        return try decode(bytes: bytes, name: path, colorSpace: colorSpace, layer: layer, limits: limits)
    }

    /// Decodes a plate held in memory; `name` labels errors. `colorSpace` nil: by file type (OpenEXR: linear
    /// Rec.709, which is what OpenEXR's own chromaticities default to; PNG and JPEG: sRGB). `layer`: an OpenEXR
    /// layer to read instead of the unnamed one.
    public static func decode(bytes: [UInt8], name: String, colorSpace: PlateColorSpace? = nil, layer: String? = nil,
                              limits: ImageLimits = .default) throws -> Plate {
        let layer = layer.flatMap { $0.isEmpty ? nil : $0 }
        if ImageFormat.detect(bytes) == .openEXR {
            let file = try OpenEXR.decode(bytes: bytes, name: name, layer: layer, limits: limits)
            var plate = try from(linear: file.image, colorSpace: colorSpace ?? .linearRec709, premultiplied: true)
            plate.exr = EXRSource(bytes: bytes, layer: layer, dataWindow: file.dataWindow, displayWindow: file.displayWindow,
                                  half: file.half, compression: file.compression, overscan: file.overscan)
            return plate
        }
        if let layer {
            throw ImageIOError.unsupportedFormat(path: name, detail: "a layer (\(layer)) was asked for, but only OpenEXR files have layers")
        }
        let image = try ImageReader.decode(bytes: bytes, name: name, limits: limits)
        return try from(linear: image, colorSpace: colorSpace ?? .srgb, premultiplied: false)
    }

    /// A plate from an image in `colorSpace` (its alpha, if any, kept apart). `premultiplied`: the colours are
    /// premultiplied by the alpha (OpenEXR's convention) and are divided by it where it is above 0.
    public static func from(linear image: Image, colorSpace: PlateColorSpace, premultiplied: Bool = false) throws -> Plate {
        let rgb = image.toRGB(), alpha = image.alphaChannel()
        let bitDepth = max(rgb.bitDepth, colorSpace.isWorkingSpace ? 8 : 16)
        guard !colorSpace.isWorkingSpace || (premultiplied && alpha != nil) else {
            return Plate(working: rgb, alpha: alpha, colorSpace: colorSpace, exr: nil)
        }
        var pixels = rgb.pixels
        let matte = alpha?.pixels
        if case .builtin(let space) = colorSpace {
            pixels.withUnsafeMutableBufferPointer { p in
                for i in 0..<rgb.pixelCount {
                    var c = (Double(p[i * 3]), Double(p[i * 3 + 1]), Double(p[i * 3 + 2]))
                    if premultiplied, let a = matte?[i], a > 0 { c = (c.0 / Double(a), c.1 / Double(a), c.2 / Double(a)) }
                    let w = space.toWorking(c)
                    p[i * 3] = Float(min(1, max(0, w.0))); p[i * 3 + 1] = Float(min(1, max(0, w.1))); p[i * 3 + 2] = Float(min(1, max(0, w.2)))
                }
            }
        } else {
            if premultiplied, let matte {
                for i in 0..<rgb.pixelCount where matte[i] > 0 {
                    pixels[i * 3] /= matte[i]; pixels[i * 3 + 1] /= matte[i]; pixels[i * 3 + 2] /= matte[i]
                }
            }
            try colorSpace.toWorking(&pixels)
        }
        return Plate(working: Image(width: rgb.width, height: rgb.height, channels: 3, pixels: pixels, bitDepth: bitDepth),
                     alpha: alpha, colorSpace: colorSpace, exr: nil)
    }

    /// The plate's alpha at the size a render of `width`×`height` content has when its longer side is `size`, or nil
    /// when the plate has no alpha or it is opaque everywhere.
    public func alpha(width: Int, height: Int, toLongerSide size: Int) throws -> Image? {
        guard let alpha, alpha.pixels.contains(where: { $0 < 1 }) else { return nil }
        let (w, h) = try Image.size(scaling: width, height, toLongerSide: size)
        return alpha.width == w && alpha.height == h ? alpha : try alpha.resized(width: w, height: h)
    }

    /// The colour space an OpenEXR output of this plate is written in: the plate's, or linear Rec.709 for an sRGB
    /// plate (an OpenEXR file is scene-linear).
    public var exrColorSpace: PlateColorSpace { colorSpace.isWorkingSpace ? .linearRec709 : colorSpace }

    /// A stylized frame (working space, RGB) in `space` (the plate's own by default), with the plate's alpha —
    /// resized to the frame when the sizes differ — and, for an OpenEXR plate, its colours premultiplied by it
    /// again (the exact inverse of ``decode(bytes:name:colorSpace:layer:limits:)`` where nothing changed).
    public func output(_ stylized: Image, in space: PlateColorSpace? = nil) throws -> Image {
        let colorSpace = space ?? self.colorSpace
        let rgb = stylized.toRGB()
        let matte = try alpha.map { a in
            a.width == rgb.width && a.height == rgb.height ? a : try a.resized(width: rgb.width, height: rgb.height)
        }
        let premultiply = isEXR ? matte?.pixels : nil
        // Where an OpenEXR plate is fully transparent nothing is stylized: its own colour comes back (0 in a
        // premultiplied plate; light such as a glow, which is RGB without alpha, stays).
        let own = premultiply != nil && working.width == rgb.width && working.height == rgb.height ? working.pixels : nil
        var samples = rgb.pixels
        if case .builtin(let space) = colorSpace {
            for i in 0..<rgb.pixelCount {
                var w = (Double(samples[i * 3]), Double(samples[i * 3 + 1]), Double(samples[i * 3 + 2]))
                let a = premultiply.map { Double($0[i]) } ?? 1
                if a <= 0, let own { w = (Double(own[i * 3]), Double(own[i * 3 + 1]), Double(own[i * 3 + 2])) }
                var l = space.fromWorking(w)
                if a > 0 && a != 1 { l = (l.0 * a, l.1 * a, l.2 * a) } else if a <= 0 && own == nil { l = (0, 0, 0) }
                samples[i * 3] = Float(l.0); samples[i * 3 + 1] = Float(l.1); samples[i * 3 + 2] = Float(l.2)
            }
        } else {
            // The same steps, the conversion run over the whole frame at once (OpenColorIO's processor).
            if let premultiply, let own {
                for i in 0..<rgb.pixelCount where premultiply[i] <= 0 {
                    samples[i * 3] = own[i * 3]; samples[i * 3 + 1] = own[i * 3 + 1]; samples[i * 3 + 2] = own[i * 3 + 2]
                }
            }
            try colorSpace.fromWorking(&samples)
            if let premultiply {
                for i in 0..<rgb.pixelCount {
                    let a = premultiply[i]
                    if a > 0 && a != 1 {
                        samples[i * 3] *= a; samples[i * 3 + 1] *= a; samples[i * 3 + 2] *= a
                    } else if a <= 0 && own == nil {
                        samples[i * 3] = 0; samples[i * 3 + 1] = 0; samples[i * 3 + 2] = 0
                    }
                }
            }
        }
        let linear = Image(width: rgb.width, height: rgb.height, channels: 3, pixels: samples, bitDepth: 16)
        guard let matte else { return linear }
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
