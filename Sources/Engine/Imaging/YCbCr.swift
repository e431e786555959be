/// Full-range BT.601 YCbCr (the JPEG/JFIF variant) on [0, 1] RGB:
///
///     Y  =  0.299 R + 0.587 G + 0.114 B
///     Cb = −0.168736 R − 0.331264 G + 0.5 B
///     Cr =  0.5 R − 0.418688 G − 0.081312 B
///
/// Y is in [0, 1] and Cb, Cr in [−0.5, 0.5]; `rgb(y:cb:cr:)` is the exact inverse.
public enum YCbCr {
    /// (Y, Cb, Cr) of an RGB colour.
    @inlinable public static func ycbcr(r: Float, g: Float, b: Float) -> (y: Float, cb: Float, cr: Float) {
        (0.299 * r + 0.587 * g + 0.114 * b,
         -0.168736 * r - 0.331264 * g + 0.5 * b,
         0.5 * r - 0.418688 * g - 0.081312 * b)
    }

    /// (R, G, B) of a YCbCr colour (not clamped).
    @inlinable public static func rgb(y: Float, cb: Float, cr: Float) -> (r: Float, g: Float, b: Float) {
        (y + 1.402 * cr,
         y - 0.344136 * cb - 0.714136 * cr,
         y + 1.772 * cb)
    }
}
