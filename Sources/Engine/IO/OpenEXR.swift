import CEXR
import Foundation

/// OpenEXR files (issue 20), through OpenEXR 3.1's own library behind `CEXR` (no exception crosses into Swift):
/// scanline and tiled files, half, float and uint samples, any compression on read; the RGB(A) — or Y(A) — channels
/// of the part that holds the unnamed layer or a named one (the first such part of a multi-part file). Samples are the file's own values: scene-linear, not
/// clamped to [0, 1] (convert with ``ColorSpace`` before a network sees them).
public enum OpenEXR {
    /// OpenEXR's compression methods (the numbers are OpenEXR's own).
    public enum Compression: UInt32, Sendable, CaseIterable, CustomStringConvertible {
        case none = 0, rle, zips, zip, piz, pxr24, b44, b44a, dwaa, dwab

        public var description: String { ["none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab"][Int(rawValue)] }

        /// Parses a name as `description` writes it.
        public init?(name: String) {
            guard let found = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = found
        }
    }

    /// A pixel rectangle, inclusive on both ends as OpenEXR's windows are.
    public struct Window: Sendable, Equatable {
        public var minX: Int, minY: Int, maxX: Int, maxY: Int
        public var width: Int { maxX - minX + 1 }
        public var height: Int { maxY - minY + 1 }
        public init(minX: Int, minY: Int, maxX: Int, maxY: Int) { self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY }
    }

    /// A decoded file: the image over the display window (pixels outside the data window are 0, alpha 0 included),
    /// and what the header said.
    public struct File: Sendable, Equatable {
        /// Display-window sized: 1 channel (Y), 3 (RGB) or 4 (RGBA; YA as RGBA).
        public var image: Image
        public var dataWindow: Window
        public var displayWindow: Window
        /// The colour channels are 16-bit half floats in the file.
        public var half: Bool
        public var compression: Compression
        public var tiled: Bool
        public var parts: Int
        public var hasAlpha: Bool
        /// The whole data window's pixels, when part of it lies outside the display window (overscan), so that a
        /// rewrite of the file keeps them (nil otherwise: `image` holds every pixel).
        public var overscan: Image?
    }

    /// The linked library's version, e.g. "3.1.5".
    public static var libraryVersion: String { String(cString: sf_exr_library_version()) }

    /// Reads the OpenEXR file at `path`.
    public static func read(path: String, layer: String? = nil, limits: ImageLimits = .default) throws -> File {
        let bytes = try FileBytes.readFile(path: path, maxBytes: max(0, limits.maxFileBytes))
        return try decode(bytes: bytes, name: path, layer: layer, limits: limits)
    }

