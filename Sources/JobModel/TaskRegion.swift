/// A rectangle of a frame in output pixels. A task renders one region; today every region is the
/// full frame, and the tiling issue will split frames into several.
public struct TaskRegion: Sendable, Hashable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    /// The whole frame of `size`.
    public static func full(_ size: PixelSize) -> TaskRegion { TaskRegion(x: 0, y: 0, width: size.width, height: size.height) }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}
