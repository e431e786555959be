import CImageCodecs
import Foundation

/// Reads PNG and JPEG images from files or memory. The format is detected from the leading bytes, not
/// the file name. Every failure is an `ImageIOError` naming the file; no input can crash the reader.
///
/// PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette images, interlaced or not. Palette becomes
/// RGB(A), a tRNS chunk becomes an alpha channel, sub-byte gray is expanded. JPEG: 8-bit gray and
/// YCbCr/RGB, baseline or progressive (CMYK is rejected as unsupported). EXIF orientation, gamma and ICC
/// profiles are ignored: samples are returned as stored.
public enum ImageReader {
    /// Reads and decodes the image file at `path`.
    public static func read(path: String, limits: ImageLimits = .default) throws -> Image {
        let bytes = try FileBytes.readFile(path: path, maxBytes: max(0, limits.maxFileBytes))
        return try decode(bytes: bytes, name: path, limits: limits)
    }

    /// Decodes an encoded PNG or JPEG held in memory. `name` labels errors (e.g. the job and frame).
    public static func decode(_ data: Data, name: String = "<memory>", limits: ImageLimits = .default) throws -> Image {
        try decode(bytes: [UInt8](data), name: name, limits: limits)
    }

    /// Decodes an encoded PNG or JPEG held in memory. `name` labels errors.
    public static func decode(bytes: [UInt8], name: String = "<memory>", limits: ImageLimits = .default) throws -> Image {
        if bytes.isEmpty { throw ImageIOError.emptyFile(path: name) }
        if bytes.count > limits.maxFileBytes {
            throw ImageIOError.fileTooLarge(path: name, bytes: bytes.count, limit: limits.maxFileBytes)
        }
        guard let format = ImageFormat.detect(bytes) else {
            if isPrefixOfDecodableSignature(bytes) { throw ImageIOError.truncated(path: name) }
            let head = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw ImageIOError.unsupportedFormat(path: name, detail: "unrecognised signature, first bytes \(head)")
        }
        return try bytes.withUnsafeBytes { raw in
            switch format {
            case .png:
                return try DecodedImage.decode(raw, name: name, format: .png, limits: limits, decoder: sf_png_decode)
            case .jpeg:
                return try DecodedImage.decode(raw, name: name, format: .jpeg, limits: limits, decoder: sf_jpeg_decode)
            default:
                throw ImageIOError.unsupportedFormat(path: name, detail: "\(format.rawValue) file")
            }
        }
    }

    /// Whether `bytes` (shorter than a full signature) could be the start of a PNG or JPEG file.
    private static func isPrefixOfDecodableSignature(_ bytes: [UInt8]) -> Bool {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        return (bytes.count < png.count && png.starts(with: bytes))
            || (bytes.count < jpeg.count && jpeg.starts(with: bytes))
    }
}