    /// Decodes an OpenEXR file held in memory; `name` labels errors.
    public static func decode(bytes: [UInt8], name: String = "<memory>", layer: String? = nil, limits: ImageLimits = .default) throws -> File {
        if bytes.isEmpty { throw ImageIOError.emptyFile(path: name) }
        var info = sf_exr_info()
        var pixels: UnsafeMutablePointer<Float>?
        var message = [CChar](repeating: 0, count: 512)
        let code = bytes.withUnsafeBufferPointer { buffer in
            sf_exr_decode(buffer.baseAddress, buffer.count, layer, UInt64(max(0, limits.maxPixels)), &info, &pixels, &message, message.count)
        }
        defer { sf_exr_free(pixels) }
        let reason = String(cString: message)
        let data = Window(minX: Int(info.data_x0), minY: Int(info.data_y0), maxX: Int(info.data_x1), maxY: Int(info.data_y1))
        let display = Window(minX: Int(info.display_x0), minY: Int(info.display_y0), maxX: Int(info.display_x1), maxY: Int(info.display_y1))
        switch Int(code) {
        case SF_EXR_OK: break
        case SF_EXR_TRUNCATED: throw ImageIOError.truncated(path: name)
        case SF_EXR_TOO_LARGE: throw ImageIOError.tooLarge(path: name, width: data.width, height: data.height, limit: limits.maxPixels)
        case SF_EXR_UNSUPPORTED: throw ImageIOError.unsupportedFormat(path: name, detail: "OpenEXR: \(reason)")
        case SF_EXR_OUT_OF_MEMORY: throw ImageIOError.outOfMemory(path: name)
        default: throw ImageIOError.corrupt(path: name, reason: "OpenEXR: \(reason)")
        }
        guard let pixels, display.width > 0, display.height > 0 else {
            throw ImageIOError.corrupt(path: name, reason: "OpenEXR: empty display window")
        }
        guard display.width * display.height <= limits.maxPixels else {
            throw ImageIOError.tooLarge(path: name, width: display.width, height: display.height, limit: limits.maxPixels)
        }
        let channels = Int(info.channels)
        let out = placed(UnsafeBufferPointer(start: pixels, count: data.width * data.height * channels), channels: channels,
                         data: data, display: display)
        let half = info.half != 0
        let inside = data.minX >= display.minX && data.minY >= display.minY && data.maxX <= display.maxX && data.maxY <= display.maxY
        let overscan = inside ? nil : Image(width: data.width, height: data.height, channels: channels,
                                            pixels: Array(UnsafeBufferPointer(start: pixels, count: data.width * data.height * channels)),
                                            bitDepth: half ? 16 : 32)
        return File(image: Image(width: display.width, height: display.height, channels: channels, pixels: out, bitDepth: half ? 16 : 32),
                    dataWindow: data, displayWindow: display, half: half,
                    compression: Compression(rawValue: info.compression) ?? .none, tiled: info.tiled != 0,
                    parts: Int(info.parts), hasAlpha: info.has_alpha != 0, overscan: overscan)
    }

    /// Samples over the data window (`channels` per pixel, row by row) placed where they fall in the display window;
    /// the display window's other pixels are 0.
    public static func placed(_ samples: UnsafeBufferPointer<Float>, channels: Int, data: Window, display: Window) -> [Float] {
        var out = [Float](repeating: 0, count: display.width * display.height * channels)
        let x0 = max(data.minX, display.minX), x1 = min(data.maxX, display.maxX)
        let y0 = max(data.minY, display.minY), y1 = min(data.maxY, display.maxY)
        guard x0 <= x1 && y0 <= y1, let source = samples.baseAddress else { return out }
        out.withUnsafeMutableBufferPointer { target in
            for y in y0...y1 {
                let from = ((y - data.minY) * data.width + (x0 - data.minX)) * channels
                let to = ((y - display.minY) * display.width + (x0 - display.minX)) * channels
                (target.baseAddress! + to).update(from: source + from, count: (x1 - x0 + 1) * channels)
            }
        }
        return out
    }

