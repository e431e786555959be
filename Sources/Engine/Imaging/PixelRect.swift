/// An axis-aligned rectangle of pixels: columns `x ..< x + width`, rows `y ..< y + height`.
///
/// The engine's own rectangle (the coordinator's `TaskRegion` converts to it), used by tiling:
/// a tile's core and padded rectangles, and the tile-boundary lines of a seam measurement.
public struct PixelRect: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// One past the last column.
    @inlinable public var maxX: Int { x + width }
    /// One past the last row.
    @inlinable public var maxY: Int { y + height }
    /// `width * height`.
    @inlinable public var area: Int { width * height }
    /// Whether the rectangle holds no pixel.
    @inlinable public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// Whether every pixel of `other` lies in this rectangle (an empty `other` is contained nowhere).
    public func contains(_ other: PixelRect) -> Bool {
        !other.isEmpty && other.x >= x && other.y >= y && other.maxX <= maxX && other.maxY <= maxY
    }

    /// Whether pixel `(px, py)` lies in the rectangle.
    @inlinable public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// `WxH+X+Y`, as `TaskRegion` and X11 geometry strings write it.
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}
