import CImageCodecs

/// A full description of a PNG to encode from rows already in PNG sample layout: packed sub-byte samples,
/// 16-bit samples big-endian. `ImageWriter` uses it for gray/RGB(A) output; it also produces palette,
/// sub-byte, interlaced and tRNS variants (used by the tests to exercise the reader).
struct PNGEncoding {
    enum ColorType: Int32 {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        /// Samples per pixel in the encoded rows.
        var samplesPerPixel: Int {
            switch self {
            case .gray, .palette: return 1
            case .grayAlpha: return 2
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        /// The colour type that stores `channels` samples per pixel without a palette.
        init?(channels: Int) {
            switch channels {
            case 1: self = .gray
            case 2: self = .grayAlpha
            case 3: self = .rgb
            case 4: self = .rgba
            default: return nil
            }
        }
    }

    var width: Int
    var height: Int
    var colorType: ColorType
    var bitDepth: Int
    var interlaced = false
    var compressionLevel = 6
    /// Palette entries as RGB triplets (palette colour type only).
    var palette: [UInt8] = []
    /// Alpha of the first palette entries (tRNS for palette images).
    var paletteAlpha: [UInt8] = []
    /// The fully transparent colour (tRNS for gray/RGB images): (gray, red, green, blue) at the file's depth.
    var transparentColor: (gray: UInt16, red: UInt16, green: UInt16, blue: UInt16)?

    /// Bytes per row in PNG layout.
    var rowBytes: Int { (width * colorType.samplesPerPixel * bitDepth + 7) / 8 }

    /// Encodes `rows` (`height * rowBytes` bytes). `name` labels errors.
    func encode(rows: [UInt8], name: String) throws -> [UInt8] {
        guard width > 0, height > 0, width <= 0x7fff_ffff, height <= 0x7fff_ffff else {
            throw ImageIOError.invalidImage(path: name, reason: "PNG needs 1...2147483647 columns and rows, "
                                            + "got \(width)x\(height)")
        }
        guard rows.count == height * rowBytes else {
            throw ImageIOError.invalidImage(path: name, reason: "row data has \(rows.count) bytes, "
                                            + "expected \(height * rowBytes)")
        }
        var options = sf_png_encode_options()
        options.color_type = colorType.rawValue
        options.bit_depth = Int32(bitDepth)
        options.interlace = interlaced ? 1 : 0
        options.compression_level = Int32(compressionLevel)
        options.palette_entries = Int32(palette.count / 3)
        options.trns_count = Int32(paletteAlpha.count)
        if let color = transparentColor {
            options.has_trns_color = 1
            options.trns_gray = color.gray
            options.trns_red = color.red
            options.trns_green = color.green
            options.trns_blue = color.blue
        }
        var output: UnsafeMutablePointer<UInt8>?
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 512)
        let code: Int32 = rows.withUnsafeBufferPointer { rowBuffer in
            palette.withUnsafeBufferPointer { paletteBuffer in
                paletteAlpha.withUnsafeBufferPointer { alphaBuffer in
                    message.withUnsafeMutableBufferPointer { msg in
                        options.palette_rgb = paletteBuffer.baseAddress
                        options.trns_alpha = alphaBuffer.baseAddress
                        return sf_png_encode(rowBuffer.baseAddress, rowBytes, UInt32(width), UInt32(height),
                                             &options, &output, &outputSize, msg.baseAddress, msg.count)
                    }
                }
            }
        }
        defer { sf_free(output) }
        let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch code {
        case Int32(SF_OK):
            guard let output else { throw ImageIOError.invalidImage(path: name, reason: "encoder returned no data") }
            return Array(UnsafeBufferPointer(start: output, count: outputSize))
        case Int32(SF_ERR_OUT_OF_MEMORY):
            throw ImageIOError.outOfMemory(path: name)
        default:
            throw ImageIOError.invalidImage(path: name, reason: reason)
        }
    }
}
