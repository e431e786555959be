/// Bounds on what `ImageReader` accepts, checked before any large allocation.
public struct ImageLimits: Equatable, Sendable {
    /// Largest accepted `width * height`, checked against the header before the pixel buffer exists.
    public var maxPixels: Int
    /// Largest accepted file (or in-memory data) size in bytes, checked before the file is read.
    public var maxFileBytes: Int

    /// 100 megapixels and 1 GiB by default: a 100 MP 16-bit RGBA plate decodes to 1.6 GB of floats.
    public init(maxPixels: Int = 100_000_000, maxFileBytes: Int = 1 << 30) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// The defaults (100 MP, 1 GiB).
    public static let `default` = ImageLimits()
}
