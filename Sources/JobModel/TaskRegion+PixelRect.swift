import Engine

extension TaskRegion {
    /// The same rectangle as the engine's `PixelRect`.
    public var pixelRect: PixelRect { PixelRect(x: x, y: y, width: width, height: height) }

    /// The region of an engine rectangle.
    public init(_ rect: PixelRect) { self.init(x: rect.x, y: rect.y, width: rect.width, height: rect.height) }
}