    /// Encodes `image` (1, 3 or 4 channels; 2 is written as RGBA) as a scanline OpenEXR file: half or 32-bit float
    /// samples, `compression`, and `attributes` as string attributes of the header (provenance). Values are written
    /// as they are (scene-linear, not clamped); NaN and infinity are refused, so a broken render never reaches a
    /// compositor's plate.
    public static func encode(_ image: Image, half: Bool = true, compression: Compression = .zip,
                              attributes: [String: String] = [:], name: String = "<memory>") throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else { throw ImageIOError.invalidImage(path: name, reason: "the image is empty") }
        try checkFinite(image, name: name)
        // Gray + alpha: RGBA with the gray in R, G and B.
        let source = image.channels == 2 ? image.toRGBA() : image
        var options = sf_exr_encode_options(channels: UInt32(source.channels), half: half ? 1 : 0, compression: compression.rawValue)
        return try withAttributes(attributes) { list, count in
            try written(name: name) { out, size, message, capacity in
                source.pixels.withUnsafeBufferPointer {
                    sf_exr_encode_with_attributes($0.baseAddress, UInt32(image.width), UInt32(image.height), &options, list, count,
                                                  out, size, message, capacity)
                }
            }
        }
    }

    /// The OpenEXR file `source` with the colour of `layer` (nil: the unnamed one) replaced by `image` — 3 or 4
    /// channels, the size of the file's data window — and every other channel and header attribute kept bit for bit
    /// (`sf_exr_replace_layer`: the part holding the layer is rewritten as scanlines, every other part of a multi-part
    /// file copied raw, chunk for chunk; lossy compressions that would alter a kept channel are refused, naming it).
    /// `attributes` are added to that part's header or replace same-named ones.
    public static func replacingLayer(in source: [UInt8], layer: String?, with image: Image, half: Bool = true,
                                      compression: Compression = .zip, attributes: [String: String] = [:],
                                      name: String = "<memory>", limits: ImageLimits = .default) throws -> [UInt8] {
        guard image.channels == 3 || image.channels == 4 else {
            throw ImageIOError.invalidImage(path: name, reason: "an OpenEXR layer is replaced by RGB or RGBA, not \(image.channels) channels")
        }
        try checkFinite(image, name: name)
        var options = sf_exr_encode_options(channels: UInt32(image.channels), half: half ? 1 : 0, compression: compression.rawValue)
        return try withAttributes(attributes) { list, count in
            try written(name: name) { out, size, message, capacity in
                source.withUnsafeBufferPointer { bytes in
                    image.pixels.withUnsafeBufferPointer {
                        sf_exr_replace_layer(bytes.baseAddress, bytes.count, layer, UInt64(max(0, limits.maxPixels)), $0.baseAddress,
                                             UInt32(image.width), UInt32(image.height), UInt32(image.channels), &options, list, count,
                                             out, size, message, capacity)
                    }
                }
            }
        }
    }

    /// Refuses NaN and infinity, naming the first such sample's pixel.
    static func checkFinite(_ image: Image, name: String) throws {
        if let bad = image.pixels.firstIndex(where: { !$0.isFinite }) {
            let pixel = bad / image.channels
            throw ImageIOError.invalidImage(path: name, reason: "sample \(image.pixels[bad]) at pixel (\(pixel % image.width), \(pixel / image.width)) is not a finite number")
        }
    }

    /// `attributes` as a C array of `sf_exr_attribute` (sorted by name, so files are byte-for-byte repeatable) for
    /// the duration of `body`.
    static func withAttributes<T>(_ attributes: [String: String],
                                  _ body: (UnsafePointer<sf_exr_attribute>?, Int) throws -> T) throws -> T {
        let sorted = attributes.sorted { $0.key < $1.key }
        let names = sorted.map { strdup($0.key) }, values = sorted.map { strdup($0.value) }
        defer { names.forEach { free($0) }; values.forEach { free($0) } }
        let list = zip(names, values).map { sf_exr_attribute(name: $0.0, value: $0.1) }
        return try list.withUnsafeBufferPointer { try body(list.isEmpty ? nil : $0.baseAddress, list.count) }
    }

    /// Runs a CEXR call that writes a file into memory and returns its bytes, its result code as an `ImageIOError`.
    static func written(name: String, _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                                               UnsafeMutablePointer<CChar>, Int) -> Int32) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = message.withUnsafeMutableBufferPointer { call(&out, &size, $0.baseAddress!, $0.count) }
        defer { sf_exr_free(out) }
        guard Int(code) == SF_EXR_OK, let out else {
            let reason = String(cString: message)
            switch Int(code) {
            case SF_EXR_OUT_OF_MEMORY: throw ImageIOError.outOfMemory(path: name)
            case SF_EXR_TRUNCATED: throw ImageIOError.truncated(path: name)
            case SF_EXR_CORRUPT: throw ImageIOError.corrupt(path: name, reason: "OpenEXR: \(reason)")
            case SF_EXR_UNSUPPORTED: throw ImageIOError.unsupportedFormat(path: name, detail: "OpenEXR: \(reason)")
            default: throw ImageIOError.writeFailed(path: name, reason: "OpenEXR: \(reason)")
            }
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// Encodes and writes `image` to `path` atomically.
    public static func write(_ image: Image, to path: String, half: Bool = true, compression: Compression = .zip) throws {
        try FileBytes.writeAtomically(try encode(image, half: half, compression: compression, name: path), to: path)
    }
}
