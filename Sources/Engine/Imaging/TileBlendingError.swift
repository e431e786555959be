/// Why a tile layout or a tile handed to `TileAssembler` was refused. Every case names the tile (its
/// index in the layout) and the rectangles involved, so a planner bug or a wrong result can be traced.
public enum TileBlendingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The frame has no pixels, or a channel count outside 1…4.
    case invalidFrame(width: Int, height: Int, channels: Int)
    /// The blend ramp (the halo width) is negative.
    case negativeRamp(Int)
    /// The layout lists no tile.
    case noTiles
    /// A tile's core is empty, not inside its padded rectangle, or the padded rectangle leaves the frame.
    case badTileGeometry(index: Int, core: PixelRect, padded: PixelRect, frameWidth: Int, frameHeight: Int)
    /// A tile's padded rectangle reaches further than `ramp` beyond its core on one side.
    case haloBeyondRamp(index: Int, side: String, halo: Int, ramp: Int)
    /// Two cores share pixel `(x, y)`.
    case coresOverlap(first: Int, second: Int, x: Int, y: Int)
    /// No core holds pixel `(x, y)`.
    case frameNotCovered(x: Int, y: Int)
    /// A tile index that the layout does not have.
    case unknownTile(index: Int, count: Int)
    /// The same tile was added twice.
    case duplicateTile(index: Int)
    /// A tile's image does not have its padded rectangle's size.
    case tileSizeMismatch(index: Int, expected: PixelRect, width: Int, height: Int)
    /// A tile's image has another channel count than the frame.
    case channelMismatch(index: Int, expected: Int, found: Int)
    /// The frame was asked for before every tile arrived.
    case incomplete(missing: [Int])

    public var description: String {
        switch self {
        case .invalidFrame(let w, let h, let c):
            return "cannot assemble a \(w)x\(h) frame with \(c) channels: width and height must be at least 1 and channels 1...4"
        case .negativeRamp(let r):
            return "blend ramp \(r) is negative; pass the tile plan's halo (0 or more pixels)"
        case .noTiles:
            return "the tile layout lists no tile; a frame needs at least one"
        case .badTileGeometry(let i, let core, let padded, let w, let h):
            return "tile \(i): core \(core) must be non-empty and inside its padded rectangle \(padded), which must lie inside the \(w)x\(h) frame"
        case .haloBeyondRamp(let i, let side, let halo, let ramp):
            return "tile \(i) reaches \(halo) px beyond its core on the \(side) side, more than the blend ramp of \(ramp) px; pass the plan's halo as the ramp"
        case .coresOverlap(let a, let b, let x, let y):
            return "the cores of tiles \(a) and \(b) overlap at pixel (\(x), \(y)); cores must tile the frame without overlap"
        case .frameNotCovered(let x, let y):
            return "no tile core covers pixel (\(x), \(y)); cores must tile the frame without gaps"
        case .unknownTile(let i, let n):
            return "tile index \(i) is not in the layout (0..<\(n))"
        case .duplicateTile(let i):
            return "tile \(i) was already added; a retried tile replaces nothing once its frame region is blended"
        case .tileSizeMismatch(let i, let rect, let w, let h):
            return "tile \(i) image is \(w)x\(h), but its padded rectangle \(rect) is \(rect.width)x\(rect.height); render the whole padded rectangle"
        case .channelMismatch(let i, let expected, let found):
            return "tile \(i) image has \(found) channels, the frame has \(expected)"
        case .incomplete(let missing):
            let list = missing.prefix(10).map(String.init).joined(separator: ", ")
            return "the frame is not complete: \(missing.count) tile(s) missing (\(list)\(missing.count > 10 ? ", …" : ""))"
        }
    }
}
