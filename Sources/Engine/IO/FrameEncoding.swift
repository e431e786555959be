/// How a stylized frame is written (issue 20): the output pattern's extension picks the format — `.exr` is OpenEXR
/// in the plate's scene-linear colour space with its alpha, anything else a PNG of the working space.
public enum FrameEncoding: Sendable, Equatable, CustomStringConvertible {
    /// PNG at 8 or 16 bits per sample, or 0 for "as the plate" (16 for a plate deeper than 8 bits).
    case png(bitDepth: Int)
    /// OpenEXR, scanline: half or 32-bit float samples, a compression.
    case exr(half: Bool, compression: OpenEXR.Compression)

    /// The encoding of a frame written to `path` (``Plate/writesEXR(_:)``).
    public static func forPath(_ path: String, bitDepth: Int, half: Bool = true, compression: OpenEXR.Compression = .zip) -> FrameEncoding {
        Plate.writesEXR(path) ? .exr(half: half, compression: compression) : .png(bitDepth: bitDepth)
    }

    public var isEXR: Bool { if case .exr = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .png(let depth): return depth == 0 ? "PNG" : "\(depth)-bit PNG"
        case .exr(let half, let compression): return "OpenEXR (\(half ? "half" : "float"), \(compression))"
        }
    }
}

extension Plate {
    /// The file bytes of `stylized` (a working-space render of this plate) in `encoding`, `name` labelling errors.
    /// PNG: the working space itself. OpenEXR: ``output(_:in:)`` in ``exrColorSpace``; when the render has the plate's
    /// own size and the plate was an OpenEXR file, the plate's file is rewritten with the stylized layer replaced and
    /// every other layer and header attribute kept (``OpenEXR/replacingLayer(in:layer:with:half:compression:attributes:name:limits:)``).
    /// `attributes`: string attributes for the OpenEXR header, or PNG text (provenance).
    public func encode(_ stylized: Image, as encoding: FrameEncoding, attributes: [String: String] = [:],
                       name: String) throws -> [UInt8] {
        switch encoding {
        case .png(let depth):
            let bitDepth = depth == 0 ? (working.bitDepth > 8 ? 16 : 8) : depth
            return try PNGText.inserting(attributes, into: [UInt8](try ImageWriter.encodePNG(stylized, bitDepth: bitDepth, name: name)), name: name)
        case .exr(let half, let compression):
            let linear = try output(stylized, in: exrColorSpace)
            if let exr, linear.width == exr.displayWindow.width, linear.height == exr.displayWindow.height {
                return try OpenEXR.replacingLayer(in: exr.bytes, layer: exr.layer, with: linear.cropped(toDataWindow: exr.dataWindow, of: exr.displayWindow, outside: exr.overscan),
                                                  half: half, compression: compression, attributes: attributes, name: name)
            }
            return try OpenEXR.encode(linear, half: half, compression: compression, attributes: attributes, name: name)
        }
    }
}

extension Image {
    /// The pixels of an OpenEXR data window from a display-window-sized image: the window's part inside the display
    /// window; outside it (overscan), `outside`'s pixels (the plate's own, data-window sized), else 0.
    func cropped(toDataWindow data: OpenEXR.Window, of display: OpenEXR.Window, outside: Image? = nil) -> Image {
        if data == display { return self }
        var out: [Float]
        if let outside, outside.width == data.width, outside.height == data.height {
            out = (channels == 4 ? outside.toRGBA() : outside.toRGB()).pixels
        } else {
            out = [Float](repeating: 0, count: data.width * data.height * channels)
        }
        let x0 = max(data.minX, display.minX), x1 = min(data.maxX, display.maxX)
        let y0 = max(data.minY, display.minY), y1 = min(data.maxY, display.maxY)
        if x0 <= x1 && y0 <= y1 {
            pixels.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for y in y0...y1 {
                        let from = ((y - display.minY) * width + (x0 - display.minX)) * channels
                        let to = ((y - data.minY) * data.width + (x0 - data.minX)) * channels
                        (target.baseAddress! + to).update(from: source.baseAddress! + from, count: (x1 - x0 + 1) * channels)
                    }
                }
            }
        }
        return Image(width: data.width, height: data.height, channels: channels, pixels: out, bitDepth: bitDepth)
    }
}
