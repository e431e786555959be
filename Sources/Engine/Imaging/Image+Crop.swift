extension Image {
    /// The `width × height` rectangle whose top-left pixel is `(x, y)`; it must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws -> Image {
        guard x >= 0, y >= 0, w > 0, h > 0, x + w <= width, y + h <= height else {
            throw ImagingError.outOfBounds("crop \(w)x\(h) at (\(x), \(y)) does not fit a \(width)x\(height) image")
        }
        var out = [Float](repeating: 0, count: w * h * channels)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let row = w * channels
                for r in 0..<h {
                    let from = ((y + r) * width + x) * channels
                    for i in 0..<row { dst[r * row + i] = src[from + i] }
                }
            }
        }
        return Image(width: w, height: h, channels: channels, pixels: out, bitDepth: bitDepth)
    }
}
