extension Image {
    /// `left` and `right` placed next to each other as one RGB image, separated by a vertical bar `gap`
    /// pixels wide filled with `gapValue` (every channel; the default is a dark gray), e.g. to compare two
    /// renderings of the same frame. Both are converted with `toRGB()` (gray is replicated, alpha dropped).
    ///
    /// The result is `left.width + gap + right.width` wide and as tall as the inputs. Throws
    /// `ImagingError.sizeMismatch` when the heights differ and `ImagingError.invalidLayout` for a negative gap.
    public static func sideBySide(_ left: Image, _ right: Image, gap: Int = 4, gapValue: Float = 0.2) throws -> Image {
        guard left.height == right.height else {
            throw ImagingError.sizeMismatch(expected: "height \(left.height) (the left image)",
                                            actual: "height \(right.height) (the right image)")
        }
        guard gap >= 0 else { throw ImagingError.invalidLayout("the gap between two images cannot be negative (\(gap))") }
        let a = left.toRGB(), b = right.toRGB()
        let width = a.width + gap + b.width, height = a.height
        var pixels = [Float](repeating: gapValue, count: width * height * 3)
        let rowA = a.width * 3, rowB = b.width * 3, row = width * 3
        for y in 0..<height {
            pixels.replaceSubrange((y * row)..<(y * row + rowA), with: a.pixels[(y * rowA)..<((y + 1) * rowA)])
            let to = y * row + rowA + gap * 3
            pixels.replaceSubrange(to..<(to + rowB), with: b.pixels[(y * rowB)..<((y + 1) * rowB)])
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}
