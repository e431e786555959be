import CImageCodecs

/// Turns the C decoders' results into `Image`s and their error codes into `ImageIOError`s.
enum DecodedImage {
    /// The signature shared by `sf_png_decode` and `sf_jpeg_decode`.
    typealias Decoder = (UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<sf_decoded_image>?,
                         UnsafeMutablePointer<CChar>?, Int) -> Int32

    /// Runs `decoder` over `bytes` and converts the result; `name` labels errors, `format` qualifies
    /// unsupported-variant messages.
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, format: ImageFormat, limits: ImageLimits,
                       decoder: Decoder) throws -> Image {
        var result = sf_decoded_image()
        var message = [CChar](repeating: 0, count: 512)
        let maxPixels = UInt64(max(0, limits.maxPixels))
        let code = message.withUnsafeMutableBufferPointer { msg in
            decoder(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, maxPixels, &result,
                    msg.baseAddress, msg.count)
        }
        let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch Int(code) {
        case Int(SF_OK): break
        case Int(SF_ERR_TRUNCATED): throw ImageIOError.truncated(path: name)
        case Int(SF_ERR_TOO_LARGE):
            throw ImageIOError.tooLarge(path: name, width: Int(result.width), height: Int(result.height),
                                        limit: limits.maxPixels)
        case Int(SF_ERR_UNSUPPORTED):
            throw ImageIOError.unsupportedFormat(path: name, detail: "\(format.rawValue): \(reason)")
        case Int(SF_ERR_OUT_OF_MEMORY): throw ImageIOError.outOfMemory(path: name)
        default: throw ImageIOError.corrupt(path: name, reason: "\(format.rawValue): \(reason)")
        }
        defer { sf_free(result.pixels) }

        let width = Int(result.width), height = Int(result.height), channels = Int(result.channels)
        let count = width * height * channels
        guard let raw = result.pixels, (1...4).contains(channels),
              result.pixels_size == count * Int(result.sample_bytes) else {
            throw ImageIOError.corrupt(path: name, reason: "\(format.rawValue): decoder returned an inconsistent buffer")
        }
        var pixels = [Float](repeating: 0, count: count)
        pixels.withUnsafeMutableBufferPointer { dst in
            if result.sample_bytes == 1 {
                let src = raw.assumingMemoryBound(to: UInt8.self)
                SampleQuantization.floatsFromUInt8.withUnsafeBufferPointer { table in
                    for i in 0..<count { dst[i] = table[Int(src[i])] }
                }
            } else {
                let src = raw.assumingMemoryBound(to: UInt16.self)
                SampleQuantization.floatsFromUInt16.withUnsafeBufferPointer { table in
                    for i in 0..<count { dst[i] = table[Int(src[i])] }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels,
                     bitDepth: Int(result.source_bit_depth))
    }
}
