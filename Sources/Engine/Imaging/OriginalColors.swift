/// "Original colours" mode: keep the stylised image's luminance but the content image's colour.
public enum OriginalColors {
    /// An RGB image with the luma (Y) of `stylized` and the chroma (Cb, Cr) of `content`, in full-range
    /// BT.601 YCbCr (see `YCbCr`), converted back to RGB and clamped to [0, 1]. Where that colour is out of
    /// gamut the clamp changes luma and chroma slightly; elsewhere they match exactly up to float rounding.
    /// Both images are taken as RGB (gray is replicated, alpha dropped) and must have the same size.
    public static func transfer(stylized: Image, content: Image) throws -> Image {
        guard stylized.width == content.width, stylized.height == content.height else {
            throw ImagingError.sizeMismatch(expected: "\(content.width)x\(content.height) (content)",
                                            actual: "\(stylized.width)x\(stylized.height) (stylized)")
        }
        let s = stylized.toRGB(), c = content.toRGB()
        var out = [Float](repeating: 0, count: s.pixels.count)
        func unit(_ v: Float) -> Float { v > 0 ? min(v, 1) : 0 }
        for p in 0..<s.pixelCount {
            let luma = YCbCr.ycbcr(r: s.pixels[3 * p], g: s.pixels[3 * p + 1], b: s.pixels[3 * p + 2]).y
            let chroma = YCbCr.ycbcr(r: c.pixels[3 * p], g: c.pixels[3 * p + 1], b: c.pixels[3 * p + 2])
            let rgb = YCbCr.rgb(y: luma, cb: chroma.cb, cr: chroma.cr)
            out[3 * p] = unit(rgb.r)
            out[3 * p + 1] = unit(rgb.g)
            out[3 * p + 2] = unit(rgb.b)
        }
        return Image(width: s.width, height: s.height, channels: 3, pixels: out)
    }
}
