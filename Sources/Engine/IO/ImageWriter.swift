import Foundation

/// Encodes images as PNG, to memory or atomically to a file.
///
/// The colour type follows `Image.channels` (gray, gray+alpha, RGB, RGBA). Samples are clamped to [0, 1]
/// and rounded to nearest (see `SampleQuantization`), so identical images give identical bytes and an
/// image read from an 8- or 16-bit PNG is written back with exactly the same samples at that depth.
public enum ImageWriter {
    /// Writes `image` as a PNG file at `path` with `bitDepth` (8 or 16) bits per sample. The file is
    /// written to a temporary file in the same directory and renamed into place, so readers never see a
    /// partial file and a failed write leaves nothing behind (an existing file is left unchanged).
    /// `compressionLevel` is zlib's 0 (fastest) ... 9 (smallest).
    public static func writePNG(_ image: Image, to path: String, bitDepth: Int = 8,
                                compressionLevel: Int = 6) throws {
        let bytes = try encodePNGBytes(image, bitDepth: bitDepth, compressionLevel: compressionLevel, name: path)
        try FileBytes.writeAtomically(bytes, to: path)
    }

    /// Encodes `image` as PNG bytes with `bitDepth` (8 or 16) bits per sample. `name` labels errors.
    public static func encodePNG(_ image: Image, bitDepth: Int = 8, compressionLevel: Int = 6,
                                 name: String = "<memory>") throws -> Data {
        Data(try encodePNGBytes(image, bitDepth: bitDepth, compressionLevel: compressionLevel, name: name))
    }

    /// `encodePNG` as a byte array.
    static func encodePNGBytes(_ image: Image, bitDepth: Int, compressionLevel: Int, name: String) throws -> [UInt8] {
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ImageIOError.unsupportedBitDepth(path: name, bitDepth: bitDepth)
        }
        guard let colorType = PNGEncoding.ColorType(channels: image.channels) else {
            throw ImageIOError.invalidImage(path: name, reason: "\(image.channels) channels; PNG needs 1...4")
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageIOError.invalidImage(path: name, reason: "the image is \(image.width)x\(image.height)")
        }
        let count = image.pixels.count
        var rows = [UInt8](repeating: 0, count: count * bitDepth / 8)
        image.pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                if bitDepth == 8 {
                    for i in 0..<count { dst[i] = SampleQuantization.toUInt8(src[i]) }
                } else {
                    for i in 0..<count { // PNG stores 16-bit samples big-endian
                        let v = SampleQuantization.toUInt16(src[i])
                        dst[2 * i] = UInt8(v >> 8)
                        dst[2 * i + 1] = UInt8(v & 0xFF)
                    }
                }
            }
        }
        let encoding = PNGEncoding(width: image.width, height: image.height, colorType: colorType,
                                   bitDepth: bitDepth, compressionLevel: compressionLevel)
        return try encoding.encode(rows: rows, name: name)
    }
}
