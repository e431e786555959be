import Foundation

/// Image file kinds recognised by their leading bytes ("magic numbers"), independent of the file name.
/// Only `.png` and `.jpeg` can be decoded; the others are detected so the error can name them.
public enum ImageFormat: String, Equatable, Sendable, CaseIterable {
    case png = "PNG"
    case jpeg = "JPEG"
    case gif = "GIF"
    case bmp = "BMP"
    case tiff = "TIFF"
    case openEXR = "OpenEXR"
    case dpx = "DPX"
    case cineon = "Cineon"
    case webp = "WebP"
    case jpeg2000 = "JPEG 2000"
    case psd = "Photoshop PSD"
    case radianceHDR = "Radiance HDR"
    case heif = "HEIF/AVIF"
    case netpbm = "Netpbm (PBM/PGM/PPM/PFM)"
    case qoi = "QOI"

    /// Whether `ImageReader` can decode this format.
    public var isDecodable: Bool { self == .png || self == .jpeg }

    /// The format whose signature starts `bytes`, or nil if none is recognised.
    public static func detect<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        let b = Array(bytes.prefix(16))
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + sig.count && Array(b[offset..<offset + sig.count]) == sig
        }
        func ascii(_ s: String, at offset: Int = 0) -> Bool { starts(Array(s.utf8), at: offset) }

        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if ascii("GIF87a") || ascii("GIF89a") { return .gif }
        if ascii("II*\0") || ascii("MM\0*") || ascii("II+\0") || ascii("MM\0+") { return .tiff }
        if starts([0x76, 0x2F, 0x31, 0x01]) { return .openEXR }
        if ascii("SDPX") || ascii("XPDS") { return .dpx }
        if starts([0x80, 0x2A, 0x5F, 0xD7]) || starts([0xD7, 0x5F, 0x2A, 0x80]) { return .cineon }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .webp }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) {
            return .jpeg2000
        }
        if ascii("8BPS") { return .psd }
        if ascii("#?RADIANCE") || ascii("#?RGBE") { return .radianceHDR }
        if ascii("ftyp", at: 4) { return .heif }
        if ascii("qoif") { return .qoi }
        if b.count >= 2, b[0] == UInt8(ascii: "P"),
           [UInt8]("123456fF".utf8).contains(b[1]) { return .netpbm }
        if ascii("BM") { return .bmp }
        return nil
    }
}
