/// Resizing whole images, alpha-aware.
extension Image {
    /// This image resampled to `width × height` with `Resampler` (area averaging where an axis shrinks,
    /// bilinear where it grows). Images with alpha are resampled premultiplied, so fully transparent
    /// pixels do not bleed their (meaningless) colour into neighbours. Throws `ImagingError.invalidSize`
    /// for a non-positive size or an empty image.
    public func resized(width newWidth: Int, height newHeight: Int) throws -> Image {
        guard width > 0, height > 0 else { throw ImagingError.invalidSize(width: width, height: height) }
        guard newWidth > 0, newHeight > 0 else { throw ImagingError.invalidSize(width: newWidth, height: newHeight) }
        if newWidth == width && newHeight == height { return self }
        guard hasAlpha else {
            let out = try Resampler.resample(pixels, width: width, height: height, channels: channels,
                                             toWidth: newWidth, toHeight: newHeight)
            return Image(width: newWidth, height: newHeight, channels: channels, pixels: out, bitDepth: bitDepth)
        }
        let a = channels - 1
        var premultiplied = pixels
        for p in 0..<pixelCount {
            let alpha = pixels[p * channels + a]
            for c in 0..<a { premultiplied[p * channels + c] *= alpha }
        }
        var out = try Resampler.resample(premultiplied, width: width, height: height, channels: channels,
                                         toWidth: newWidth, toHeight: newHeight)
        for p in 0..<(newWidth * newHeight) {
            let alpha = out[p * channels + a]
            for c in 0..<a {
                out[p * channels + c] = alpha > 0 ? min(max(out[p * channels + c] / alpha, 0), 1) : 0
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: out, bitDepth: bitDepth)
    }

    /// The size that scales `width × height` so its longer side is `longerSide`, keeping the aspect ratio
    /// (the shorter side is rounded to nearest, at least 1). Throws for a non-positive side or empty image.
    public static func size(scaling width: Int, _ height: Int, toLongerSide longerSide: Int) throws
        -> (width: Int, height: Int) {
        guard width > 0, height > 0 else { throw ImagingError.invalidSize(width: width, height: height) }
        guard longerSide > 0 else { throw ImagingError.invalidSize(width: longerSide, height: longerSide) }
        if width >= height {
            let h = max(1, Int((Double(height) * Double(longerSide) / Double(width)).rounded()))
            return (longerSide, h)
        } else {
            let w = max(1, Int((Double(width) * Double(longerSide) / Double(height)).rounded()))
            return (w, longerSide)
        }
    }

    /// This image scaled (down or up) so its longer side is `longerSide` pixels, keeping the aspect ratio;
    /// what `--size N` does.
    public func resized(longerSide: Int) throws -> Image {
        let size = try Image.size(scaling: width, height, toLongerSide: longerSide)
        return try resized(width: size.width, height: size.height)
    }
}
