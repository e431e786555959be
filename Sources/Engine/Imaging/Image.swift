/// A decoded raster image: interleaved, row-major float samples in [0, 1].
///
/// Sample `c` of pixel `(x, y)` lives at `pixels[(y * width + x) * channels + c]`. Channel layouts:
/// 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. Alpha is straight (not premultiplied). Decoded
/// values are exactly `Float(k) / 255` or `Float(k) / 65535` of the file's samples (sub-byte gray PNG
/// is first expanded to 8 bits, so a 1-bit `1` reads as `1.0`); no gamma or colour management is applied.
///
/// `pixels.count == width * height * channels` always holds: `pixels` is only set by the initializers and
/// written sample by sample through the subscript (in place, O(1) per write).
public struct Image: Equatable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// Bits per sample in the file this image came from: 1, 2, 4, 8 or 16 (a palette PNG counts as 8,
    /// the precision of its palette). Images made in memory say 8 unless told otherwise. Informational:
    /// writers take their output depth as an argument.
    public var bitDepth: Int
    /// Interleaved row-major samples in [0, 1].
    public private(set) var pixels: [Float]

    /// An image over existing samples. `pixels.count` must be `width * height * channels` and
    /// `channels` must be 1...4 (programming errors; they trap).
    public init(width: Int, height: Int, channels: Int, pixels: [Float], bitDepth: Int = 8) {
        precondition(width >= 0 && height >= 0, "negative image dimension")
        precondition((1...4).contains(channels), "an image has 1...4 channels")
        precondition(pixels.count == width * height * channels, "pixel count does not match the image shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.bitDepth = bitDepth
    }

    /// An image with every sample set to `value`.
    public init(width: Int, height: Int, channels: Int, repeating value: Float = 0, bitDepth: Int = 8) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [Float](repeating: value, count: max(0, width) * max(0, height) * channels),
                  bitDepth: bitDepth)
    }

    /// Number of pixels (`width * height`).
    @inlinable public var pixelCount: Int { width * height }

    /// Whether the last channel is alpha (2 or 4 channels).
    @inlinable public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// Channels that carry colour (1 for gray, 3 for RGB), i.e. `channels` without alpha.
    @inlinable public var colorChannels: Int { hasAlpha ? channels - 1 : channels }

    /// Sample `c` of pixel `(x, y)`.
    public subscript(x x: Int, y y: Int, c c: Int) -> Float {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}
