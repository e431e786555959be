/// How large a frame's tiles may be (issue 7's `--tile-size N` / `--max-tile-pixels N`).
public enum TileBudget: Sendable, Hashable, CustomStringConvertible {
    /// The largest core, width × height, each a multiple of the plan's alignment.
    case core(PixelSize)
    /// The largest padded tile side (core plus a halo on each side), in pixels; the core is the
    /// largest multiple of the alignment that fits `side − 2·halo`. An axis no longer than `side`
    /// is one tile.
    case tileSide(Int)
    /// The largest padded tile area (halo included), in pixels: the plan with the fewest tiles whose
    /// every padded rectangle holds at most this many pixels.
    case maxTilePixels(Int)

    public var description: String {
        switch self {
        case .core(let s): return "core \(s)"
        case .tileSide(let n): return "tile side \(n)"
        case .maxTilePixels(let n): return "max tile pixels \(n)"
        }
    }
}
